import { headerSubject, StringPool, summarizeHeaders } from '../mime/header-summary.js';
import type { MessageRecord } from './store-change.js';
import { arrivalTags } from './tags.js';
import type { PlacedMessage } from './message-placements.js';
import type { SlabArena } from '../shared/slab-arena.js';
import type { Folder, HeaderSummary, Placement, RelayRecord, StoredMessage } from './types.js';

/** The addresses of summaries made on first read (see MemoryMessage): one bounded pool for every store. */
const lazyStrings = new StringPool();

/**
 * Arrival times are kept as milliseconds from this process's start: V8 keeps a whole number of up to 2^31 in the
 * object itself, while a time since 1970 (~1.8e12) needs a number object of its own per message. Any time still
 * works (further than 24 days from the start it takes that number object again).
 */
const timeBase = Date.now();

/** A list most messages have empty (relays, tags): one shared, frozen, so no message holds an empty array of its own. */
export const emptyList: readonly never[] = Object.freeze([]);

/**
 * What is read from a stored message's record as it was given: the same fields in both kinds of store. The arrival
 * time is kept as a number and `receivedAt` makes a Date on each read: a store holds one of these per message for as
 * long as it runs, and a Date object costs ~100 bytes of V8's heap (and one more object for every collection to
 * copy and mark) where a number costs none in the object.
 */
abstract class StoredMessageFields {
  readonly id: string;
  readonly seq: number;
  readonly source: StoredMessage['source'];
  readonly connection: StoredMessage['connection'];
  relays: readonly RelayRecord[];
  readonly #receivedMs: number;
  /** The envelope, without an object and a list of its own: the one recipient itself, or a frozen list of several. */
  readonly #mailFrom: string;
  readonly #rcptTo: string | readonly string[];
  /**
   * Where the store has placed this message (see placedOf): held by the message itself, not in a map from its id,
   * which cost two lookups in a map of every message per delivery and an entry per message.
   */
  #placed: PlacedMessage | undefined = undefined;

  /** The store's record of a message's placements (message-store.ts alone reads and writes it). */
  static placedOf(message: StoredMessage): PlacedMessage | undefined {
    // A message object the store did not make (none in the product) has no placements.
    return #placed in message ? (message as unknown as StoredMessageFields).#placed : undefined;
  }

  /** `receivedAt` in ms since the epoch, without making a Date. */
  static receivedTimeOf(message: StoredMessage): number {
    return #receivedMs in message ? (message as unknown as StoredMessageFields).#receivedMs + timeBase : message.receivedAt.getTime();
  }

  static setPlaced(message: StoredMessage, placed: PlacedMessage | undefined): void {
    (message as unknown as StoredMessageFields).#placed = placed;
  }

  constructor(r: Pick<StoredMessage, 'id' | 'seq' | 'receivedAt' | 'envelope' | 'source' | 'connection'>, relays: readonly RelayRecord[]) {
    this.id = r.id;
    this.#receivedMs = r.receivedAt.getTime() - timeBase;
    this.seq = r.seq;
    const { mailFrom, rcptTo } = r.envelope;
    this.#mailFrom = mailFrom;
    this.#rcptTo = rcptTo.length === 1 ? rcptTo[0] : rcptTo.length === 0 ? emptyList : Object.isFrozen(rcptTo) ? rcptTo : Object.freeze([...rcptTo]);
    this.source = r.source;
    this.connection = r.connection;
    this.relays = relays;
  }

