// Stop strings: matched across token boundaries, earliest wins, possible prefixes held back, flushed at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeStops, StopStringMatcher } from '../../../src/generation/stopping.js';
import { decodeStream } from '../../../src/generation/text.js';

/** Feeds pieces one by one like generate() does; returns streamed pieces and the final text. */
function run(stops: string[], pieces: string[]): { stream: string[]; final: string; stopped: boolean } {
  const m = new StopStringMatcher(stops);
  let text = '';
  let emitted = 0;
  const stream: string[] = [];
  for (const p of pieces) {
    text += p;
    const c = m.check(text, emitted, false);
    stream.push(text.slice(emitted, c.safe));
    emitted = c.safe;
    if (c.stopAt >= 0) return { stream, final: text.slice(0, c.stopAt), stopped: true };
  }
  const c = m.check(text, emitted, true);
  stream.push(text.slice(emitted, c.stopAt >= 0 ? c.stopAt : text.length));
  return { stream, final: c.stopAt >= 0 ? text.slice(0, c.stopAt) : text, stopped: c.stopAt >= 0 };
}

test('a stop spanning two pieces is cut exactly and no part of it is streamed', () => {
  const r = run(['END'], ['Hello E', 'ND tail']);
  assert.equal(r.final, 'Hello ');
  assert.deepEqual(r.stream, ['Hello ', '']);
  assert.ok(r.stopped);
});

test('held-back prefix that turns out not to be a stop is released', () => {
  const r = run(['END'], ['abc E', 'NX', 'yz']);
  assert.equal(r.final, 'abc ENXyz');
  assert.equal(r.stream.join(''), r.final);
  assert.deepEqual(r.stream, ['abc ', 'ENX', 'yz', '']);
});

test('a prefix held at the end of generation is flushed', () => {
  const r = run(['\n\n'], ['line\n']);
  assert.deepEqual(r.stream, ['line', '\n']);
  assert.equal(r.final, 'line\n');
  assert.ok(!r.stopped);
});

test('earliest of several stops wins; overlapping prefixes', () => {
  assert.equal(run(['bc', 'abcd'], ['xab', 'cd']).final, 'x'); // 'abcd' starts first
  assert.equal(run(['aab'], ['a', 'a', 'a', 'b']).final, 'a');
});

test('normalizeStops: string or list, at most 4, empty strings dropped', () => {
  assert.deepEqual(normalizeStops('x'), ['x']);
  assert.deepEqual(normalizeStops(['a', '']), ['a']);
  assert.deepEqual(normalizeStops(undefined), []);
  assert.throws(() => normalizeStops(['a', 'b', 'c', 'd', 'e']), (e: any) => e.code === 'INVALID_ARGUMENT');
});

test('decodeStream emits whole characters only and its pieces add up to decode()', () => {
  const bytes = [...Buffer.from('hé😀!', 'utf8')];
  const dec = { decode: (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids)) };
  const sd = decodeStream(dec);
  const pieces = bytes.map((b) => sd.push(b));
  pieces.push(sd.flush());
  assert.equal(pieces.join(''), 'hé😀!');
  for (const p of pieces) assert.ok(!p.includes('\uFFFD'), JSON.stringify(pieces));
  assert.deepEqual(pieces.filter((p) => p !== ''), ['h', 'é', '😀', '!']);
});
