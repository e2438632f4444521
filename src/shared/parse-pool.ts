import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ParsedDetails } from '../mime/message-details.js';
import type { MimePartInfo } from '../mime/structure-info.js';

/**
 * From this size up, a message's MIME tree and search text are made in the pool where the caller can wait for them;
 * below it, inline: a round trip costs more than the work (a 64 KiB message's tree and text take a few ms at most).
 */
export const offloadBytes = 64 * 1024;

/** What the pool can do with a message's bytes, and what each answers. */
interface Tasks {
  /** mailparser's parse with readable text, links and codes (the message view). */
  details: ParsedDetails;
  /** The MIME tree as the UI shows it (`GET /messages/:id/structure`). */
  structure: MimePartInfo;
  /** The decoded body text, lower-cased, for word searches (see `cachedLowerBodyText`). */
  'body-text': string;
}
export type ParseKind = keyof Tasks;

/** @internal The message a worker gets. `raw` is a copy whose buffer is transferred. */
export interface ParseRequest {
  id: number;
  kind: ParseKind;
  raw: Uint8Array;
  subject: string;
}

/** @internal ParsedDetails as it crosses the thread boundary: attachment contents as transferred arrays. */
export type WireDetails = Omit<ParsedDetails, 'attachmentContent'> & { contents: Uint8Array[] };

/** @internal A worker's answer. */
export type ParseResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface ParsePoolOptions {
  /** Worker threads at most (default: one fewer than the CPUs, at least 1, at most 4). */
  size?: number;
  /** A parse that takes longer is abandoned and its worker replaced (default 30 s). */
  timeoutMs?: number;
}

interface Job {
  request: ParseRequest;
  transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** Why a parse did not happen: timed out, the worker died, or the pool is closed. */
export class ParseFailed extends Error {
  override name = 'ParseFailed';
}

/**
 * A small pool of worker threads for the MIME work that can take long on a large or hostile message: mailparser
 * (and its one-time ~200 ms load), the readable text of HTML, the MIME tree of a 5,000-part message. The main thread
 * only copies the bytes over and gets plain data back, so its event loop stays within SPEC §10's 200 ms budget
 * whatever arrives. One pool per sandbox (no module-level state): workers start on first use, do not keep the
 * process alive while idle, and are terminated by `close()`. A parse past `timeoutMs` is abandoned (its worker is
 * terminated and replaced), as is one whose worker dies (e.g. out of memory): the caller gets `ParseFailed`.
 */
export class ParsePool {
  readonly size: number;
  readonly timeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #isClosed = false;

  constructor(options: ParsePoolOptions = {}) {
    this.size = Math.max(1, options.size ?? Math.min(4, availableParallelism() - 1));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Runs one task on a copy of `raw` in a worker. Rejects with `ParseFailed` (never blocks the caller's thread). */
  run<K extends ParseKind>(kind: K, raw: Buffer, subject = ''): Promise<Tasks[K]> {
    if (this.#isClosed) return Promise.reject(new ParseFailed('the parse pool is closed'));
    // A copy of exactly the message's bytes: `raw` may be a view into a larger buffer (cloning it would copy all of
    // that), and the stored bytes must stay with the store.
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    const request: ParseRequest = { id: this.#nextId++, kind, raw: copy, subject };
    return new Promise<unknown>((resolve, reject) => {
      this.#queue.push({ request, transfer: [copy.buffer], resolve, reject });
      this.#dispatch();
    }).then((value) => (kind === 'details' ? fromWire(value as WireDetails) : value) as Tasks[K]);
  }

  /** Workers running now (they start on first use). */
  get threads(): number {
    return this.#slots.length;
  }

  /** Terminates every worker; queued and running tasks fail with `ParseFailed`. Safe to call twice. */
  async close(): Promise<void> {
    this.#isClosed = true;
    for (const job of this.#queue.splice(0)) job.reject(new ParseFailed('the parse pool is closed'));
    const slots = this.#slots.splice(0);
    for (const slot of slots) this.#fail(slot, new ParseFailed('the parse pool is closed'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.job === null) ?? (this.#slots.length < this.size ? this.#spawn() : undefined);
      if (!slot) return;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      // Held by a running task only: an idle pool never keeps the process alive.
      slot.worker.ref();
      slot.timer = setTimeout(() => this.#abandon(slot, new ParseFailed(`parse took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
      slot.timer.unref();
      slot.worker.postMessage(job.request, job.transfer);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(workerUrl, { execArgv: workerExecArgv });
    const slot: Slot = { worker, job: null, timer: null };
    worker.on('message', (response: ParseResponse) => {
      const job = slot.job;
      if (!job || job.request.id !== response.id) return;
      this.#settle(slot);
      if (response.ok) job.resolve(response.value);
      else job.reject(new ParseFailed(response.error));
      this.#dispatch();
    });
    worker.on('error', (err) => this.#abandon(slot, new ParseFailed(`parse worker failed: ${err.message}`)));
    worker.on('exit', () => this.#abandon(slot, new ParseFailed('parse worker exited')));
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** The slot's task failed: it is dropped (and its worker terminated); the next task gets a fresh worker. */
  #abandon(slot: Slot, err: ParseFailed): void {
    const at = this.#slots.indexOf(slot);
    if (at < 0) return;
    this.#slots.splice(at, 1);
    this.#fail(slot, err);
    void slot.worker.terminate();
    this.#dispatch();
  }

  #fail(slot: Slot, err: ParseFailed): void {
    const job = slot.job;
    this.#settle(slot);
    job?.reject(err);
  }

  #settle(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    slot.worker.unref();
  }
}

function fromWire(wire: WireDetails): ParsedDetails {
  const { contents, ...rest } = wire;
  const buffers = contents.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return { ...rest, attachmentContent: (index) => buffers[index] };
}

/**
 * The worker's script beside this module: the compiled `.js` in a package; when this module runs from its
 * TypeScript source (the test suite), the `.ts` file, loaded through a small type-stripping hook, since Node 20 does
 * not run TypeScript itself.
 */
const isSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(isSource ? './parse-worker.ts' : './parse-worker.js', import.meta.url);
const hooksUrl = new URL('../../scripts/ts-worker-hooks.mjs', import.meta.url).href;
const workerExecArgv = isSource ? ['--import', `data:text/javascript,import{register}from'node:module';register(${encodeURIComponent(JSON.stringify(hooksUrl))})`] : [];
