import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * better-sqlite3 12.x (the last line that runs on Node 20; 13 needs Node 22) wraps its databases, statements and
 * iterators in `node::ObjectWrap`. On Node 24, ObjectWrap's destructor removes an environment cleanup hook, and it
 * aborts the process (`node::RemoveEnvironmentCleanupHook: Assertion (env) != nullptr`) when V8 collects such an
 * object in a garbage collection that runs with no JavaScript context entered — as reported upstream for 12.x on
 * Node 24, and as it happened here in the store contract tests. So none of those objects may ever become garbage:
 * every one the store makes is kept for the life of the process. They are few: per opened database, the database,
 * its prepared statements (prepared once), one iterator per table read at start; and PRAGMA statements are prepared
 * once per database and reused instead of once per call (the periodic vacuum runs four), so nothing grows with time.
 * A closed database's statements free their SQLite memory at close; only the small JavaScript objects stay.
 */

const kept: object[] = [];
const proxies = new WeakMap<typeof BetterSqlite3, typeof BetterSqlite3>();

interface NativeDatabase {
  prepare(sql: string, owner: object, pragmaMode: boolean): NativeStatement;
}
interface NativeStatement {
  pluck(on?: boolean): NativeStatement;
  get(): unknown;
  all(): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

const require = createRequire(import.meta.url);

/** Objects kept so far (for the test that holds this workaround in place). */
export function keptNativeObjectCount(): number {
  return kept.length;
}

/** Patches the driver once so nothing it creates is ever collected; returns a constructor to use instead of it. */
export function keepNativeObjects(Driver: typeof BetterSqlite3): typeof BetterSqlite3 {
  const known = proxies.get(Driver);
  if (known) return known;
  const { cppdb } = require('better-sqlite3/lib/util.js') as { cppdb: symbol };
  const jsProto = Driver.prototype as unknown as Record<string | symbol, unknown>;
  const pragmaCache = new WeakMap<object, Map<string, NativeStatement>>();
  let nativeProtoPatched = false;

  const keepNative = (db: object): NativeDatabase => {
    const native = (db as Record<symbol, NativeDatabase>)[cppdb];
    if (!nativeProtoPatched) {
      nativeProtoPatched = true;
      const nativeProto = Object.getPrototypeOf(native) as NativeDatabase;
      const prepare = nativeProto.prepare;
      let statementProtoPatched = false;
      nativeProto.prepare = function keptPrepare(this: NativeDatabase, sql: string, owner: object, pragmaMode: boolean): NativeStatement {
        const stmt = prepare.call(this, sql, owner, pragmaMode);
        kept.push(stmt);
        if (!statementProtoPatched) {
          statementProtoPatched = true;
          const stmtProto = Object.getPrototypeOf(stmt) as NativeStatement;
          const iterate = stmtProto.iterate;
          stmtProto.iterate = function keptIterate(this: NativeStatement, ...params: unknown[]) {
            const it = iterate.apply(this, params);
            kept.push(it);
            return it;
          };
        }
        return stmt;
      };
    }
    return native;
  };

  const originalPragma = jsProto.pragma as (this: object, source: string, options?: { simple?: boolean }) => unknown;
  jsProto.pragma = function cachedPragma(this: object, source: string, options?: { simple?: boolean }): unknown {
    if (typeof source !== 'string' || (options != null && typeof options !== 'object')) return originalPragma.call(this, source, options);
    let cache = pragmaCache.get(this);
    if (!cache) pragmaCache.set(this, (cache = new Map()));
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = keepNative(this).prepare(`PRAGMA ${source}`, this, true);
      cache.set(source, stmt);
    }
    const simple = Boolean(options?.simple);
    stmt.pluck(simple);
    return simple ? stmt.get() : stmt.all();
  };

  const proxy = new Proxy(Driver, {
    construct(target, args, newTarget) {
      const db = Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
      kept.push(db);
      keepNative(db);
      return db;
    },
  });
  proxies.set(Driver, proxy);
  return proxy;
}
