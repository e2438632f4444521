import type BetterSqlite3 from 'better-sqlite3';

/**
 * The layout version of the SQLite file, kept in `PRAGMA user_version`. A newer file than this build understands is
 * refused; an older one is migrated in place, in one transaction per step (see `migrations`).
 */
export const layoutVersion = 4;

/** Layout 1: the tables a fresh data directory gets. */
const layout1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE mailboxes (address TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE folders (
  mailbox TEXT NOT NULL,
  name TEXT NOT NULL,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL,
  special_use TEXT,
  subscribed INTEGER NOT NULL,
  PRIMARY KEY (mailbox, name)
);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  received_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  source TEXT NOT NULL,
  envelope TEXT NOT NULL,
  connection TEXT NOT NULL,
  summary TEXT NOT NULL,
  transcript TEXT,
  tags TEXT NOT NULL,
  relays TEXT NOT NULL
);
CREATE TABLE bodies (id TEXT PRIMARY KEY, raw BLOB NOT NULL);
CREATE TABLE placements (
  mailbox TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  flags TEXT NOT NULL,
  internal_date INTEGER NOT NULL,
  PRIMARY KEY (mailbox, folder, uid)
) WITHOUT ROWID;
CREATE INDEX placements_by_message ON placements (message_id);
`;

/** `migrations[n]` takes a file from layout n to n + 1: SQL, or a function run inside the step's transaction. */
const migrations: Record<number, string | ((db: BetterSqlite3.Database) => void)> = {
  /**
   * Layout 2: a JSON `extra` column per folder and per placement, for state later IMAP extensions keep (CONDSTORE's
   * per-message MODSEQ and per-folder HIGHESTMODSEQ, QRESYNC's expunged UIDs) without another table. NULL = none.
   */
  1: `
ALTER TABLE folders ADD COLUMN extra TEXT;
ALTER TABLE placements ADD COLUMN extra TEXT;
`,
  /**
   * Layout 3: CONDSTORE/QRESYNC state kept exactly (issue #18): each folder's HIGHESTMODSEQ and the MODSEQ below which
   * its expunged UIDs may have been forgotten, each placement's MODSEQ, and the bounded expunged-UID memory
   * (`vanished`, insertion order = rowid). A file from layout 2 never stored MODSEQs (that build restarted them at
   * the clock in microseconds at every start), so its values start at the clock in microseconds now: above anything it
   * gave out, every message counts as changed once more and what was expunged before counts as forgotten.
   */
  2: (db) => {
    db.exec(`
ALTER TABLE folders ADD COLUMN highest_modseq INTEGER NOT NULL DEFAULT 1;
ALTER TABLE folders ADD COLUMN vanished_floor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE placements ADD COLUMN modseq INTEGER NOT NULL DEFAULT 1;
CREATE TABLE vanished (mailbox TEXT NOT NULL, folder TEXT NOT NULL, uid INTEGER NOT NULL, modseq INTEGER NOT NULL);
CREATE INDEX vanished_by_folder ON vanished (mailbox, folder);
`);
    const base = Date.now() * 1000;
    db.prepare('UPDATE folders SET highest_modseq = ?, vanished_floor = ?').run(base, base);
    db.prepare('UPDATE placements SET modseq = ?').run(base);
  },
  /**
   * Layout 4: fault rules are kept (issue #14). One row per rule, oldest first (rowid): the rule's JSON as validated
   * (id, fields, seed, createdAt), and its hits; `spent` follows from hits and `times`. A layout-3 file had none.
   */
  3: `
CREATE TABLE fault_rules (id TEXT PRIMARY KEY, rule TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0);
`,
};

export function createLayout(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    db.exec(layout1);
    for (let v = 1; v < layoutVersion; v++) runStep(db, migrations[v]);
    db.pragma(`user_version = ${layoutVersion}`);
  })();
}

export function migrate(db: BetterSqlite3.Database, from: number): void {
  for (let v = from; v < layoutVersion; v++) {
    const step = migrations[v];
    if (step === undefined) throw new Error(`no migration from layout ${v}`);
    db.transaction(() => {
      runStep(db, step);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

function runStep(db: BetterSqlite3.Database, step: string | ((db: BetterSqlite3.Database) => void)): void {
  if (typeof step === 'string') db.exec(step);
  else step(db);
}
