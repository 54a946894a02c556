// `bertchat train`: parses flags into a TrainingConfig and runs src/train's train(). Ctrl-C saves a
// checkpoint and exits 130; --resume continues from the newest (or a given) checkpoint.
import { numberFlag, parseFlags, UsageError, type CliIO, type Command } from '../command.js';
import { train } from '../../train/trainer.js';
import { progressPrinter } from '../../train/progress.js';
import type { DataFormat, LrScheduler, Objective, TrainingConfig } from '../../train/config.js';

const HELP = `Usage: bertchat train --objective OBJ --train-file FILE --output DIR (--model DIR_OR_ID | --config PRESET|PATH --tokenizer DIR) [options]

Trains or fine-tunes a model and writes a Hugging Face model folder (config.json, model.safetensors,
tokenizer files, training_args.json, metrics.jsonl, training.svg, checkpoint-<step>/).

Objective and model:
  --objective OBJ              text-classification | masked-lm | causal-lm
  --model DIR_OR_ID            start from a pretrained model folder or hub id
  --config PRESET|PATH         from scratch: tiny | mini | small, or a config.json
  --tokenizer DIR              tokenizer folder (default: the model's); required from scratch
  --dropout P                  override the config's dropout probabilities

Data:
  --train-file FILE            training data (repeatable): .csv, .tsv, .jsonl, text, '<label> <text>' lines, dialogues
  --validation-file FILE       validation data
  --validation-split F         hold out this fraction of the training data instead (seeded)
  --format FMT                 auto | csv | tsv | jsonl | text | label-text | dialogue (default auto)
  --text-column COL            column name or 0-based index (JSONL: key)
  --text-pair-column COL       second text of sentence pairs
  --label-column COL           label column
  --label-names A,B,...        names for the sorted labels (written as id2label)
  --max-length N               truncate to N tokens (default 128)
  --line-by-line               causal LM: one example per line instead of concatenated blocks
  --mlm-probability P          masked LM: fraction of tokens chosen (default 0.15)
  --whole-word-masking         masked LM: mask whole words
  --assistant-only-loss        dialogues: loss on assistant tokens only

Optimisation:
  --epochs N                   (default 3)          --max-steps N      stop after N steps
  --batch-size N               (default 32)         --eval-batch-size N (default 64)
  --gradient-accumulation N    micro-batches per optimizer step (default 1)
  --learning-rate LR           (default 5e-5)       --weight-decay W   (default 0.01)
  --lr-scheduler S             linear | cosine | constant (default linear)
  --warmup-steps N | --warmup-ratio F
  --max-grad-norm N            gradient clipping (default 1.0; 0 = off)
  --seed N                     (default 42)

Evaluation and checkpoints:
  --eval-steps N               evaluate every N steps (default: every epoch)
  --logging-steps N            (default 50)
  --save-steps N               checkpoint every N steps (default: every epoch)
  --save-total-limit N         keep N checkpoints (default 2; 0 = all)
  --early-stopping-patience N  stop after N evaluations without improvement
  --metric-for-best-model M    loss | accuracy | f1 | perplexity
  --no-load-best-model-at-end  keep the last weights instead of the best
  --save-dtype F32|F16         dtype of the final model.safetensors (default F32)
  --resume [DIR]               continue from DIR or the newest checkpoint in --output

Examples:
  bertchat train-tokenizer --type wordpiece --vocab-size 8000 --input train.txt --output tok/
  bertchat train --objective text-classification --config tiny --tokenizer tok/ \\
      --train-file train.csv --validation-file dev.csv --output out/clf --epochs 3 --learning-rate 1e-3
  bertchat train --objective causal-lm --config tiny --tokenizer gpt-tok/ --train-file shakespeare.txt \\
      --validation-split 0.1 --output out/gpt --max-steps 500
`;

const OPTIONS = {
  objective: { type: 'string' },
  model: { type: 'string' },
  config: { type: 'string' },
  tokenizer: { type: 'string' },
  dropout: { type: 'string' },
  'train-file': { type: 'string', multiple: true },
  'validation-file': { type: 'string' },
  'validation-split': { type: 'string' },
  format: { type: 'string' },
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  'label-names': { type: 'string' },
  'max-length': { type: 'string' },
  'line-by-line': { type: 'boolean' },
  'mlm-probability': { type: 'string' },
  'whole-word-masking': { type: 'boolean' },
  'assistant-only-loss': { type: 'boolean' },
  epochs: { type: 'string' },
  'max-steps': { type: 'string' },
  'batch-size': { type: 'string' },
  'eval-batch-size': { type: 'string' },
  'gradient-accumulation': { type: 'string' },
  'learning-rate': { type: 'string' },
  'weight-decay': { type: 'string' },
  'lr-scheduler': { type: 'string' },
  'warmup-steps': { type: 'string' },
  'warmup-ratio': { type: 'string' },
  'max-grad-norm': { type: 'string' },
  seed: { type: 'string' },
  'eval-steps': { type: 'string' },
  'logging-steps': { type: 'string' },
  'save-steps': { type: 'string' },
  'save-total-limit': { type: 'string' },
  'early-stopping-patience': { type: 'string' },
  'metric-for-best-model': { type: 'string' },
  'no-load-best-model-at-end': { type: 'boolean' },
  'save-dtype': { type: 'string' },
  resume: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** `--resume` may come without a value: then it means the newest checkpoint. */
function normalizeResume(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--resume' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) out.push('--resume=latest');
    else out.push(a);
  }
  return out;
}

