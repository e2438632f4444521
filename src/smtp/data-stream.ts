import type { Writable } from 'node:stream';

/**
 * smtp-server 3.21.6's `SMTPStream._feedDataStream` (Copyright (c) 2015-2025 Andris Reinman, MIT; the license is in
 * THIRD_PARTY_NOTICES.md), with one change: the search for a line
 * that starts with a dot uses `Buffer.indexOf` (native, memchr-based) instead of a JavaScript loop over every byte.
 * That loop was ~12 % of the server's CPU for 100 KB messages (~130 µs a message). Everything else — the terminator
 * and escape-dot rules, the `_atDataStart` smuggling guard, byte counting, backpressure — is the library's code as it
 * is; `test/unit/smtp-data-stream.test.ts` fails when the installed library's version of this method changes,
 * so a new smtp-server release can't silently diverge from this copy.
 */

const endSequence = Buffer.from('\r\n.\r\n');
const dotLine = Buffer.from('.\r\n');
const lineStartDot = Buffer.from('\n.');

type Done = (err?: Error | null) => void;

/** The SMTPStream (3.21.6) state this method reads and writes. */
export interface DataStreamParser {
  _dataStream: (Writable & { writable: boolean }) | null;
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _countDataBytes(len: number): void;
  _endDataMode(chunk: Buffer | false, remainder: Buffer, done: Done): void;
  _feedDataStream(chunk: Buffer, done: Done): void;
}

/** Processes a chunk in data mode: escape dots are removed and the final dot ends data mode. `this` is the parser. */
export function feedDataStream(this: DataStreamParser, chunk: Buffer, done: Done): void {
  const dataStream = this._dataStream as Writable;
  if (this._lastBytes && this._lastBytes.length) {
    chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
  let len = chunk.length;
  // The library's guard against SMTP smuggling: a lone "." line at the very start of DATA (see smtp-stream.js).
  if (this._atDataStart && len >= 3 && Buffer.compare(chunk.subarray(0, 3), dotLine) === 0) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === 0x2e && chunk[1] === 0x2e) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // The library scans i = 2 .. len - 3 for chunk[i - 1] === LF && chunk[i] === '.'; these are the same positions.
  for (let lf = chunk.indexOf(lineStartDot, 1); lf >= 0 && lf + 1 < len - 2; lf = chunk.indexOf(lineStartDot, lf + 1)) {
    const i = lf + 1;
    if (Buffer.compare(chunk.subarray(i - 2, i + 3), endSequence) === 0) {
      const buf = chunk.subarray(0, i);
      this._countDataBytes(buf.length);
      this._endDataMode(buf, chunk.subarray(i + 3), done);
      return;
    }
    if (chunk[i + 1] === 0x2e) {
      const buf = chunk.subarray(0, i);
      this._lastBytes = false;
      this._countDataBytes(buf.length);
      if (dataStream.writable) dataStream.write(buf);
      const rest = chunk.subarray(i + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  emitAllButTail(this, dataStream, chunk, done);
}

/** Emits the chunk except its last 4 bytes (kept for a terminator split across chunks), honouring backpressure. */
function emitAllButTail(parser: DataStreamParser, dataStream: Writable, chunk: Buffer, done: Done): void {
  parser._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (parser._lastBytes.length >= chunk.length) return done();
  const buf = chunk.subarray(0, chunk.length - parser._lastBytes.length);
  parser._countDataBytes(buf.length);
  if (!dataStream.writable) return done();
  const handled = dataStream.write(buf);
  if (handled || dataStream.destroyed) return done();
  // A stream that the application destroys never drains, it only closes.
  const onDrain = () => {
    dataStream.removeListener('drain', onDrain);
    dataStream.removeListener('close', onDrain);
    done();
  };
  dataStream.once('drain', onDrain);
  dataStream.once('close', onDrain);
}
