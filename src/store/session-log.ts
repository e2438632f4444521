import { randomBytes } from 'node:crypto';
import { TypedEmitter } from '../shared/typed-emitter.js';
import { detach } from '../shared/detach.js';
import { decodeTranscript, transcriptRow } from './transcript.js';
import type { TranscriptLine } from './types.js';

export type Protocol = 'smtp' | 'pop3' | 'imap';

/** One protocol session as shown by `GET /api/v1/sessions/:id` and the UI's protocol inspector. */
export interface SessionRecord {
  readonly id: string;
  readonly protocol: Protocol;
  readonly startedAt: Date;
  endedAt: Date | null;
  readonly remoteAddress: string;
  readonly localPort: number;
  /** True once the connection is encrypted (implicit TLS, or after STARTTLS/STLS). */
  tls: boolean;
  /** The login or AUTH user, once authenticated. */
  user: string | null;
  /** Transcript lines (a fresh list on each read); secrets are redacted by the protocol before they get here. */
  readonly lines: TranscriptLine[];
  /** How many lines are kept (`lines.length`, without making the list). */
  readonly lineCount: number;
  /** Lines dropped after the per-session cap. */
  droppedLines: number;
}

/** Rows sealed into one string at a time (see LoggedSession). */
const rowsPerChunk = 64;

/**
 * A session as the log keeps it. Its lines are stored compactly, in the encoding of a stored message's transcript
 * (`<ms since the previous line><dir><text>`, see transcript.ts) and sealed 64 rows at a time into one string: the
 * log holds up to 500 sessions of 2,000 lines, and a line object with its time and text (three heap objects a line)
 * was what every full garbage collection had to mark. `lines` decodes them on each read (the API and tests).
 */
class LoggedSession implements SessionRecord {
  endedAt: Date | null = null;
  user: string | null = null;
  droppedLines = 0;
  readonly startedAt = new Date();
  #chunks: string[] = [];
  #open: string[] = [];
  #count = 0;
  #lastAt = 0;

  constructor(
    readonly id: string,
    readonly protocol: Protocol,
    readonly remoteAddress: string,
    readonly localPort: number,
    public tls: boolean,
  ) {}

  get lineCount(): number {
    return this.#count;
  }

