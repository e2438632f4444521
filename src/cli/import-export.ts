import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MessageStore } from '../store/message-store.js';
import { SqliteBackend } from '../store/sqlite/sqlite-backend.js';
import { summarizeHeaders } from '../mime/header-summary.js';
import { toCrlf } from '../mime/crlf.js';
import { normalizeFolderName } from '../store/mailbox.js';

/** One message read from a file, with the flags its Maildir name carried. */
export interface ImportItem {
  raw: Buffer;
  flags: string[];
  source: string;
}

/** Maildir info letters (`:2,FRS`) and the IMAP flags they stand for (the Maildir spec's list). */
const maildirFlags: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

/**
 * The messages under each path: a `.eml` file, an mbox file (`From ` separated, `>From` unquoted, mboxrd), or a
 * Maildir (a folder with cur/ and new/; flags from the `:2,` suffix of each name). A folder of other files is read as
 * `.eml` files. Line endings become CRLF, as SMTP would have delivered them.
 */
export function* readMessages(paths: readonly string[]): Generator<ImportItem> {
  for (const path of paths) {
    const st = statSync(path);
    if (st.isDirectory()) {
      if (existsSync(join(path, 'cur')) || existsSync(join(path, 'new'))) {
        for (const sub of ['cur', 'new']) {
          const dir = join(path, sub);
          if (!existsSync(dir)) continue;
          for (const name of readdirSync(dir).sort()) {
            const info = /:2,([A-Za-z]*)$/.exec(name)?.[1] ?? '';
            const flags = [...info].map((c) => maildirFlags[c]).filter((f): f is string => f !== undefined);
            yield { raw: toCrlf(readFileSync(join(dir, name))), flags, source: join(dir, name) };
          }
        }
      } else {
        yield* readMessages(readdirSync(path).sort().map((n) => join(path, n)));
      }
      continue;
    }
    const data = readFileSync(path);
    if (data.subarray(0, 5).toString('latin1') === 'From ') {
      let i = 0;
      for (const raw of splitMbox(data)) yield { raw, flags: [], source: `${path}#${++i}` };
    } else yield { raw: toCrlf(data), flags: [], source: path };
  }
}

/** mboxrd: a message starts at a line `From ...`; `>From ` (any number of `>`) in a body loses one `>`. */
export function splitMbox(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  const out: Buffer[] = [];
  const starts: number[] = [];
  const re = /^From [^\n]*\n/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index, m.index + m[0].length);
  for (let k = 0; k < starts.length; k += 2) {
    const end = k + 2 < starts.length ? starts[k + 2] : text.length;
    let body = text.slice(starts[k + 1], end);
    // The blank line mbox puts before the next `From ` belongs to the format, not the message.
    body = body.replace(/\r?\n$/, '').replace(/^>(>*From )/gm, '$1');
    out.push(toCrlf(Buffer.from(body.endsWith('\n') ? body : body + '\n', 'latin1')));
  }
  return out;
}

/** Maildir file name for a stored message: unique, sortable by arrival, with its flags. */
export function maildirName(receivedAt: Date, id: string, flags: readonly string[]): string {
  const letters = Object.entries(maildirFlags)
    .filter(([, f]) => flags.includes(f))
    .map(([c]) => c)
    .join('');
  return `${receivedAt.getTime()}.${id}.mailsandbox:2,${letters}`;
}

interface Target {
  url?: string;
  dataDir?: string;
}

/** `mailsandbox import PATH... (--url URL | --data-dir DIR) [--mailbox ADDR] [--folder NAME]`; returns the exit code. */
export async function importCommand(argv: readonly string[], out: NodeJS.WriteStream = process.stderr): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { url: { type: 'string' }, 'data-dir': { type: 'string' }, mailbox: { type: 'string' }, folder: { type: 'string' } },
  });
  const target = targetOf(values);
  if (positionals.length === 0) throw new UsageError('import: name at least one .eml file, mbox file or Maildir folder');
  const items = [...readMessages(positionals)];
  const folder = normalizeFolderName(values.folder ?? 'INBOX');
  const progress = progressOf(out, 'imported', items.length);
  let n = 0;
  if (target.url) {
    for (const item of items) {
      const params = new URLSearchParams({ folder });
      if (values.mailbox) params.set('mailbox', values.mailbox);
      if (item.flags.length) params.set('flags', item.flags.join(','));
      const res = await fetch(`${target.url.replace(/\/$/, '')}/api/v1/messages?${params}`, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: new Uint8Array(item.raw) });
      if (res.status !== 201) throw new UsageError(`import: ${item.source}: ${res.status} ${await res.text()}`);
      progress(++n);
    }
  } else {
    const store = openStore(target.dataDir!);
    try {
      for (const item of items) {
        const headers = summarizeHeaders(item.raw);
        const mailboxes = values.mailbox ? values.mailbox.split(',') : [...headers.to, ...headers.cc].map((a) => a.address).filter(Boolean);
        if (mailboxes.length === 0) throw new UsageError(`import: ${item.source} has no To or Cc header: pass --mailbox ADDRESS`);
        store.deliver({
          raw: item.raw,
          envelope: { mailFrom: headers.from?.address ?? '', rcptTo: mailboxes },
          source: 'api',
          targets: mailboxes.map((mailbox) => {
            if (!store.getMailbox(mailbox)) store.ensureMailbox(mailbox);
            if (!store.getFolder(mailbox, folder)) store.createFolder(mailbox, folder);
            return { mailbox, folder, flags: item.flags };
          }),
        });
        progress(++n);
      }
    } finally {
      await store.close();
    }
  }
  out.write(`${out.isTTY ? '\n' : ''}imported ${n} message${n === 1 ? '' : 's'}\n`);
  return 0;
}

