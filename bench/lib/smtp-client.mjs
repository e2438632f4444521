// A minimal SMTP client for load generation: one command at a time (no pipelining), replies parsed by code only.
// nodemailer is far too heavy to measure a server with; this spends next to nothing per message.
import { connect } from 'node:net';

/** A message of about `size` bytes (CRLF lines of 76 characters), dot-stuffed and terminated for DATA. */
export function makeDataPayload(size, subject = 'bench') {
  const header = `From: bench@example.test\r\nTo: ann@example.test\r\nSubject: ${subject}\r\nMessage-ID: <bench@example.test>\r\n\r\n`;
  const line = 'x'.repeat(76) + '\r\n';
  const lines = Math.max(1, Math.round((size - header.length) / line.length));
  return Buffer.from(header + line.repeat(lines) + '.\r\n');
}

/** One SMTP connection. `await SmtpLoadClient.open(port)` greets and EHLOs; then `send()` as often as wanted. */
export class SmtpLoadClient {
  #socket;
  #buffer = '';
  #waiting = [];

  constructor(socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      const client = new SmtpLoadClient(socket);
      socket.once('error', reject);
      client.#reply()
        .then((code) => (code === 220 ? client.command('EHLO bench.test') : Promise.reject(new Error(`greeting ${code}`))))
        .then((code) => (code === 250 ? resolve(client) : reject(new Error(`EHLO ${code}`))), reject);
    });
  }

  #onData(chunk) {
    this.#buffer += chunk.toString('latin1');
    let nl;
    while ((nl = this.#buffer.indexOf('\r\n')) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 2);
      // A final reply line is "NNN text" or "NNN"; "NNN-text" continues a multi-line reply.
      if (line.length === 3 || line[3] === ' ') this.#waiting.shift()?.resolve(Number(line.slice(0, 3)));
    }
  }

  #fail(err) {
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }

  #reply() {
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Writes a line and resolves with the reply code. */
  command(line) {
    const reply = this.#reply();
    this.#socket.write(line + '\r\n');
    return reply;
  }

  /** One whole transaction; resolves with its latency in ms (MAIL FROM to the final reply). Throws unless 250. */
  async send(payload, from = 'bench@example.test', to = 'ann@example.test') {
    const start = performance.now();
    if ((await this.command(`MAIL FROM:<${from}>`)) !== 250) throw new Error('MAIL refused');
    if ((await this.command(`RCPT TO:<${to}>`)) !== 250) throw new Error('RCPT refused');
    if ((await this.command('DATA')) !== 354) throw new Error('DATA refused');
    const reply = this.#reply();
    this.#socket.write(payload);
    const code = await reply;
    if (code !== 250) throw new Error(`message refused with ${code}`);
    return performance.now() - start;
  }

  async quit() {
    await this.command('QUIT').catch(() => undefined);
    this.#socket.destroy();
  }
}

/** `count` connections, greeted and EHLO'd. */
export function openClients(port, count) {
  return Promise.all(Array.from({ length: count }, () => SmtpLoadClient.open(port)));
}

/**
 * `messages` messages over `connections` reused connections (each sends the next until the total is reached), or over
 * the open `clients` given, which are then left open. Returns { elapsedMs, rate (msg/s), latencies (ms per transaction) }.
 */
export async function runReused({ port, connections, messages, payload, clients: given }) {
  const clients = given ?? (await openClients(port, connections));
  const latencies = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (started < messages) {
        started++;
        latencies.push(await client.send(payload));
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  if (!given) await Promise.all(clients.map((c) => c.quit()));
  return { elapsedMs, rate: (messages / elapsedMs) * 1000, latencies };
}

/** One connection per message (connect, greet, EHLO, one transaction, QUIT), `concurrency` senders at once. */
export async function runOneShot({ port, concurrency, messages, payload }) {
  const latencies = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < messages) {
        started++;
        const start = performance.now();
        const client = await SmtpLoadClient.open(port);
        await client.send(payload);
        await client.quit();
        latencies.push(performance.now() - start);
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, rate: (messages / elapsedMs) * 1000, latencies };
}
