// The rule-based WOZ tracker: slot filling per turn, overrides, dontcare, the shipped ontology copy, and
// joint goal accuracy on WOZ 2.0 validation (needs ../shared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatState, trackState, trackTurn } from '../../../src/chat/state-tracker.js';
import { WOZ_VALUES } from '../../../src/chat/woz-ontology.js';
import { needShared } from '../../helpers/shared.js';

test('fills food, area and price range; longest value wins; synonyms map to ontology values', () => {
  assert.deepEqual(trackTurn('I want a cheap restaurant in the north serving north african food'), { 'price range': 'cheap', area: 'north', food: 'north african' });
  assert.deepEqual(trackTurn('Something moderately priced in the city center, maybe Oriental?'), { 'price range': 'moderate', area: 'centre', food: 'asian oriental' });
  assert.deepEqual(trackTurn('south indian please'), { food: 'south indian' });
  assert.deepEqual(trackTurn('hello there'), {});
});

test('later turns override earlier ones; dontcare from explicit phrases and from the question asked', () => {
  const s = trackState([
    { role: 'user', content: 'cheap chinese food' },
    { role: 'assistant', content: 'What part of town do you have in mind?' },
    { role: 'user', content: "I don't care." },
    { role: 'user', content: 'actually make it italian, any price range' },
  ]);
  assert.deepEqual(s, { 'price range': 'dontcare', food: 'italian', area: 'dontcare' });
  assert.equal(formatState({ food: 'thai' }), 'food=thai  area=?  price range=?');
});

test('the shipped ontology values equal ../shared WOZ ontology_dstc2_en.json', (t) => {
  const p = needShared(t, 'data', 'woz', 'ontology_dstc2_en.json');
  if (!p) return;
  const o = JSON.parse(readFileSync(p, 'utf8')).informable;
  assert.deepEqual(WOZ_VALUES.food, o.food);
  assert.deepEqual(WOZ_VALUES.area, o.area);
  assert.deepEqual(WOZ_VALUES['price range'], o['price range']);
});

test('joint goal accuracy on WOZ 2.0 validation is at least 0.80 (measured 0.845)', (t) => {
  const p = needShared(t, 'data', 'woz', 'woz_validate_en.json');
  if (!p) return;
  const data = JSON.parse(readFileSync(p, 'utf8')) as Array<{ dialogue: Array<{ transcript: string; system_transcript: string; belief_state: Array<{ act: string; slots: string[][] }> }> }>;
  let turns = 0;
  let joint = 0;
  for (const d of data) {
    const msgs: Array<{ role: string; content: string }> = [];
    for (const turn of d.dialogue) {
      if (turn.system_transcript) msgs.push({ role: 'assistant', content: turn.system_transcript });
      msgs.push({ role: 'user', content: turn.transcript });
      const gold: Record<string, string> = {};
      for (const b of turn.belief_state) if (b.act === 'inform') for (const [s, v] of b.slots) gold[s!] = v!;
      const pred = trackState(msgs) as Record<string, string>;
      turns++;
      if (['food', 'area', 'price range'].every((s) => (pred[s] ?? null) === (gold[s] ?? null))) joint++;
    }
  }
  assert.equal(turns, 830);
  assert.ok(joint / turns >= 0.8, `joint goal accuracy ${(joint / turns).toFixed(3)}`);
});