  get receivedAt(): Date {
    return new Date(this.#receivedMs + timeBase);
  }

  /**
   * A fresh object on each read, whose recipient list the caller may sort or change (the Mailpit API test sorts it in
   * place): a stored message keeps no envelope object and list of its own (two objects a message for every full
   * garbage collection to mark).
   */
  get envelope(): StoredMessage['envelope'] {
    const rcptTo = this.#rcptTo;
    return { mailFrom: this.#mailFrom, rcptTo: typeof rcptTo === 'string' ? [rcptTo] : [...rcptTo] };
  }

  abstract get size(): number;
  abstract get summary(): HeaderSummary;
  abstract get transcript(): StoredMessage['transcript'];
  abstract get tags(): readonly string[];
  abstract set tags(tags: readonly string[]);

  /** The envelope's recipients as stored (no copy), for the arrival tags. */
  protected get recipients(): readonly string[] {
    const rcptTo = this.#rcptTo;
    return typeof rcptTo === 'string' ? [rcptTo] : rcptTo;
  }

  /** Plain data without the bytes (getters alone would be left out of JSON). */
  toJSON(): Omit<StoredMessage, 'raw'> {
    const { id, seq, receivedAt, size, envelope, source, connection, summary, transcript, tags, relays } = this;
    return { id, seq, receivedAt, size, envelope, source, connection, summary, transcript, tags, relays };
  }
}

/** A stored message's placements, as the store records them (undefined: none, e.g. once deleted). */
export const placedOf = (message: StoredMessage): PlacedMessage | undefined => StoredMessageFields.placedOf(message);
export const receivedTimeOf = (message: StoredMessage): number => StoredMessageFields.receivedTimeOf(message);
export const setPlaced = (message: StoredMessage, placed: PlacedMessage | undefined): void => StoredMessageFields.setPlaced(message, placed);

/**
 * A message of the in-memory store, which keeps its bytes. Its header summary is made from those bytes on first
 * read, not at arrival: a message nobody lists, searches or watches (a CI run's thousands) never pays for it, and
 * ingest keeps no summary objects alive for the garbage collector to copy.
 */
export class MemoryMessage extends StoredMessageFields implements StoredMessage {
  /**
   * The bytes, without a Buffer object of their own (~100 bytes of heap each, and one more object per message for
   * every collection to copy and mark): the body is `#size` bytes at `#at` of `#data`, often a slab shared with other
   * messages (MessageStore.bodyBuffer); `raw` makes a view on each read.
   */
  readonly #data: ArrayBuffer;
  readonly #at: number;
  readonly #size: number;
  /**
   * The SMTP transcript: a number is its length in UTF-8 bytes, kept right after the body in `#data` (no string of
   * its own on the heap, see packTranscript); a string when it could not be put there.
   */
  readonly #transcript: string | number | undefined;
  #summary: HeaderSummary | undefined;
  /** Undefined until read when the record had none: then the arrival tags are found in the bytes (see MessageRecord). */
  #tags: readonly string[] | undefined;

  constructor(r: Omit<MessageRecord, 'raw'>, raw: Buffer, relays: readonly RelayRecord[], transcriptBytes = 0) {
    super(r, relays);
    this.#tags = r.tags;
    this.#data = raw.buffer as ArrayBuffer;
    this.#at = raw.byteOffset;
    this.#size = raw.length;
    this.#transcript = transcriptBytes > 0 ? transcriptBytes : r.transcript;
    this.#summary = r.summary;
  }

  get raw(): Buffer {
    return Buffer.from(this.#data, this.#at, this.#size);
  }

  get size(): number {
    return this.#size;
  }

  get transcript(): StoredMessage['transcript'] {
    const t = this.#transcript;
    return typeof t === 'number' ? Buffer.from(this.#data, this.#at + this.#size, t).toString('utf8') : t;
  }

  get summary(): HeaderSummary {
    return (this.#summary ??= summarizeHeaders(this.raw, lazyStrings));
  }

  get tags(): readonly string[] {
    return (this.#tags ??= arrivalTags(this.raw, this.recipients));
  }

  set tags(tags: readonly string[]) {
    this.#tags = tags;
  }

  /** Whether the summary was made already (reading `summary` makes it). */
  get hasSummary(): boolean {
    return this.#summary !== undefined;
  }
}

/**
 * Writes `transcript` right after `raw` when `raw` is the last region taken from `arena` and its slab has room:
 * returns its length in bytes (MemoryMessage's `transcriptBytes`), or 0 when it was not written (the message then
 * keeps the string).
 */
export function packTranscript(arena: SlabArena, raw: Buffer, transcript: string | undefined): number {
  if (!transcript) return 0;
  const length = Buffer.byteLength(transcript, 'utf8');
  const region = arena.extend(raw, length);
  if (!region) return 0;
  // Buffer#utf8Write: Buffer#write less its argument and encoding handling (the length is already known to fit).
  (region as Buffer & { utf8Write(text: string, offset: number, length: number): number }).utf8Write(transcript, 0, length);
  return length;
}

/**
 * A message's Subject as its summary has it, without making the summary of an in-memory message that has none yet
 * (SORT and THREAD read the subjects of a whole folder); a stored summary otherwise (its bytes may be on disk).
 */
export function subjectOf(message: StoredMessage): string {
  return message instanceof MemoryMessage && !message.hasSummary ? headerSubject(message.raw) : message.summary.subject;
}

/**
 * A message whose bytes the backend keeps (on disk, behind its bounded cache): `raw` reads them on each use.
 * A durable store holds one per stored message for as long as it runs, so it is kept small.
 */
export class LazyRawMessage extends StoredMessageFields implements StoredMessage {
  readonly size: number;
  readonly transcript: StoredMessage['transcript'];
  tags: readonly string[];
  readonly summary: StoredMessage['summary'];
  readonly #read: (id: string) => Buffer;

  constructor(fields: Omit<StoredMessage, 'raw'>, read: (id: string) => Buffer) {
    super(fields, fields.relays);
    this.size = fields.size;
    this.summary = fields.summary;
    this.transcript = fields.transcript;
    this.tags = fields.tags;
    this.#read = read;
  }

  get raw(): Buffer {
    return this.#read(this.id);
  }
}

/**
 * A message's place in one folder (see Placement). Its INTERNALDATE is, nearly always, the message's arrival time:
 * then it keeps none of its own (`null`) and reads the message's, so a placement costs no Date of its own.
 */
export class StoredPlacement implements Placement {
  readonly message: StoredMessage;
  folder: Folder;
  readonly uid: number;
  flags: Set<string>;
  recent = true;
  modseq: number;
  readonly #internalDate: Date | null;

  constructor(message: StoredMessage, folder: Folder, uid: number, flags: Set<string>, internalDate: Date | null, modseq: number) {
    this.message = message;
    this.folder = folder;
    this.uid = uid;
    this.flags = flags;
    this.#internalDate = internalDate;
    this.modseq = modseq;
  }

  /** The folder's mailbox: a RENAME moves a placement between folders of one mailbox, never to another. */
  get mailbox(): string {
    return this.folder.mailbox;
  }

  get internalDate(): Date {
    return this.#internalDate ?? this.message.receivedAt;
  }
}
