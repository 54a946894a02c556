// The bundled chat model (models/chat: a small GPT-2 trained from scratch by `bertchat train --objective causal-lm
// --assistant-only-loss` on WOZ 2.0 restaurant dialogues, see docs/chat-model.md): HF layout within 20 MB, ChatML
// template with <|im_end|> as eos, an on-topic greedy reply that stops, and assistant-token perplexity on a fixed
// 20-dialogue slice of WOZ 2.0 validation below a measured threshold and below the unigram baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { needShared, repoRoot } from '../../helpers/shared.js';
import { readConfig } from '../../../src/io/config.js';
import { readGenerationConfig } from '../../../src/io/generation-config.js';
import { loadForTaskFromDir } from '../../../src/models/auto.js';
import type { CausalLM } from '../../../src/nn/causal-lm.js';
import { generateIds } from '../../../src/generation/generate.js';
import { intTensor, noGrad } from '../../../src/tensor/index.js';
import { loadTokenizer } from '../../../src/tokenizers/load.js';
import { encodeChat } from '../../../src/tokenizers/chat-template.js';
import type { ChatMessage } from '../../../src/tokenizers/types.js';
import { dialogueExamples, type Example } from '../../../src/train/data/examples.js';
import { unigramBaseline } from '../../../src/train/evaluate.js';

const modelDir = join(repoRoot, 'models', 'chat');
/** Measured 2.533 on this slice (perplexity 12.6; unigram baseline 5.491, perplexity 243); the margin allows kernel changes. */
const MAX_SLICE_LOSS = 2.75;
const ON_TOPIC = ['restaurant', 'food', 'cheap', 'north', 'price', 'area', 'serve', 'town', 'part', 'moderate', 'expensive', 'located', 'phone', 'address', 'cuisine', 'type'];

let cached: { lm: CausalLM; tok: ReturnType<typeof loadTokenizer> } | null = null;
function load(): { lm: CausalLM; tok: ReturnType<typeof loadTokenizer> } {
  cached ??= { lm: loadForTaskFromDir(modelDir, 'causal-lm') as unknown as CausalLM, tok: loadTokenizer(modelDir) };
  return cached;
}

interface WozDialogue {
  dialogue: Array<{ transcript: string; system_transcript: string }>;
}

/** Same conversion as scripts/prepare-woz-chat.mjs, minus the system message (the chat template adds the same one). */
function wozMessages(d: WozDialogue): ChatMessage[] {
  const clean = (s: string) => s.replace(/\s+/g, ' ').trim();
  const out: ChatMessage[] = [];
  for (let i = 0; i + 1 < d.dialogue.length; i++) {
    const user = clean(d.dialogue[i]!.transcript);
    const reply = clean(d.dialogue[i + 1]!.system_transcript);
    if (!user || !reply) break;
    out.push({ role: 'user', content: user }, { role: 'assistant', content: reply });
  }
  return out;
}

function examples(tok: ReturnType<typeof loadTokenizer>, file: string, count?: number): Example[] {
  const data = (JSON.parse(readFileSync(file, 'utf8')) as WozDialogue[]).slice(0, count);
  const recs = data.map((d, i) => ({ file, line: i + 1, text: '', pair: null, label: null, messages: wozMessages(d) })).filter((r) => r.messages.length > 0);
  return dialogueExamples(tok, recs, { maxLength: 512, lineByLine: false, assistantOnlyLoss: true });
}

/** Mean next-token NLL over the assistant targets (as the trainer's eval loss). */
function assistantLoss(lm: CausalLM, exs: Example[]): number {
  let nll = 0;
  let n = 0;
  noGrad(() => {
    for (const e of exs) {
      const T = e.ids.length;
      const logits = lm.forward(intTensor([Array.from(e.ids)]), {}).values(); // (1, T, V)
      const V = logits.length / T;
      for (let t = 0; t + 1 < T; t++) {
        const target = e.lmLabels![t + 1]!;
        if (target < 0) continue;
        let max = -Infinity;
        for (let v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]!);
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[t * V + v]! - max);
        nll += max + Math.log(sum) - logits[t * V + target]!;
        n++;
      }
    }
  });
  return nll / n;
}

test('models/chat: HF layout, at most 20 MB, ChatML template, <|im_end|> is eos everywhere', () => {
  const files = readdirSync(modelDir);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'training_args.json', 'metrics.jsonl', 'training.svg']) {
    assert.ok(files.includes(f), `models/chat lacks ${f}`);
  }
  const bytes = files.reduce((s, f) => s + statSync(join(modelDir, f)).size, 0);
  assert.ok(bytes <= 20 * 1024 * 1024, `models/chat is ${bytes} bytes`);
  const cfg = readConfig(modelDir);
  assert.deepEqual(cfg.architectures, ['GPT2LMHeadModel']);
  const { tok } = load();
  assert.ok(tok.chatTemplate?.includes('<|im_start|>'), 'tokenizer_config.json has no ChatML chat_template');
  const eos = tok.eosTokenId;
  assert.equal(eos, tok.convertTokensToIds(['<|im_end|>'])[0]);
  assert.equal((cfg as { eos_token_id: unknown }).eos_token_id, eos);
  assert.equal(readGenerationConfig(modelDir)?.eos_token_id, eos);
  assert.deepEqual(load().lm.eosTokenIds, [eos]);
});

test('models/chat: a greedy reply to a cheap restaurant in the north is on topic and ends with stop', async (t) => {
  const { lm, tok } = load();
  const ids = encodeChat(tok, [{ role: 'user', content: 'I want a cheap restaurant in the north of town' }], { addGenerationPrompt: true });
  const [r] = await generateIds(lm, [ids], { maxTokens: 64, temperature: 0, decoder: tok });
  t.diagnostic(`reply: ${JSON.stringify(r!.text)}`);
  assert.equal(r!.finishReason, 'stop');
  assert.ok(r!.completionTokens <= 64);
  const words = r!.text.toLowerCase();
  assert.ok(ON_TOPIC.some((w) => words.includes(w)), `off-topic reply: ${r!.text}`);
});

test('models/chat: validation perplexity on 20 WOZ 2.0 dialogues is below the threshold and the unigram baseline', (t) => {
  const val = needShared(t, 'data', 'woz', 'woz_validate_en.json');
  if (!val) return;
  const train = needShared(t, 'data', 'woz', 'woz_train_en.json');
  if (!train) return;
  const { lm, tok } = load();
  const slice = examples(tok, val, 20);
  assert.equal(slice.length, 20);
  const loss = assistantLoss(lm, slice);
  const unigram = unigramBaseline(examples(tok, train), slice, lm.vocabSize);
  t.diagnostic(`20-dialogue slice: loss ${loss.toFixed(4)} (perplexity ${Math.exp(loss).toFixed(2)}); unigram baseline ${unigram.toFixed(4)} (perplexity ${Math.exp(unigram).toFixed(1)})`);
  assert.ok(loss < MAX_SLICE_LOSS, `loss ${loss} ≥ ${MAX_SLICE_LOSS}`);
  assert.ok(loss < unigram, `loss ${loss} is not below the unigram baseline ${unigram}`);
});
