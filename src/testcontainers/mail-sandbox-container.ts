import { AbstractStartedContainer, GenericContainer, Wait } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { createClient } from '../api/client.js';
import type { ClientOptions, MailSandboxClient } from '../api/client.js';
import { cliDefaultPorts } from '../config.js';
import type { ListenerName, SmtpAuthMode } from '../config.js';
import type { LogLevel } from '../shared/logger.js';

/** The ports the image listens on inside the container: the CLI's defaults (SPEC §3), which the image keeps. */
export const containerPorts: Readonly<Record<ListenerName, number>> = cliDefaultPorts;

/** The image used when none is given: `$MAILSANDBOX_IMAGE`, else a local build tagged `mailsandbox:latest`. */
export function defaultImage(): string {
  return process.env.MAILSANDBOX_IMAGE || 'mailsandbox:latest';
}

/** Connection settings a nodemailer transport (or any SMTP client) takes as they are. */
export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  /** The container's certificate is self-signed; nodemailer also verifies it after an opportunistic STARTTLS. */
  tls: { rejectUnauthorized: false };
}

/** Host and port of a POP3 or IMAP listener, as node-pop3 and imapflow take them. */
export interface MailboxServerSettings {
  host: string;
  port: number;
  secure: boolean;
  tls: { rejectUnauthorized: false };
}

/**
 * mailsandbox in a container, for Testcontainers. Every listener is published on a random host port; the
 * container counts as started once `GET /healthz` answers 200 (every listener is up).
 * @example
 * const mail = await new MailSandboxContainer().start();
 * const transport = nodemailer.createTransport(mail.getSmtpSettings());
 * await transport.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'Hi', text: 'Hello' });
 * const msg = await mail.createClient().waitForMessage({ to: 'ann@example.test' });
 * await mail.stop();
 */
export class MailSandboxContainer extends GenericContainer {
  constructor(image: string = defaultImage()) {
    super(image);
    this.withExposedPorts(...Object.values(containerPorts))
      .withWaitStrategy(Wait.forHttp('/healthz', containerPorts.http).forStatusCode(200))
      .withStartupTimeout(60_000);
  }

  /** `off`, `optional` (default) or `required` (SPEC §3 `--smtp-auth`). */
  withSmtpAuth(mode: SmtpAuthMode): this {
    return this.withEnvironment({ MAILSANDBOX_SMTP_AUTH: mode });
  }

  /** Largest accepted message in bytes (`--max-message-size`). */
  withMaxMessageSize(bytes: number): this {
    return this.withEnvironment({ MAILSANDBOX_MAX_MESSAGE_SIZE: String(bytes) });
  }

  /** Retention cap (`--max-messages`); 0 = unlimited. */
  withMaxMessages(count: number): this {
    return this.withEnvironment({ MAILSANDBOX_MAX_MESSAGES: String(count) });
  }

  /** Only these `address: password` pairs may log in (`--users`); without it any password is accepted. */
  withUsers(users: Readonly<Record<string, string>>): this {
    const target = '/tmp/mailsandbox-users.txt';
    const content = Object.entries(users).map(([address, password]) => `${address}:${password}\n`).join('');
    return this.withCopyContentToContainer([{ content, target, mode: 0o444 }]).withEnvironment({ MAILSANDBOX_USERS: target });
  }

  withLogLevel(level: LogLevel): this {
    return this.withEnvironment({ MAILSANDBOX_LOG_LEVEL: level });
  }

  override async start(): Promise<StartedMailSandboxContainer> {
    return new StartedMailSandboxContainer(await super.start());
  }
}

/** A running mailsandbox container: mapped ports, connection settings and an HTTP client. */
export class StartedMailSandboxContainer extends AbstractStartedContainer {
  constructor(started: StartedTestContainer) {
    super(started);
  }

  /** The host port each listener is published on. */
  getPorts(): Record<ListenerName, number> {
    const entries = Object.entries(containerPorts).map(([name, port]) => [name, this.getMappedPort(port)]);
    return Object.fromEntries(entries) as Record<ListenerName, number>;
  }

  /**
   * Plain SMTP (no STARTTLS unless the container runs with `--starttls on`):
   * `nodemailer.createTransport(container.getSmtpSettings())`. nodemailer upgrades whenever STARTTLS is offered,
   * hence the relaxed check of the self-signed certificate.
   */
  getSmtpSettings(): SmtpSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.smtp), secure: false, tls: { rejectUnauthorized: false } };
  }

  /** The submission port, which always offers STARTTLS (as port 587 does); the certificate is self-signed. */
  getSubmissionSettings(): SmtpSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.submission), secure: false, tls: { rejectUnauthorized: false } };
  }

  /** Implicit-TLS SMTP; the certificate is self-signed, so verification is off. */
  getSmtpsSettings(): SmtpSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.smtps), secure: true, tls: { rejectUnauthorized: false } };
  }

  /** Plain POP3 (STLS offered). */
  getPop3Settings(): MailboxServerSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.pop3), secure: false, tls: { rejectUnauthorized: false } };
  }

  /** Plain IMAP (STARTTLS offered); imapflow takes it as is, plus `auth`. */
  getImapSettings(): MailboxServerSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.imap), secure: false, tls: { rejectUnauthorized: false } };
  }

  /** Implicit-TLS POP3. */
  getPop3sSettings(): MailboxServerSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.pop3s), secure: true, tls: { rejectUnauthorized: false } };
  }

  /** Implicit-TLS IMAP. */
  getImapsSettings(): MailboxServerSettings {
    return { host: this.getHost(), port: this.getMappedPort(containerPorts.imaps), secure: true, tls: { rejectUnauthorized: false } };
  }

  /** Base URL of the UI and REST API, e.g. `http://127.0.0.1:32768`. */
  getHttpUrl(): string {
    const host = this.getHost();
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.getMappedPort(containerPorts.http)}`;
  }

  /**
   * A client for the container's REST API: `messages()`, `waitForMessage()`, ... (see `createClient`).
   * Pass `{ auth: 'user:pass' }` when the container was started with `MAILSANDBOX_UI_AUTH`.
   */
  createClient(options?: ClientOptions): MailSandboxClient {
    return createClient(this.getHttpUrl(), options);
  }
}