const OBJECTIVES = ['text-classification', 'masked-lm', 'causal-lm'];

/** Flags → a partial TrainingConfig (validated later by resolveTrainingConfig). */
export function trainConfigFromFlags(argv: string[]): Partial<TrainingConfig> & Pick<TrainingConfig, 'objective' | 'trainFiles' | 'outputDir'> {
  const { values: v, positionals } = parseFlags(normalizeResume(argv), OPTIONS, false);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const s = (k: string): string | undefined => v[k] as string | undefined;
  const objective = s('objective');
  if (!objective) throw new UsageError('--objective is required (text-classification, masked-lm or causal-lm)');
  if (!OBJECTIVES.includes(objective)) throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got "${objective}"`);
  const trainFiles = (v['train-file'] as string[] | undefined) ?? [];
  if (trainFiles.length === 0) throw new UsageError('--train-file is required');
  const outputDir = s('output');
  if (!outputDir) throw new UsageError('--output is required');
  if (!s('model') && !s('config') && !s('resume')) throw new UsageError('--model DIR_OR_ID or --config tiny|mini|small|PATH is required');
  const int = (k: string, min = 0) => numberFlag(s(k), k, { int: true, min });
  const num = (k: string, min?: number, max?: number) => numberFlag(s(k), k, { min, max });
  const sched = s('lr-scheduler');
  if (sched !== undefined && !['linear', 'cosine', 'constant'].includes(sched)) throw new UsageError(`--lr-scheduler must be linear, cosine or constant, got "${sched}"`);
  const dtype = s('save-dtype')?.toUpperCase();
  if (dtype !== undefined && dtype !== 'F32' && dtype !== 'F16') throw new UsageError(`--save-dtype must be F32 or F16, got "${s('save-dtype')}"`);
  return {
    objective: objective as Objective,
    trainFiles,
    outputDir,
    model: s('model') ?? null,
    config: s('config') ?? null,
    tokenizer: s('tokenizer') ?? null,
    dropout: num('dropout', 0, 0.99) ?? null,
    validationFile: s('validation-file') ?? null,
    validationSplit: num('validation-split', 0, 0.99),
    format: s('format') as DataFormat | undefined,
    textColumn: s('text-column') ?? null,
    textPairColumn: s('text-pair-column') ?? null,
    labelColumn: s('label-column') ?? null,
    labelNames: s('label-names')?.split(',').map((x) => x.trim()) ?? null,
    maxLength: int('max-length', 2),
    lineByLine: v['line-by-line'] === true ? true : null,
    mlmProbability: num('mlm-probability', 0, 0.99),
    wholeWordMasking: v['whole-word-masking'] === true,
    assistantOnlyLoss: v['assistant-only-loss'] === true,
    epochs: num('epochs', 0),
    maxSteps: int('max-steps'),
    batchSize: int('batch-size', 1),
    evalBatchSize: int('eval-batch-size', 1),
    gradientAccumulationSteps: int('gradient-accumulation', 1),
    learningRate: num('learning-rate', 0),
    weightDecay: num('weight-decay', 0),
    lrScheduler: sched as LrScheduler | undefined,
    warmupSteps: int('warmup-steps'),
    warmupRatio: num('warmup-ratio', 0, 1),
    maxGradNorm: num('max-grad-norm', 0),
    seed: int('seed'),
    evalSteps: int('eval-steps'),
    loggingSteps: int('logging-steps', 1),
    saveSteps: int('save-steps'),
    saveTotalLimit: int('save-total-limit'),
    earlyStoppingPatience: int('early-stopping-patience'),
    metricForBestModel: s('metric-for-best-model') ?? null,
    loadBestModelAtEnd: v['no-load-best-model-at-end'] === true ? false : undefined,
    saveDtype: dtype as 'F32' | 'F16' | undefined,
    resume: s('resume') ?? null,
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train or fine-tune a model (classification, masked LM, causal LM)',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const cfg = trainConfigFromFlags(argv);
    const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
    const controller = new AbortController();
    let signals = 0;
    const onSigint = (): void => {
      signals++;
      if (signals > 1) {
        io.stderr.write('\nbertchat train: second Ctrl-C, exiting without a checkpoint\n');
        process.exit(130);
      }
      io.stderr.write('\nbertchat train: Ctrl-C, saving a checkpoint after this step (press again to quit now)\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const res = await train(cfg, { onEvent: progressPrinter(io.stderr, tty), signal: controller.signal });
      io.stdout.write(`${JSON.stringify({ output: res.outputDir, steps: res.globalStep, interrupted: res.interrupted, best_step: res.bestStep, best_metric: res.bestMetric, eval: res.evalMetrics, train_seconds: +res.trainSeconds.toFixed(1) })}\n`);
      return res.interrupted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