  get lines(): TranscriptLine[] {
    if (this.#count === 0) return [];
    const open = this.#open.length ? [this.#open.join('\n')] : [];
    return decodeTranscript([...this.#chunks, ...open].join('\n'));
  }

  /** Adds a line (no LF in it); `at` in ms since the epoch. */
  add(at: number, dir: TranscriptLine['dir'], line: string): void {
    this.#open.push(transcriptRow(at - this.#lastAt, dir, line));
    this.#lastAt = at;
    this.#count++;
    if (this.#open.length >= rowsPerChunk) this.#seal();
  }

  /**
   * Adds lines (none with an LF) sent at one time, sealed at once: the chunk is a string of its own (a join copies),
   * so the lines may be slices of a larger text without keeping it alive.
   */
  addMany(at: number, dir: TranscriptLine['dir'], lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.#open.push(transcriptRow(at - this.#lastAt, dir, lines[0]));
    for (let i = 1; i < lines.length; i++) this.#open.push(transcriptRow(0, dir, lines[i]));
    this.#lastAt = at;
    this.#count += lines.length;
    this.#seal();
  }

  #seal(): void {
    this.#chunks.push(this.#open.join('\n'));
    this.#open = [];
  }
}

export interface SessionLogEvents {
  'session.started': [session: SessionRecord];
  'session.line': [session: SessionRecord, line: TranscriptLine];
  'session.updated': [session: SessionRecord];
  'session.ended': [session: SessionRecord];
}

/** What a protocol session holds to record itself. */
export interface SessionHandle {
  readonly id: string;
  readonly record: SessionRecord;
  /**
   * Records a line; `dir` C = client, S = server, * = a note. Multi-line text is recorded line by line. Each line
   * kept is copied (a slice of a larger string would keep all of it alive); `isOwn` says the text is a string of its
   * own, not cut from a larger one, so a one-line text is kept as it is (SMTP records every command and reply).
   */
  line(dir: TranscriptLine['dir'], text: string, isOwn?: boolean): void;
  /** Counts `n` lines sent once the transcript is full (`line()` of n placeholder lines, without making them). */
  dropped(n: number): void;
  setUser(user: string): void;
  setTls(): void;
  end(): void;
}

/** Characters kept of one transcript line. */
const maxLineChars = 2000;
/** What a stored line costs besides its characters (the line object, its array slot, the time): an estimate. */
const lineOverheadBytes = 64;

/**
 * The recent protocol sessions of all three protocols: a bounded ring (oldest ended sessions dropped first),
 * each with a bounded transcript, all within a byte budget (oldest sessions dropped first once it is passed).
 */
export class SessionLog extends TypedEmitter<SessionLogEvents> {
  readonly #sessions = new Map<string, SessionRecord>();
  /** Estimated bytes held per kept session; a session no longer here records no more lines. */
  readonly #bytes = new Map<SessionRecord, number>();
  #totalBytes = 0;

  constructor(
    readonly maxSessions: number,
    readonly maxLines: number,
    readonly maxBytes = Infinity,
  ) {
    super();
  }

  /** Estimated bytes of all kept transcripts. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  start(protocol: Protocol, info: { remoteAddress?: string; localPort?: number; tls: boolean }): SessionHandle {
    const record = new LoggedSession(`${protocol}-${randomBytes(6).toString('base64url')}`, protocol, info.remoteAddress ?? '', info.localPort ?? 0, info.tls);
    this.#sessions.set(record.id, record);
    this.#bytes.set(record, 0);
    this.#trim();
    this.emit('session.started', record);
    return {
      id: record.id,
      record,
      line: (dir, text, isOwn = false) => this.#record(record, dir, text, isOwn),
      dropped: (n) => {
        if (n <= 0) return;
        if (record.lineCount >= this.maxLines || !this.#bytes.has(record)) record.droppedLines += n;
        else this.#record(record, 'S', '*' + '\n*'.repeat(n - 1), true);
      },
      setUser: (user) => {
        record.user = user;
        this.emit('session.updated', record);
      },
      setTls: () => {
        record.tls = true;
        this.emit('session.updated', record);
      },
      end: () => {
        if (record.endedAt) return;
        record.endedAt = new Date();
        this.emit('session.ended', record);
      },
    };
  }

  #record(record: LoggedSession, dir: TranscriptLine['dir'], text: string, isOwn: boolean): void {
    // Full (or no longer kept): only count, without splitting (a 10,000-line FETCH answer is one call per batch).
    // Without a trailing LF every part counts, empty ones included, exactly as the loop below counts them.
    if ((record.lineCount >= this.maxLines || !this.#bytes.has(record)) && !text.endsWith('\n')) {
      let parts = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) parts++;
      record.droppedLines += parts;
      return;
    }
    // One line (nearly every call): no split.
    if (!text.includes('\n')) return this.#keep(record, dir, text, isOwn);
    let parts = text.split(/\r?\n/);
    if (text.endsWith('\n')) parts = parts.filter((part) => part !== '');
    this.#keepMany(record, dir, parts);
  }

  /**
   * Lines of one call kept together (a FETCH batch of ~800 lines): what #keep does line by line, with one copy of
   * them all instead of one each. A fresh session's first 10,000-message flag sync spent ~8 ms keeping its first
   * 2,000 lines one at a time.
   */
  #keepMany(record: LoggedSession, dir: TranscriptLine['dir'], parts: string[]): void {
    const held = this.#bytes.get(record);
    const room = held === undefined ? 0 : Math.max(0, this.maxLines - record.lineCount);
    const lines = parts.length <= room ? parts : parts.slice(0, room);
    record.droppedLines += parts.length - lines.length;
    if (held === undefined || lines.length === 0) return;
    let cost = 0;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].length > maxLineChars) lines[i] = lines[i].slice(0, maxLineChars) + '…';
      cost += 2 * lines[i].length + lineOverheadBytes;
    }
    const at = Date.now();
    record.addMany(at, dir, lines);
    this.#charge(record, held, cost);
    // Objects only for someone listening; they go at once (the live feed sends or drops them), so slices are fine.
    if (this.hasListeners('session.line')) for (const line of lines) this.emit('session.line', record, { at, dir, line });
  }

  #keep(record: LoggedSession, dir: TranscriptLine['dir'], part: string, isOwn: boolean): void {
    const held = this.#bytes.get(record);
    if (held === undefined || record.lineCount >= this.maxLines) {
      record.droppedLines++;
      return;
    }
    // A copy unless the line is a string of its own: a slice would keep the whole command line (up to 64 KiB for
    // IMAP) alive for the session's lifetime.
    const line = part.length > maxLineChars ? detach(part.slice(0, maxLineChars) + '…') : isOwn ? part : detach(part);
    const at = Date.now();
    record.add(at, dir, line);
    this.#charge(record, held, 2 * line.length + lineOverheadBytes);
    // The line as an object only for someone listening (the UI's live protocol inspector).
    if (this.hasListeners('session.line')) this.emit('session.line', record, { at, dir, line });
  }

  /** Counts kept lines' estimated `cost` against the session (which held `held`) and the log's byte budget. */
  #charge(record: LoggedSession, held: number, cost: number): void {
    this.#bytes.set(record, held + cost);
    this.#totalBytes += cost;
    if (this.#totalBytes > this.maxBytes) this.#trimBytes(record);
  }

  /** Newest first. */
  list(protocol?: Protocol): SessionRecord[] {
    const all = [...this.#sessions.values()].reverse();
    return protocol ? all.filter((s) => s.protocol === protocol) : all;
  }

  get(id: string): SessionRecord | undefined {
    return this.#sessions.get(id);
  }

  #trim(): void {
    this.#dropOldest(() => this.#sessions.size > this.maxSessions);
  }

  /** Over the byte budget: oldest sessions go first, except the one being written (its lines are capped anyway). */
  #trimBytes(writing: SessionRecord): void {
    this.#dropOldest(() => this.#totalBytes > this.maxBytes, writing);
  }

  /** Drops the oldest ended sessions while `isOver()`, then live ones only when there is nothing else to drop. */
  #dropOldest(isOver: () => boolean, keep?: SessionRecord): void {
    if (!isOver()) return;
    for (const s of this.#sessions.values()) {
      if (!isOver()) return;
      if (s.endedAt && s !== keep) this.#drop(s);
    }
    for (const s of this.#sessions.values()) {
      if (!isOver()) return;
      if (s !== keep) this.#drop(s);
    }
  }

  #drop(record: SessionRecord): void {
    this.#sessions.delete(record.id);
    this.#totalBytes -= this.#bytes.get(record) ?? 0;
    this.#bytes.delete(record);
  }
}
