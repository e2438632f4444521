// Compiled by `npm run typecheck` (which `npm test` runs first): the library's types serve the common case without
// `!` or casts (SPEC §9, issue 9 §4). A line here that stops compiling, or an @ts-expect-error that stops erroring,
// fails the build.
import nodemailer from 'nodemailer';
import { createClient, createSandbox, type Sandbox, type SandboxWith } from '../../src/index.js';

export async function defaultOptionsGiveNumbers(): Promise<void> {
  const sandbox = await createSandbox();
  nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp });
  createClient(sandbox.url);
  const submission: number = sandbox.ports.submission;
  void submission;
  await sandbox.close();
}

export async function onlyWhatIsTurnedOffIsNull(): Promise<void> {
  const sandbox = await createSandbox({ pop3: { port: false }, http: { port: false }, imap: { port: 0 } });
  const pop3: null = sandbox.ports.pop3;
  const url: null = sandbox.url;
  const imap: number = sandbox.ports.imap;
  // @ts-expect-error a listener turned off is typed null, not number
  const wrong: number = sandbox.ports.pop3;
  void [pop3, url, imap, wrong];
  // A bare `Sandbox` is any sandbox: it takes this one, and its ports are number | null.
  const any: Sandbox = sandbox;
  // @ts-expect-error any sandbox's port may be null
  const unknown: number = any.ports.smtp;
  void unknown;
  await sandbox.close();
}

export async function aVariableDeclaredBeforeTheCall(): Promise<void> {
  let sandbox: SandboxWith<{}>;
  sandbox = await createSandbox({ logLevel: 'silent' });
  nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp });
  await sandbox.close();
}

export async function messagesCarryTheirChecks(): Promise<void> {
  const sandbox = await createSandbox({ logLevel: 'silent' });
  const msg = await sandbox.waitForMessage({ to: 'ann@example.test' });
  const score: number = (await msg.checks('html')).score;
  const report = await sandbox.messages()[0].checks();
  const remote = await createClient(sandbox.url).messages();
  const dkim = (await remote[0].checks('auth')).dkim;
  // @ts-expect-error checks take a known check name
  await msg.checks('nonsense');
  void [score, report, dkim];
  await sandbox.close();
}
