// better-sqlite3 (v12: v13 crashes on Node 20), loaded through createRequire with the small typed surface
// the conversation store uses (the package ships no types and @types/better-sqlite3 is not a dependency).
import { createRequire } from 'node:module';

export interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
  readonly open: boolean;
}

type DatabaseConstructor = new (path: string, opts?: { readonly?: boolean; fileMustExist?: boolean }) => Database;

let ctor: DatabaseConstructor | null = null;

/** Opens (creating) a SQLite database file; ':memory:' for an in-memory one. */
export function openDatabase(path: string): Database {
  ctor ??= createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
  return new ctor(path);
}
