import { randomBytes } from 'node:crypto';
import { TypedEmitter } from '../shared/typed-emitter.js';
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
  /** Transcript lines; secrets are redacted by the protocol before they get here. */
  readonly lines: TranscriptLine[];
  /** Lines dropped after the per-session cap. */
  droppedLines: number;
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
  /** Records a line; `dir` C = client, S = server, * = a note. Multi-line text is recorded line by line. */
  line(dir: TranscriptLine['dir'], text: string): void;
  setUser(user: string): void;
  setTls(): void;
  end(): void;
}

/**
 * The recent protocol sessions of all three protocols: a bounded ring (oldest ended sessions dropped first),
 * each with a bounded transcript.
 */
export class SessionLog extends TypedEmitter<SessionLogEvents> {
  readonly #sessions = new Map<string, SessionRecord>();

  constructor(
    readonly maxSessions: number,
    readonly maxLines: number,
  ) {
    super();
  }

  start(protocol: Protocol, info: { remoteAddress?: string; localPort?: number; tls: boolean }): SessionHandle {
    const record: SessionRecord = {
      id: `${protocol}-${randomBytes(6).toString('base64url')}`,
      protocol,
      startedAt: new Date(),
      endedAt: null,
      remoteAddress: info.remoteAddress ?? '',
      localPort: info.localPort ?? 0,
      tls: info.tls,
      user: null,
      lines: [],
      droppedLines: 0,
    };
    this.#sessions.set(record.id, record);
    this.#trim();
    this.emit('session.started', record);
    return {
      id: record.id,
      record,
      line: (dir, text) => this.#record(record, dir, text),
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

  #record(record: SessionRecord, dir: TranscriptLine['dir'], text: string): void {
    for (const part of text.split(/\r?\n/)) {
      if (part === '' && text.endsWith('\n')) continue;
      if (record.lines.length >= this.maxLines) {
        record.droppedLines++;
        continue;
      }
      const entry: TranscriptLine = { at: Date.now(), dir, line: part.length > 2000 ? part.slice(0, 2000) + '…' : part };
      record.lines.push(entry);
      this.emit('session.line', record, entry);
    }
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
    if (this.#sessions.size <= this.maxSessions) return;
    // Drop the oldest ended sessions first; live ones only when there is nothing else to drop.
    for (const [id, s] of this.#sessions) {
      if (this.#sessions.size <= this.maxSessions) return;
      if (s.endedAt) this.#sessions.delete(id);
    }
    for (const id of this.#sessions.keys()) {
      if (this.#sessions.size <= this.maxSessions) return;
      this.#sessions.delete(id);
    }
  }
}
