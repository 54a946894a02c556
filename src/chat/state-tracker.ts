// Rule-based dialogue state tracking for the WOZ restaurant domain: fills food / area / price range from
// each user turn (ontology values plus a few synonyms, longest match first, later turns override earlier).
// A baseline to beat with a learned tracker; it reads user turns only and ignores negation.
import { DONTCARE, WOZ_SLOTS, WOZ_VALUES, type WozSlot } from './woz-ontology.js';

export type DialogueState = Partial<Record<WozSlot, string>>;

/** Surface forms → ontology value, beyond the values themselves. */
const SYNONYMS: Record<WozSlot, Record<string, string>> = {
  area: {
    center: 'centre', central: 'centre', 'city centre': 'centre', 'city center': 'centre', 'town centre': 'centre', 'town center': 'centre', downtown: 'centre',
    northern: 'north', southern: 'south', eastern: 'east', western: 'west',
  },
  'price range': {
    inexpensive: 'cheap', cheaply: 'cheap', budget: 'cheap', 'low cost': 'cheap', 'low price': 'cheap', 'cheapest': 'cheap',
    moderately: 'moderate', 'mid range': 'moderate', 'mid-range': 'moderate', 'medium price': 'moderate', 'reasonably priced': 'moderate', reasonable: 'moderate', affordable: 'moderate',
    pricey: 'expensive', 'high end': 'expensive', 'high-end': 'expensive', upscale: 'expensive', fancy: 'expensive', 'expensively': 'expensive',
  },
  food: {
    oriental: 'asian oriental', asian: 'asian oriental', 'pan asian': 'panasian', 'pan-asian': 'panasian', bbq: 'barbeque', barbecue: 'barbeque',
    'sea food': 'seafood', fish: 'seafood', 'steak house': 'steakhouse', steak: 'steakhouse', 'middle-eastern': 'middle eastern', americas: 'the americas',
    veggie: 'vegetarian', 'gastro pub': 'gastropub', pub: 'gastropub',
  },
};

/** Phrases meaning "any value is fine" for a slot (WOZ labels these `dontcare`). */
const DONTCARE_PATTERNS: Record<WozSlot, RegExp> = {
  area: /\b(any (part|area|where|side|location)|anywhere|no preference (about|on|for|regarding) (the )?(area|location)|(area|location|part of town) (doesn'?t|does not|dont|don't) matter|(don'?t|do not) care (about|what|which) (the )?(area|part|location))/,
  'price range': /\b(any price|any price ?range|no preference (about|on|for|regarding) (the )?price|(price|cost)( range)? (doesn'?t|does not|dont|don'?t) matter|(don'?t|do not) care (about|what) (the )?(price|cost))/,
  food: /\b(any (kind of |type of |sort of )?(food|cuisine)|no preference (about|on|for|regarding) (the )?(food|cuisine)|(food|cuisine)( type)? (doesn'?t|does not|dont|don'?t) matter|(don'?t|do not) care (about|what) (the )?(food|cuisine|type of food))/,
};
/** "Whatever" without a slot: it answers the slot the system just asked about. */
const GENERIC_DONTCARE = /\b((don'?t|do not|dont) care|(doesn'?t|does not|dont) matter|no preference|any (kind|type|one|is fine)|either is fine|whatever)\b/;
const ASKED: Array<[WozSlot, RegExp]> = [
  ['price range', /\b(price|pricerange|cheap|expensive|moderate)/],
  ['area', /\b(area|part of town|where|location|side of town)/],
  ['food', /\b(food|cuisine|type of restaurant|kind of restaurant)/],
];

interface Pattern {
  slot: WozSlot;
  value: string;
  re: RegExp;
  length: number;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const PATTERNS: Pattern[] = (() => {
  const out: Pattern[] = [];
  for (const slot of WOZ_SLOTS) {
    const forms: Array<[string, string]> = [...WOZ_VALUES[slot].map((v): [string, string] => [v, v]), ...Object.entries(SYNONYMS[slot])];
    for (const [form, value] of forms) out.push({ slot, value, re: new RegExp(`\\b${escape(form)}\\b`, 'g'), length: form.length });
  }
  return out.sort((a, b) => b.length - a.length); // "north african" before "north", "south indian" before "indian"
})();

/**
 * Slot values one utterance mentions (last mention per slot wins).
 * @example trackTurn('a cheap place in the north serving north african food') // { 'price range': 'cheap', area: 'north', food: 'north african' }
 */
export function trackTurn(utterance: string): DialogueState {
  let text = ` ${utterance.toLowerCase().replace(/[’]/g, "'").replace(/\s+/g, ' ')} `;
  const found: Array<{ slot: WozSlot; value: string; at: number }> = [];
  for (const slot of WOZ_SLOTS) {
    const m = DONTCARE_PATTERNS[slot].exec(text);
    if (m) found.push({ slot, value: DONTCARE, at: m.index });
  }
  for (const p of PATTERNS) {
    text = text.replace(p.re, (match, at: number) => {
      found.push({ slot: p.slot, value: p.value, at });
      return ' '.repeat(match.length); // mask, so a shorter value inside it does not match again
    });
  }
  const state: DialogueState = {};
  for (const f of found.sort((a, b) => a.at - b.at)) {
    if (f.value === DONTCARE && state[f.slot] !== undefined && state[f.slot] !== DONTCARE) continue; // a concrete value beats "any"
    state[f.slot] = f.value;
  }
  return state;
}

/**
 * The dialogue state after a conversation: every user turn's mentions, later ones overriding earlier.
 * @example trackState([{ role: 'user', content: 'cheap chinese please' }, { role: 'user', content: 'make it italian' }]) // { 'price range': 'cheap', food: 'italian' }
 */
export function trackState(messages: Array<{ role: string; content: unknown }>, initial: DialogueState = {}): DialogueState {
  const state: DialogueState = { ...initial };
  let lastSystem = '';
  for (const m of messages) {
    if (typeof m.content !== 'string') continue;
    if (m.role === 'assistant') lastSystem = m.content.toLowerCase();
    if (m.role !== 'user') continue;
    const turn = trackTurn(m.content);
    if (Object.keys(turn).length === 0 && GENERIC_DONTCARE.test(m.content.toLowerCase())) {
      const asked = ASKED.find(([, re]) => re.test(lastSystem));
      if (asked) turn[asked[0]] = DONTCARE;
    }
    Object.assign(state, turn);
  }
  return state;
}

/** One line for the terminal: `food=chinese area=centre price range=?`. */
export function formatState(state: DialogueState): string {
  return WOZ_SLOTS.map((s) => `${s}=${state[s] ?? '?'}`).join('  ');
}