/** `mailsandbox export --out DIR [--format eml|maildir] (--url URL | --data-dir DIR)`; returns the exit code. */
export async function exportCommand(argv: readonly string[], out: NodeJS.WriteStream = process.stderr): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { url: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' }, format: { type: 'string' } },
  });
  const target = targetOf(values);
  if (!values.out) throw new UsageError('export: --out DIR is required');
  const format = values.format ?? 'eml';
  if (format !== 'eml' && format !== 'maildir') throw new UsageError(`export: --format must be eml or maildir, got ${JSON.stringify(format)}`);
  const dir = values.out;
  if (format === 'maildir') for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  else mkdirSync(dir, { recursive: true });
  const write = (id: string, receivedAt: Date, flags: string[], raw: Buffer) => {
    if (format === 'eml') writeFileSync(join(dir, `${basename(id)}.eml`), raw);
    else writeFileSync(join(dir, 'cur', maildirName(receivedAt, basename(id), flags)), raw);
  };
  let n = 0;
  if (target.url) {
    const base = target.url.replace(/\/$/, '');
    const ids: Array<{ id: string; receivedAt: string }> = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await getJson(`${base}/api/v1/messages?limit=1000&offset=${offset}`)) as { total: number; messages: Array<{ id: string; receivedAt: string }> };
      ids.push(...page.messages);
      if (page.messages.length === 0 || ids.length >= page.total) break;
    }
    const progress = progressOf(out, 'exported', ids.length);
    for (const { id, receivedAt } of ids.reverse()) {
      const res = await fetch(`${base}/api/v1/messages/${encodeURIComponent(id)}/raw`);
      if (!res.ok) continue; // deleted meanwhile
      const raw = Buffer.from(await res.arrayBuffer());
      const flags = format === 'maildir' ? ((await getJson(`${base}/api/v1/messages/${encodeURIComponent(id)}`)) as { flags: string[] }).flags : [];
      write(id, new Date(receivedAt), flags, raw);
      progress(++n);
    }
  } else {
    const store = openStore(target.dataDir!);
    try {
      const all = [...store.newestFirst()].reverse();
      const progress = progressOf(out, 'exported', all.length);
      for (const m of all) {
        const flags = [...new Set(store.placementsOf(m).flatMap((p) => [...p.flags]))];
        write(m.id, m.receivedAt, flags, m.raw);
        progress(++n);
      }
    } finally {
      await store.close();
    }
  }
  out.write(`${out.isTTY ? '\n' : ''}exported ${n} message${n === 1 ? '' : 's'} to ${dir}\n`);
  return 0;
}

/** A mistake in the command line or the input: printed, exit 2. */
export class UsageError extends Error {}

function targetOf(values: { url?: string; 'data-dir'?: string }): Target {
  if (!values.url === !values['data-dir']) throw new UsageError('give one of --url http://HOST:PORT (a running sandbox) or --data-dir DIR (a stopped one)');
  return { url: values.url, dataDir: values['data-dir'] };
}

function openStore(dataDir: string): MessageStore {
  return new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dataDir));
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new UsageError(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** On a terminal, one line rewritten as the count grows; elsewhere nothing until the summary. */
function progressOf(out: NodeJS.WriteStream, verb: string, total: number): (n: number) => void {
  if (!out.isTTY) return () => undefined;
  return (n) => {
    if (n === total || n % 50 === 0) out.write(`\r${verb} ${n}/${total}`);
  };
}
