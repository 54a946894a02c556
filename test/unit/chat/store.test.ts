// The SQLite conversation store and the dialogue loop: migrations by version, WAL, turns committed as
// they complete, resume by session name, context overflow handling, interrupted replies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationStore, MIGRATIONS } from '../../../src/chat/store.js';
import { Dialogue, type ChatBackend } from '../../../src/chat/dialogue.js';
import { openDatabase } from '../../../src/chat/sqlite.js';
import { BertchatError } from '../../../src/util/errors.js';
import type { ChatMessage } from '../../../src/tokenizers/index.js';

const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'bertchat-chat-')), 'sub', 'chat.db');

/** Replies "echo: <last user message>" in two pieces; throws CONTEXT_LENGTH beyond `maxMessages`. */
function echoBackend(maxMessages = 100, seen: ChatMessage[][] = []): ChatBackend {
  return {
    async *reply(messages, signal) {
      seen.push(messages);
      if (messages.length > maxMessages) throw new BertchatError('CONTEXT_LENGTH', 'too long');
      yield 'echo: ';
      await new Promise((r) => setTimeout(r, 5));
      if (signal?.aborted) throw new BertchatError('CANCELLED', 'stop');
      yield String(messages.at(-1)!.content);
    },
  };
}

test('schema is created by migrations (user_version), in WAL mode, and reopening does not re-run them', () => {
  const path = tmpDb();
  const s1 = ConversationStore.open(path);
  assert.equal(s1.schemaVersion, MIGRATIONS.length);
  s1.close();
  const db = openDatabase(path);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  const s2 = ConversationStore.open(path);
  assert.equal(s2.schemaVersion, MIGRATIONS.length);
  s2.close();
});

test('an old database (version 1) is upgraded in place, keeping its rows', () => {
  const path = tmpDb();
  ConversationStore.open(path).close();
  const db = openDatabase(path);
  db.exec('DROP TABLE messages; DROP TABLE sessions;');
  db.pragma('user_version = 0');
  db.exec(MIGRATIONS[0]!);
  db.pragma('user_version = 1');
  db.prepare('INSERT INTO sessions (name, created_at, updated_at) VALUES (?, 0, 0)').run('old');
  db.prepare("INSERT INTO messages (session_id, seq, role, content, created_at) VALUES (1, 0, 'user', 'hi', 0)").run();
  db.close();
  const store = ConversationStore.open(path);
  assert.equal(store.schemaVersion, MIGRATIONS.length);
  assert.deepEqual(store.messages(store.session('old').id), [{ role: 'user', content: 'hi' }]);
  store.close();
});

test('each turn is committed when it completes; a new store on the same file resumes the session', async () => {
  const path = tmpDb();
  const store = ConversationStore.open(path);
  const d = new Dialogue(store, echoBackend(), 'demo', 'You are a restaurant assistant.');
  const pieces: string[] = [];
  const r = await d.turn('cheap food in the north', (p) => pieces.push(p));
  assert.equal(r.reply, 'echo: cheap food in the north');
  assert.deepEqual(pieces, ['echo: ', 'cheap food in the north']);
  // committed already: another connection sees it while the first is still open
  const other = ConversationStore.open(path);
  assert.equal(other.info('demo')!.messages, 2);
  other.close();
  await d.turn('chinese please', () => {});
  assert.deepEqual(d.state, { 'price range': 'cheap', area: 'north', food: 'chinese' });
  store.close();
  const again = ConversationStore.open(path);
  const resumed = new Dialogue(again, echoBackend(), 'demo');
  assert.equal(resumed.messages.length, 4);
  assert.equal(resumed.messages[3]!.content, 'echo: chinese please');
  resumed.newSession('fresh');
  assert.equal(resumed.messages.length, 0);
  assert.deepEqual(again.listSessions().map((s) => s.name).sort(), ['demo', 'fresh']);
  again.close();
});

test('history beyond the context drops the oldest turns; an aborted reply is kept, marked interrupted', async () => {
  const store = ConversationStore.open(':memory:');
  const seen: ChatMessage[][] = [];
  const d = new Dialogue(store, echoBackend(3, seen), 's');
  await d.turn('one', () => {});
  const r = await d.turn('two', () => {}); // 3 messages fit
  assert.equal(r.dropped, 0);
  const r3 = await d.turn('three', () => {}); // 5 do not: drop the oldest turn
  assert.equal(r3.dropped, 2);
  assert.deepEqual(seen.at(-1)!.map((m) => m.content), ['two', 'echo: two', 'three']);
  const ac = new AbortController();
  const r4 = await d.turn('four', () => ac.abort(), ac.signal);
  assert.equal(r4.interrupted, true);
  assert.equal(r4.reply, 'echo: ');
  assert.equal(d.messages.length, 8);
  assert.equal(store.newSessionName(new Date(2024, 0, 2, 3, 4, 5)), 'chat-20240102-030405');
  store.close();
});
