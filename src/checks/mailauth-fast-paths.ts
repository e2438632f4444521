import { createRequire } from 'node:module';

/**
 * Fast paths for the two per-byte loops of mailauth's DKIM body handling, pinned to mailauth 4.13.3 (package.json).
 *
 * For a 1 MB body most of a DKIM verification was two JavaScript loops over every byte (docs/benchmarks.md, "Message
 * checks"): the message parser's line-break repair (`MessageParser#ensureLinebreaks`, bare LF → CRLF) and the relaxed
 * body canonicaliser (`RelaxedHash#update`, RFC 6376 §3.4.4: WSP runs, trailing WSP, bare LF). Most mail needs neither
 * rewrite. Here a chunk is first searched with `Buffer.indexOf` (native memchr/memmem) for anything the loop would
 * change; a chunk with none of it is passed on exactly as the stock loop passes a chunk in which it changes nothing.
 * Any other chunk, and the relaxed hash's final call, go to the stock code unchanged, so the bytes hashed are the
 * library's in every case: test/unit/checks/mailauth-fast-paths.test.ts compares both on random bodies split at
 * random points, and fails if a mailauth upgrade moves what is patched here.
 */

const require = createRequire(import.meta.url);

const tab = 0x09;
const lf = 0x0a;
const cr = 0x0d;
const doubleSpace = Buffer.from('  ');
const spaceCrLf = Buffer.from(' \r\n');

interface RelaxedHashInternals {
  byteLength: number;
  maxSizeReached: boolean;
  remainder: Buffer | false;
  _pushBodyHash(chunk: Buffer): void;
  update(chunk: Buffer | null, final?: boolean): void;
}

interface MessageParserInternals {
  /** The last byte seen that was not an LF (the stock loop's state across chunks). */
  lastByte?: number;
  ensureLinebreaks(input: Buffer): Generator<Buffer>;
}

type Patchable<T> = { prototype: T };

/** mailauth's RelaxedHash class (what its DKIM verifier and signer hash relaxed bodies with). */
export function relaxedHashClass(): Patchable<RelaxedHashInternals> {
  return (require('mailauth/lib/dkim/body/relaxed.js') as { RelaxedHash: Patchable<RelaxedHashInternals> }).RelaxedHash;
}

/** mailauth's MessageParser class (the base of its DKIM verifier and signer streams). */
export function messageParserClass(): Patchable<MessageParserInternals> {
  return (require('mailauth/lib/dkim/message-parser.js') as { MessageParser: Patchable<MessageParserInternals> }).MessageParser;
}

/** True when relaxed canonicalisation leaves every complete line of `chunk` (which starts at a line start) as it is. */
export function needsNoRelaxedFixing(chunk: Buffer): boolean {
  if (chunk.indexOf(tab) !== -1 || chunk.indexOf(doubleSpace) !== -1 || chunk.indexOf(spaceCrLf) !== -1) return false;
  for (let i = chunk.indexOf(lf); i !== -1; i = chunk.indexOf(lf, i + 1)) {
    if (i === 0 || chunk[i - 1] !== cr) return false; // a bare LF (or ` \n`) is rewritten
  }
  return true;
}

/**
 * True when the stock line-break repair would pass `input` through whole: every LF follows a CR (`lastByte`, the
 * last non-LF byte of earlier chunks, for an LF at the start). An LF after an LF is left to the stock loop.
 */
export function hasNoBareLf(input: Buffer, lastByte: number | undefined): boolean {
  for (let i = input.indexOf(lf); i !== -1; i = input.indexOf(lf, i + 1)) {
    if ((i === 0 ? lastByte : input[i - 1]) !== cr) return false;
  }
  return true;
}

/** The stock methods, kept for the chunks the fast paths do not take (and for the equivalence tests). */
export const stock: { relaxedUpdate?: RelaxedHashInternals['update']; ensureLinebreaks?: MessageParserInternals['ensureLinebreaks'] } = {};

/** Installs both fast paths once per process; false if mailauth's internals are not what this was written for. */
export function installMailauthFastPaths(): boolean {
  if (stock.relaxedUpdate && stock.ensureLinebreaks) return true;
  const relaxed = relaxedHashClass().prototype;
  const parser = messageParserClass().prototype;
  if (typeof relaxed.update !== 'function' || typeof relaxed._pushBodyHash !== 'function' || typeof parser.ensureLinebreaks !== 'function') return false;

  const stockUpdate = relaxed.update;
  stock.relaxedUpdate = stockUpdate;
  relaxed.update = function fastRelaxedUpdate(this: RelaxedHashInternals, chunk: Buffer | null, final?: boolean): void {
    if (final || !chunk || !chunk.length || this.maxSizeReached) {
      stockUpdate.call(this, chunk, final);
      return;
    }
    const joined = this.remainder && this.remainder.length ? Buffer.concat([this.remainder, chunk]) : chunk;
    if (!needsNoRelaxedFixing(joined)) {
      stockUpdate.call(this, chunk, final);
      return;
    }
    // What the stock loop does when no line needs fixing: hash the complete lines, keep the partial last one.
    this.byteLength += chunk.length;
    this.remainder = false;
    const lastLf = joined.lastIndexOf(lf);
    if (lastLf >= 0) this._pushBodyHash(joined.subarray(0, lastLf + 1));
    if (lastLf + 1 < joined.length) this.remainder = joined.subarray(lastLf + 1);
  };

  const stockEnsure = parser.ensureLinebreaks;
  stock.ensureLinebreaks = stockEnsure;
  parser.ensureLinebreaks = function* fastEnsureLinebreaks(this: MessageParserInternals, input: Buffer): Generator<Buffer> {
    if (!hasNoBareLf(input, this.lastByte)) {
      yield* stockEnsure.call(this, input);
      return;
    }
    for (let i = input.length - 1; i >= 0; i--) {
      if (input[i] !== lf) {
        this.lastByte = input[i];
        break;
      }
    }
    yield input;
  };
  return true;
}

installMailauthFastPaths();
