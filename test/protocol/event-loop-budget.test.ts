import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * SPEC §10 "Event loop" (issue 10, finding 2): no single message may block the process for long. Each message of a
 * hostile corpus is delivered over SMTP and opened through the API (parsed view, HTML, raw, structure, a body-text
 * search) and the library (`waitForMessage` returns the parsed message); meanwhile the event-loop delay is recorded
 * and a second client keeps opening SMTP connections and timing the greeting. Before the fix the first message alone
 * blocked for ~10 s; until parsing moved to worker threads (src/shared/parse-pool.ts), mailparser's first load,
 * a 5,000-part message and quoted-printable junk still took 200–1,200 ms.
 *
 * The sandbox runs in a child process of its own (from the TypeScript source, through the same type-stripping hooks
 * the parse pool's workers use) and measures its own event loop there, so what is measured is the server's work
 * alone: the clients' work on 2 MB messages (nodemailer dot-stuffing junk full of bare CRs takes over a second;
 * fetch() joining 2 MB bodies) stays in this process, as it would in a real test suite's.
 */
const budgetMs = 200;

const header = (extra = '', type = 'text/plain; charset=utf-8') =>
  `From: a@example.test\r\nTo: bob@example.test\r\nSubject: hostile\r\nMessage-ID: <${Math.random()}@x.test>\r\n${extra}MIME-Version: 1.0\r\nContent-Type: ${type}\r\n\r\n`;

function deepNesting(levels: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < levels; i++) {
    open += `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`;
    close = `\r\n--b${i}--\r\n` + close;
  }
  return header('', 'multipart/mixed; boundary="b0"') + open + `--b${levels}\r\nContent-Type: text/html\r\n\r\n<p>deep</p>\r\n--b${levels}--\r\n` + close;
}

function manyParts(count: number): string {
  const parts = Array.from({ length: count }, (_, i) => `--p\r\nContent-Type: text/html\r\n\r\n<p>part ${i}</p>\r\n`).join('');
  return header('', 'multipart/mixed; boundary="p"') + parts + '--p--\r\n';
}

const lines = (s: string) => s.replace(/(.{998})/g, '$1\r\n');

/** name → raw message; sizes stay around 1–2 MB so the run is quick but each one is far past "normal". */
const corpus: Array<[string, () => string]> = [
  ['a 1 MB HTML table of 200,000 cells (the review’s reproduction)', () => header('', 'text/html') + lines('<table><tr>' + '<td>x'.repeat(200_000)) + '\r\n'],
  ['a 1.95 MB HTML table', () => header('', 'text/html') + lines('<table><tr>' + '<td>x'.repeat(390_000)) + '\r\n'],
  ['huge single-line HTML (one 2 MB line of nested tags)', () => header('', 'text/html') + '<div><b><i>'.repeat(180_000) + '\r\n'],
  ['deep HTML nesting in lines', () => header('', 'text/html') + lines('<ul><li>'.repeat(200_000)) + '\r\n'],
  ['deep MIME nesting (1,000 levels)', () => deepNesting(1000)],
  ['many parts (5,000 HTML parts)', () => manyParts(5000)],
  ['huge headers (20,000 header lines)', () => header(Array.from({ length: 20_000 }, (_, i) => `X-H${i}: ${'v'.repeat(60)}\r\n`).join(''))],
  ['one huge folded header (1 MB)', () => header(`X-Long: ${Array.from({ length: 15_000 }, () => 'w'.repeat(70)).join('\r\n ')}\r\n`) + 'body\r\n'],
  ['encoded-word subject spam', () => header(`X-Subject: ${Array.from({ length: 20_000 }, () => '=?utf-8?B?w7w=?=').join('\r\n ')}\r\n`) + 'body\r\n'],
  ['long lines of text (2 MB, one line)', () => header() + 'a'.repeat(2_000_000) + '\r\n'],
  ['base64 junk as HTML', () => header('Content-Transfer-Encoding: base64\r\n', 'text/html') + lines('!@#$%^&*()'.repeat(150_000)) + '\r\n'],
  ['quoted-printable junk', () => header('Content-Transfer-Encoding: quoted-printable\r\n', 'text/html') + lines('=ZZ=\r'.repeat(300_000)) + '\r\n'],
  ['hostile links and codes HTML', () => header('', 'text/html') + lines('<a href="https://x.test/code 123456 '.repeat(40_000) + '<td>code</td><td>1234</td>'.repeat(20_000)) + '\r\n'],
  ['text full of code-like tokens', () => header() + lines('Your code is 123456 verification OTP A1B2C3 '.repeat(40_000)) + '\r\n'],
];

/** The sandbox process: its ports and URL, and its own event-loop delay histogram over IPC. */
interface SandboxProcess {
  smtpPort: number;
  url: string;
  /** Clears the histogram; resolves once the sandbox process has done it. */
  reset(): Promise<void>;
  /** The worst event-loop delay since the last reset, in ms. */
  maxDelayMs(): Promise<number>;
  close(): Promise<void>;
}

