// Loads the training and validation data of a run, all before training starts: reads and checks every file,
// builds the label set from the training data (sorted), holds out a seeded validation split when asked,
// and tokenizes into examples. Any bad line fails here, naming file, line and reason.
import type { Tokenizer } from '../../tokenizers/tokenizer.js';
import type { TrainingConfig } from '../config.js';
import { derivedRng } from './batching.js';
import { causalTextExamples, classificationExamples, dialogueExamples, maskedLmExamples, type Example } from './examples.js';
import { dataError } from './read.js';
import { buildLabelSet, readRecords, type RawRecord } from './records.js';

export interface TrainingData {
  train: Example[];
  validation: Example[] | null;
  /** Sorted label strings (classification), index = class id. */
  labels: string[] | null;
  /** Where the validation data came from, for logs. */
  validationSource: string | null;
}

/** Reads and tokenizes the data of `cfg`; `labels` forces a label set (a resumed or pretrained classifier). */
export function loadTrainingData(cfg: TrainingConfig, tok: Tokenizer, opts: { labels?: string[] | null } = {}): TrainingData {
  const ro = { objective: cfg.objective, format: cfg.format, textColumn: cfg.textColumn, textPairColumn: cfg.textPairColumn, labelColumn: cfg.labelColumn };
  let trainRecs: RawRecord[] = [];
  for (const f of cfg.trainFiles) trainRecs = trainRecs.concat(readRecords(f, ro));
  let valRecs: RawRecord[] | null = cfg.validationFile ? readRecords(cfg.validationFile, ro) : null;
  let validationSource: string | null = cfg.validationFile;

  let labels: string[] | null = null;
  if (cfg.objective === 'text-classification') {
    labels = opts.labels ?? buildLabelSet(trainRecs);
    if (labels.length < 2) throw dataError(cfg.trainFiles.join(', '), null, `only one label (${JSON.stringify(labels[0])}) in the training data; classification needs at least two`);
  }
  if (!valRecs && cfg.validationSplit > 0) {
    const order = derivedRng(cfg.seed, 7).shuffle(Array.from({ length: trainRecs.length }, (_, i) => i));
    const nVal = Math.max(1, Math.round(trainRecs.length * cfg.validationSplit));
    if (nVal >= trainRecs.length) throw dataError(cfg.trainFiles[0]!, null, `validation split ${cfg.validationSplit} leaves no training examples`);
    const held = new Set(order.slice(0, nVal));
    valRecs = trainRecs.filter((_, i) => held.has(i));
    trainRecs = trainRecs.filter((_, i) => !held.has(i));
    validationSource = `${cfg.validationSplit} of ${cfg.trainFiles.join(', ')} (seed ${cfg.seed})`;
  }

  const lineByLine = cfg.lineByLine ?? false;
  const ex = (recs: RawRecord[]): Example[] => {
    switch (cfg.objective) {
      case 'text-classification': {
        const index = new Map(labels!.map((l, i) => [l, i]));
        return classificationExamples(tok, recs, index, cfg.maxLength, cfg.trainFiles.join(', '));
      }
      case 'masked-lm':
        return maskedLmExamples(tok, recs, cfg.maxLength);
      default:
        return recs.some((r) => r.messages !== null)
          ? dialogueExamples(tok, recs, { maxLength: cfg.maxLength, lineByLine, assistantOnlyLoss: cfg.assistantOnlyLoss })
          : causalTextExamples(tok, recs, { maxLength: cfg.maxLength, lineByLine, assistantOnlyLoss: false });
    }
  };
  const train = ex(trainRecs);
  if (train.length === 0) throw dataError(cfg.trainFiles.join(', '), null, 'no usable training examples after tokenization');
  const validation = valRecs ? ex(valRecs) : null;
  if (validation && validation.length === 0) throw dataError(validationSource ?? 'validation', null, 'no usable validation examples after tokenization');
  return { train, validation, labels, validationSource };
}
