#!/usr/bin/env node
// Turns the WOZ 2.0 restaurant dialogues into chat-format JSONL for `bertchat train --objective causal-lm`,
// plus the tokenizer-training text, and (second mode) finishes a trained tokenizer folder with the ChatML
// chat template and <|im_end|> as eos. Plain Node, no dependencies; reproducible (no randomness).
//
//   node scripts/prepare-woz-chat.mjs OUT_DIR [--data DIR]       → OUT_DIR/{train,validation}.jsonl, train-text.txt
//   node scripts/prepare-woz-chat.mjs --finish-tokenizer TOK_DIR → TOK_DIR/tokenizer_config.json, special_tokens_map.json
//
// WOZ 2.0 turn i holds `system_transcript`, the system utterance that PRECEDES the user's `transcript` of turn i,
// so user turn i is answered by turn i+1's system_transcript; the last user turn (usually "thanks, bye") has no
// recorded answer and is dropped. Validation = woz_validate_en.json only, never trained on.
//
// CamRest676 is NOT used: 367 of its 676 dialogues are WOZ 2.0 train dialogues, 102 are validation dialogues and
// most of the rest (≈200 that match neither) are, by elimination, in the held-back WOZ 2.0 test file, so adding
// them would add nothing new (train), contaminate the validation set, or leak the independent test set.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYSTEM_PROMPT = 'You are a restaurant booking assistant for Cambridge. Help the user find a restaurant by food, area and price range, and give its address, phone number and postcode.';

/** ChatML; a conversation without a system message gets the training system prompt, as Qwen2's template does. */
export const CHAT_TEMPLATE =
  "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n" + SYSTEM_PROMPT + "<|im_end|>\\n' }}{% endif %}" +
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_DATA = join(here, '..', '..', 'shared', 'data', 'woz');

/** Collapses runs of whitespace and trims ("Thank you.  That is all" → "Thank you. That is all"). */
export function clean(s) {
  return String(s ?? '').replace(/\s+/g, ' ').trim();
}

/** One WOZ 2.0 dialogue → chat messages (system prompt, then user/assistant pairs). */
export function wozToMessages(dialogue) {
  const turns = dialogue.dialogue;
  const messages = [{ role: 'system', content: SYSTEM_PROMPT }];
  for (let i = 0; i + 1 < turns.length; i++) {
    const user = clean(turns[i].transcript);
    const reply = clean(turns[i + 1].system_transcript);
    if (!user || !reply) break; // keep strict alternation: stop at a gap
    messages.push({ role: 'user', content: user }, { role: 'assistant', content: reply });
  }
  return messages.length > 1 ? messages : null;
}

function convert(file) {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  return data.map(wozToMessages).filter(Boolean);
}

/** The text a ChatML model sees (what the tokenizer should learn merges from). */
function render(messages) {
  return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('');
}

function prepare(out, dataDir) {
  mkdirSync(out, { recursive: true });
  const train = convert(join(dataDir, 'woz_train_en.json'));
  const validation = convert(join(dataDir, 'woz_validate_en.json'));
  const jsonl = (rows) => rows.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
  writeFileSync(join(out, 'train.jsonl'), jsonl(train));
  writeFileSync(join(out, 'validation.jsonl'), jsonl(validation));
  writeFileSync(join(out, 'train-text.txt'), train.map(render).join(''));
  const pairs = (rows) => rows.reduce((n, m) => n + (m.length - 1) / 2, 0);
  console.log(JSON.stringify({ out, train_dialogues: train.length, train_pairs: pairs(train), validation_dialogues: validation.length, validation_pairs: pairs(validation) }));
}

/** Sets the chat template and the ChatML specials (eos <|im_end|>, pad/bos <|endoftext|>) on a tokenizer folder. */
function finishTokenizer(dir) {
  const cfgPath = join(dir, 'tokenizer_config.json');
  if (!existsSync(cfgPath)) throw new Error(`${cfgPath} not found (train the tokenizer first)`);
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  Object.assign(cfg, {
    bos_token: '<|endoftext|>',
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    chat_template: CHAT_TEMPLATE,
  });
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2) + '\n');
  const mapPath = join(dir, 'special_tokens_map.json');
  const map = existsSync(mapPath) ? JSON.parse(readFileSync(mapPath, 'utf8')) : {};
  Object.assign(map, { bos_token: '<|endoftext|>', eos_token: '<|im_end|>', pad_token: '<|endoftext|>', unk_token: '<|endoftext|>', additional_special_tokens: ['<|im_start|>', '<|im_end|>'] });
  writeFileSync(mapPath, JSON.stringify(map, null, 2) + '\n');
  console.log(JSON.stringify({ tokenizer: dir, eos_token: '<|im_end|>', chat_template: true }));
}

function main(argv) {
  const i = argv.indexOf('--finish-tokenizer');
  if (i >= 0) {
    if (!argv[i + 1]) throw new Error('--finish-tokenizer needs a tokenizer folder');
    return finishTokenizer(argv[i + 1]);
  }
  const d = argv.indexOf('--data');
  const dataDir = d >= 0 ? argv[d + 1] : DEFAULT_DATA;
  const out = argv.find((a, k) => !a.startsWith('--') && (d < 0 || k !== d + 1));
  if (!out) {
    console.error('usage: node scripts/prepare-woz-chat.mjs OUT_DIR [--data WOZ_DIR] | --finish-tokenizer TOK_DIR');
    process.exit(2);
  }
  prepare(out, dataDir);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
