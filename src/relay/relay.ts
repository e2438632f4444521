import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Logger } from '../shared/logger.js';
import type { MessageStore } from '../store/message-store.js';
import { compileFilter } from '../store/query.js';
import type { RelayRecord, StoredMessage } from '../store/types.js';
import { RelayAllowList } from './relay-allow-list.js';
import type { RelayTarget } from './relay-url.js';

export interface RelaySettings {
  readonly target: RelayTarget;
  /** Recipient patterns the relay may send to; empty allows nothing. */
  readonly allow: readonly string[];
  /** Envelope sender for every release instead of the message's own (`--relay-return-path`). */
  readonly returnPath?: string;
  /** Search query: every new message that matches is released to its allowed recipients (`--relay-auto`). */
  readonly auto?: string;
  /** Extra trusted CA certificates (PEM), e.g. a test relay's self-signed certificate (library only). */
  readonly ca?: string;
  /** Connection, greeting and socket timeout (default 30 s). */
  readonly timeoutMs?: number;
}

export interface ReleaseResult {
  relayedTo: string[];
  /** The relay's own final reply, e.g. `250 2.0.0 Ok: queued as 1234`. */
  reply: string;
  /** Recipients the relay refused while accepting others. */
  refused: string[];
}

/** Why a release did not happen; `status` is the HTTP answer. */
export class RelayError extends Error {
  constructor(
    readonly status: 404 | 409 | 422 | 502,
    readonly code: 'not_found' | 'relay_not_configured' | 'recipient_not_allowed' | 'no_recipients' | 'relay_failed',
    message: string,
    readonly reply?: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/**
 * nodemailer, loaded when the first relay is made: a sandbox that releases no mail (most) does not carry its ~3 MB
 * of heap. It is CommonJS, so it loads synchronously here.
 */
const loadNodemailer = (): typeof import('nodemailer') => createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');

/**
 * Sends stored messages on to a real SMTP server (SPEC §15), byte for byte, with the original envelope sender.
 * Nothing goes to an address the allow-list does not match; a refusal or an unreachable relay is an error with the
 * relay's own words, and the message stays stored, so the release can simply be tried again.
 */
export class Relay {
  readonly allowList: RelayAllowList;
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;
  readonly #unsubscribe: Array<() => void> = [];
  #closed = false;

  constructor(
    readonly settings: RelaySettings,
    private readonly deps: { store: MessageStore; logger: Logger; lowerBodyText?: (m: StoredMessage) => string },
  ) {
    this.allowList = new RelayAllowList(settings.allow);
    const t = settings.target;
    const timeout = settings.timeoutMs ?? 30_000;
    this.#transport = loadNodemailer().createTransport({
      host: t.host,
      port: t.port,
      secure: t.secure,
      requireTLS: t.requireTls,
      ignoreTLS: t.ignoreTls,
      auth: t.user ? { user: t.user, pass: t.pass ?? '' } : undefined,
      tls: { rejectUnauthorized: t.verifyCertificate, ...(settings.ca ? { ca: settings.ca } : {}) },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    if (settings.auto) this.#startAuto(settings.auto);
  }

  /** `smtp://host:port`, without credentials. */
  get display(): string {
    return this.settings.target.display;
  }

  /**
   * Sends the message's exact bytes to `to` (default: its envelope recipients). Every recipient must pass the
   * allow-list first (422 naming the refused ones, nothing sent). Resolves with the relay's reply.
   */
  async release(id: string, to?: readonly string[]): Promise<ReleaseResult> {
    const message = this.deps.store.get(id);
    if (!message) throw new RelayError(404, 'not_found', `Message ${JSON.stringify(id.slice(0, 40))} not found`);
    const recipients = [...new Set((to ?? message.envelope.rcptTo).map((a) => a.trim()).filter(Boolean))];
    if (recipients.length === 0) throw new RelayError(422, 'no_recipients', 'No recipients to release to');
    const refused = this.allowList.refused(recipients);
    if (refused.length) {
      const allowed = this.settings.allow.length ? `the relay allow-list (${this.settings.allow.join(', ')})` : 'an empty relay allow-list (set --relay-allow)';
      throw new RelayError(422, 'recipient_not_allowed', `Not released: ${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not allowed by ${allowed}; nothing was sent`);
    }
    return this.#send(message, recipients);
  }

  close(): void {
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#transport.close();
  }

  async #send(message: StoredMessage, recipients: string[]): Promise<ReleaseResult> {
    const from = this.settings.returnPath ?? message.envelope.mailFrom;
    try {
      const info = await this.#transport.sendMail({ envelope: { from, to: recipients }, raw: message.raw });
      const refused = (info.rejected ?? []).map(String);
      const relayedTo = recipients.filter((r) => !refused.includes(r));
      this.#record(message, relayedTo, info.response, true);
      return { relayedTo, reply: info.response, refused };
    } catch (err) {
      const e = err as Error & { response?: string; code?: string };
      const reply = e.response ?? `${e.code ?? 'error'}: ${e.message}`;
      this.#record(message, recipients, reply, false);
      const what = e.response ? `refused the message: ${e.response}` : `could not be reached: ${e.message}`;
      throw new RelayError(502, 'relay_failed', `The relay ${this.display} ${what}. The message is still stored; release it again to retry.`, reply);
    }
  }

  #record(message: StoredMessage, to: string[], reply: string, ok: boolean): void {
    const record: RelayRecord = { at: new Date().toISOString(), to, relay: this.display, reply, ok };
    // Decided under the shared write lock where several nodes share the store (at once in memory); a failure to
    // record it is logged, the release itself already happened.
    this.deps.store.exclusive(() => this.deps.store.recordRelay(message.id, record)).catch((err: unknown) => this.deps.logger.warn('relay: could not record a release', { id: message.id, err }));
  }

  /** `--relay-auto`: each new matching message, to the recipients the allow-list permits, after its `250` went out. */
  #startAuto(query: string): void {
    const { store, logger } = this.deps;
    const match = compileFilter({ query }, { lowerBodyText: this.deps.lowerBodyText });
    this.#unsubscribe.push(
      store.on('message.added', (m) => {
        // Several nodes on one database: the node that accepted the message releases it, once.
        if (store.isApplyingRemote || !match(m, store)) return;
        const to = m.envelope.rcptTo.filter((a) => this.allowList.allows(a));
        if (to.length === 0) {
          logger.info(`relay-auto: ${m.id} matches but none of its recipients is allowed; not released`);
          return;
        }
        setImmediate(() => {
          if (this.#closed || !store.get(m.id)) return;
          this.#send(m, to).then(
            (r) => logger.info(`relay-auto: released ${m.id} to ${r.relayedTo.join(', ')} via ${this.display}: ${r.reply}`),
            (err: Error) => logger.warn(`relay-auto: ${m.id}: ${err.message}`),
          );
        });
      }),
    );
  }
}
