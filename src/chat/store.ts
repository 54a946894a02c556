// The conversation store: sessions and their messages in SQLite (WAL), schema upgraded by numbered
// migrations tracked in PRAGMA user_version. Each turn is written in one transaction as it completes,
// so a crash or Ctrl-C never loses a finished turn.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { openDatabase, type Database } from './sqlite.js';

export type Role = 'system' | 'user' | 'assistant';
export interface StoredMessage {
  role: Role;
  content: string;
}
export interface SessionInfo {
  id: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  messages: number;
}

/** Migration i (1-based) brings the schema from version i-1 to i. Append only; never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE sessions (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE messages (
     id INTEGER PRIMARY KEY,
     session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
     content TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     UNIQUE (session_id, seq)
   );`,
  `ALTER TABLE messages ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;`,
];

export const DEFAULT_DB_PATH = join(homedir(), '.bertchat', 'chat.db');

export class ConversationStore {
  private constructor(private readonly db: Database) {}

  /**
   * Opens (creating folders and schema) a store.
   * @example const store = ConversationStore.open(':memory:'); const s = store.session('demo');
   */
  static open(path: string = DEFAULT_DB_PATH): ConversationStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Database;
    try {
      db = openDatabase(path);
    } catch (e) {
      throw new BertchatError('IO', `cannot open the conversation database ${path}: ${(e as Error).message}`, { file: path });
    }
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 2000');
    migrate(db);
    return new ConversationStore(db);
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** The session with this name, created when missing. */
  session(name: string): SessionInfo {
    const now = Date.now();
    this.db.prepare('INSERT INTO sessions (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, now, now);
    return this.info(name)!;
  }

  info(name: string): SessionInfo | null {
    const r = this.db
      .prepare('SELECT s.id, s.name, s.created_at AS createdAt, s.updated_at AS updatedAt, (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS messages FROM sessions s WHERE s.name = ?')
      .get(name) as SessionInfo | undefined;
    return r ?? null;
  }

  /** A fresh session name, `chat-YYYYMMDD-HHMMSS` (with a suffix when taken). */
  newSessionName(now = new Date()): string {
    const p = (n: number) => String(n).padStart(2, '0');
    const base = `chat-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
    let name = base;
    for (let i = 2; this.info(name) !== null; i++) name = `${base}-${i}`;
    return name;
  }

  listSessions(): SessionInfo[] {
    return this.db
      .prepare('SELECT s.id, s.name, s.created_at AS createdAt, s.updated_at AS updatedAt, (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS messages FROM sessions s ORDER BY s.updated_at DESC')
      .all() as SessionInfo[];
  }

  messages(sessionId: number): StoredMessage[] {
    return this.db.prepare('SELECT role, content FROM messages WHERE session_id = ? ORDER BY seq').all(sessionId) as StoredMessage[];
  }

  /** Appends messages in one transaction (a whole turn: user + assistant). */
  append(sessionId: number, msgs: Array<StoredMessage & { interrupted?: boolean }>): void {
    const now = Date.now();
    const next = this.db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS seq FROM messages WHERE session_id = ?');
    const insert = this.db.prepare('INSERT INTO messages (session_id, seq, role, content, created_at, interrupted) VALUES (?, ?, ?, ?, ?, ?)');
    const touch = this.db.prepare('UPDATE sessions SET updated_at = ? WHERE id = ?');
    this.db.transaction(() => {
      let seq = (next.get(sessionId) as { seq: number }).seq;
      for (const m of msgs) insert.run(sessionId, seq++, m.role, m.content, now, m.interrupted ? 1 : 0);
      touch.run(now, sessionId);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new BertchatError('IO', `the conversation database has schema version ${current}, newer than this bertchat (${MIGRATIONS.length}); upgrade bertchat`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