const hooks = new URL('../../scripts/ts-worker-hooks.mjs', import.meta.url).href;
const sandboxScript = `
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const { createSandbox } = await import(${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)});
  const sandbox = await createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent' });
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('message', async ({ id, cmd }) => {
    if (cmd === 'reset') histogram.reset();
    if (cmd === 'close') await sandbox.close();
    process.send({ id, max: histogram.max / 1e6 });
    if (cmd === 'close') process.exit(0);
  });
  process.send({ ports: sandbox.ports, url: sandbox.url });`;

function startSandboxProcess(): Promise<SandboxProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', `data:text/javascript,import{register}from'node:module';register(${encodeURIComponent(JSON.stringify(hooks))})`, '--input-type=module', '-e', sandboxScript],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const pending = new Map<number, (max: number) => void>();
  let nextId = 1;
  const call = (cmd: string) =>
    new Promise<number>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, cmd });
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the sandbox process exited with ${code}`)));
    child.on('message', (m: { id?: number; max?: number; ports?: { smtp: number }; url?: string }) => {
      if (m.ports && m.url) {
        resolve({
          smtpPort: m.ports.smtp,
          url: m.url,
          reset: async () => void (await call('reset')),
          maxDelayMs: () => call('max'),
          close: async () => void (await call('close')),
        });
      } else if (m.id !== undefined) {
        pending.get(m.id)?.(m.max ?? NaN);
        pending.delete(m.id);
      }
    });
  });
}

let sandbox: SandboxProcess;
beforeAll(async () => {
  sandbox = await startSandboxProcess();
});
afterAll(() => sandbox?.close());

/** Milliseconds from connect to the SMTP greeting's first byte. */
function greetingMs(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('event-loop budget over a hostile corpus', () => {
  it(`keeps the event-loop delay under ${budgetMs} ms while every hostile message is delivered, opened and searched, and SMTP greets quickly throughout`, async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.smtpPort, secure: false, ignoreTLS: true });
    const raws = corpus.map(([name, build]) => [name, Buffer.from(build())] as const);
    let running = true;
    const greetings: number[] = [];
    const prober = (async () => {
      while (running) greetings.push(await greetingMs(sandbox.smtpPort));
    })();
    const worst: Array<[string, number]> = [];
    try {
      // Warm-up, not measured: one ordinary 100 KB message through every path, so the one-time costs of a process
      // (the parse worker's start, compiling each code path) are not billed to the first hostile message.
      const warmUp = Buffer.from(header() + lines('Your code is 123456. '.repeat(5_000)) + '\r\n');
      await transport.sendMail({ envelope: { from: 'a@example.test', to: ['bob@example.test'] }, raw: warmUp });
      const [first] = ((await (await fetch(`${sandbox.url}/api/v1/messages?limit=1`)).json()) as { messages: Array<{ id: string }> }).messages;
      for (const path of ['', '/html', '/raw', '/structure', '/transcript']) await (await fetch(`${sandbox.url}/api/v1/messages/${first!.id}${path}`)).arrayBuffer();
      await (await fetch(`${sandbox.url}/api/v1/messages?query=${encodeURIComponent('code 123456')}`)).arrayBuffer();
      const measure = async (name: string, raw: Buffer): Promise<number> => {
        await sandbox.reset();
        // The 250 comes only once the message is stored: it is then the newest.
        const info = await transport.sendMail({ envelope: { from: 'a@example.test', to: ['bob@example.test'] }, raw });
        expect(info.response, name).toMatch(/^250 /);
        const newest = (await (await fetch(`${sandbox.url}/api/v1/messages?limit=1`)).json()) as { messages: Array<{ id: string }> };
        const message = newest.messages[0]!;
        expect(info.response).toContain(message.id);
        for (const path of ['', '/html', '/raw', '/structure', '/transcript']) {
          const res = await fetch(`${sandbox.url}/api/v1/messages/${message.id}${path}`);
          expect([200, 404], `${name} ${path}`).toContain(res.status);
          await res.arrayBuffer();
        }
        const list = await fetch(`${sandbox.url}/api/v1/messages?query=${encodeURIComponent('code 123456')}`);
        expect(list.status).toBe(200);
        return sandbox.maxDelayMs();
      };
      // A delay over budget is measured again (up to three times in all) and the least kept: a message that really
      // blocks the loop does so every time, while a machine busy with other test files stretches one run only.
      for (const [name, raw] of raws) {
        let best = await measure(name, raw);
        for (let attempt = 1; attempt < 3 && best >= budgetMs; attempt++) best = Math.min(best, await measure(name, raw));
        worst.push([name, best]);
      }
    } finally {
      running = false;
      await prober;
      transport.close();
    }
    const figures = JSON.stringify(worst.map(([n, ms]) => [n, Math.round(ms)]));
    console.log(`event-loop delay per message (ms; budget ${budgetMs}): ${figures}`);
    const over = worst.filter(([, ms]) => ms >= budgetMs);
    expect(over, `worst event-loop delay per message (ms): ${figures}`).toEqual([]);
    expect(greetings.length).toBeGreaterThan(corpus.length);
    expect(Math.max(...greetings)).toBeLessThan(1000);
  }, 300_000);
});
