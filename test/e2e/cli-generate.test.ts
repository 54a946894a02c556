// The built CLI (`node bin/bertchat.js generate`) on the tiny golden GPT-2: greedy continuations equal the golden
// greedy runs (cases.json → generation.runs) token for token, from --prompt and from stdin, streamed or as JSON;
// --stop, --n and --seed behave; bad flags exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { needShared, repoRoot } from '../helpers/shared.js';
import { readJson } from '../helpers/golden.js';
import { loadTokenizer } from '../../src/tokenizers/index.js';

interface Run {
  name: string;
  prompt_text: string;
  prompt_ids: number[];
  new_tokens: number[];
}

function cli(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/bertchat.js', 'generate', ...args], { cwd: repoRoot, input, encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', BERTCHAT_LOG: '' } });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

test('bertchat generate --temperature 0 reproduces the golden greedy runs', async (t) => {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return;
  const runs = readJson<{ generation: { runs: Run[] } }>(join(dir, 'cases.json')).generation.runs;
  const tok = loadTokenizer(dir);
  assert.ok(runs.length >= 2);
  for (const run of runs) {
    assert.deepEqual(tok.encode(run.prompt_text).inputIds, run.prompt_ids, `${run.name}: the prompt text encodes to the golden prompt ids`);
    const expected = tok.decode(run.new_tokens);
    const max = String(run.new_tokens.length);
    const streamed = cli(['--model', dir, '--prompt', run.prompt_text, '--temperature', '0', '--max-tokens', max]);
    assert.equal(streamed.code, 0, streamed.err);
    assert.equal(streamed.out, `${expected}\n`, `${run.name}: streamed greedy text`);
    const fromStdin = cli(['--model', dir, '--temperature', '0', '--max-tokens', max, '--json'], `${run.prompt_text}\n`);
    assert.equal(fromStdin.code, 0, fromStdin.err);
    const j = JSON.parse(fromStdin.out) as { prompt_tokens: number; choices: Array<{ text: string; token_ids: number[]; finish_reason: string }>; usage: { completion_tokens: number } };
    assert.deepEqual(j.choices[0]!.token_ids, run.new_tokens, `${run.name}: exact golden continuation ids`);
    assert.equal(j.choices[0]!.text, expected);
    assert.equal(j.choices[0]!.finish_reason, 'length');
    assert.equal(j.prompt_tokens, run.prompt_ids.length);
    assert.equal(j.usage.completion_tokens, run.new_tokens.length);
  }
});

test('bertchat generate: --stop cuts before the stop string; --n with --seed is reproducible; bad flags exit 2', async (t) => {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return;
  const run = readJson<{ generation: { runs: Run[] } }>(join(dir, 'cases.json')).generation.runs[1]!;
  const text = loadTokenizer(dir).decode(run.new_tokens);
  const stop = text.slice(2, 4);
  const cut = cli(['--model', dir, '--prompt', run.prompt_text, '--temperature', '0', '--max-tokens', '10', '--stop', 'never-there', '--stop', stop, '--json']);
  assert.equal(cut.code, 0, cut.err);
  const c = JSON.parse(cut.out).choices[0];
  assert.equal(c.text, text.slice(0, text.indexOf(stop)));
  assert.equal(c.finish_reason, 'stop');

  const args = ['--model', dir, '--prompt', 'hello', '--temperature', '1', '--top-k', '40', '--top-p', '0.95', '--seed', '7', '--n', '2', '--max-tokens', '8', '--json'];
  const a = JSON.parse(cli(args).out);
  const b = JSON.parse(cli(args).out);
  assert.equal(a.choices.length, 2);
  assert.deepEqual(a.choices, b.choices, 'same seed, same choices');
  assert.notDeepEqual(a.choices[0].token_ids, a.choices[1].token_ids);
  const plain = cli(args.filter((x) => x !== '--json'));
  assert.equal(plain.code, 0, plain.err);
  assert.equal(plain.out, `--- choice 0 ---\n${a.choices[0].text}\n--- choice 1 ---\n${a.choices[1].text}\n`);

  const bad = cli(['--model', dir, '--prompt', 'x', '--top-k', 'many']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /top-k/);
  const tooMany = cli(['--model', dir, '--prompt', 'x', ...['a', 'b', 'c', 'd', 'e'].flatMap((s) => ['--stop', s])]);
  assert.equal(tooMany.code, 2);
});
