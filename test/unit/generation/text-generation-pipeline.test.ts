// textGenerationPipeline (src/pipelines/text-generation.ts) on the tiny golden GPT-2: HF's call shape and
// defaults — greedy unless do_sample, golden greedy continuations (also batched with left padding),
// return_full_text, num_return_sequences, lists in → lists of lists out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { readJson } from '../../helpers/golden.js';
import { textGenerationPipeline, toGenerateOptions } from '../../../src/pipelines/text-generation.js';
import { BertchatError } from '../../../src/util/errors.js';

interface Run {
  prompt_text: string;
  new_tokens: number[];
}

test('text-generation pipeline: golden greedy runs, full text or not, batched, token ids', async (t) => {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return;
  const runs = readJson<{ generation: { runs: Run[] } }>(join(dir, 'cases.json')).generation.runs;
  const generator = await textGenerationPipeline(dir);
  assert.equal(generator.task, 'text-generation');
  const tok = generator.tokenizer;
  for (const run of runs) {
    const cont = tok.decode(run.new_tokens);
    const out = await generator(run.prompt_text, { max_new_tokens: run.new_tokens.length, return_tensors: true });
    assert.equal(out.length, 1);
    assert.equal(out[0]!.generated_text, run.prompt_text + cont, 'return_full_text defaults to true; do_sample to false (greedy)');
    assert.deepEqual(out[0]!.generated_token_ids, run.new_tokens);
    const only = await generator(run.prompt_text, { max_new_tokens: run.new_tokens.length, return_full_text: false });
    assert.deepEqual(only, [{ generated_text: cont }]);
  }
  // a list of prompts of different lengths: one left-padded batch, the same greedy continuations
  const batched = await generator(runs.map((r) => r.prompt_text), { max_new_tokens: 10, return_full_text: false, return_tensors: true });
  assert.equal(batched.length, runs.length);
  batched.forEach((b, i) => assert.deepEqual(b[0]!.generated_token_ids, runs[i]!.new_tokens, `batched prompt ${i}`));
  // max_length counts the prompt, as HF
  const prompt0 = runs[0]!;
  const ids0 = tok.encode(prompt0.prompt_text).inputIds;
  const ml = await generator(prompt0.prompt_text, { max_length: ids0.length + 3, return_tensors: true });
  assert.deepEqual(ml[0]!.generated_token_ids, prompt0.new_tokens.slice(0, 3));
});

test('text-generation pipeline: sampling, num_return_sequences, seeds, stop strings and errors', async (t) => {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return;
  const generator = await textGenerationPipeline(dir);
  const o = { do_sample: true, num_return_sequences: 2, max_new_tokens: 8, seed: 5, return_tensors: true };
  const a = await generator(['hello', 'the cat sat'], o);
  const b = await generator(['hello', 'the cat sat'], o);
  assert.equal(a.length, 2);
  assert.equal(a[0]!.length, 2);
  assert.deepEqual(a, b, 'same seed, same samples');
  assert.notDeepEqual(a[0]![0]!.generated_token_ids, a[0]![1]!.generated_token_ids);
  for (const [i, p] of ['hello', 'the cat sat'].entries()) for (const r of a[i]!) assert.ok((r.generated_text as string).startsWith(p));
  const greedy = (await generator('hello', { max_new_tokens: 8, return_full_text: false }))[0]!.generated_text as string;
  const stop = greedy.slice(2, 4);
  const cut = await generator('hello', { max_new_tokens: 8, return_full_text: false, stop_strings: stop });
  assert.equal(cut[0]!.generated_text, greedy.slice(0, greedy.indexOf(stop)));
  await assert.rejects(generator('hello', { num_return_sequences: 2 }), (e: unknown) => e instanceof BertchatError && /do_sample/.test(e.message));
  await assert.rejects(generator([{ role: 'user', content: 'hi' }]), /chat template/);
  // HF's sampling defaults: top_k 50, temperature 1; greedy ignores them
  assert.deepEqual(toGenerateOptions({ do_sample: true }, 3), { maxTokens: 256, n: 1, temperature: 1, topK: 50 });
  assert.deepEqual(toGenerateOptions({ top_k: 5, temperature: 0.3 }, 3), { maxTokens: 256, n: 1, temperature: 0 });
});
