import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';

/**
 * A byte-level IMAP client for tests: write anything, wait for a pattern in what the server sent.
 * Waiting is driven by 'data' events (no sleeps); `until` fails the test with what did arrive on timeout.
 */
export class RawImap {
  #text = '';
  #cursor = 0;
  #waiters: Array<() => void> = [];
  closed: Promise<void>;

  constructor(readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => {
      this.#text += d.toString('latin1');
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        for (const w of this.#waiters.splice(0)) w();
        resolve();
      });
      socket.on('end', () => resolve());
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, secure = false): Promise<RawImap> {
    const socket: Socket = secure ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawImap(socket);
    await client.until(/^\* (OK|BYE).*\r\n/m);
    return client;
  }

  get all(): string {
    return this.#text;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a line and waits for the tagged completion of `tag`; returns everything after the last wait. */
  async command(tag: string, line: string, timeoutMs = 5000): Promise<string> {
    this.write(`${tag} ${line}\r\n`);
    return this.until(new RegExp(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (OK|NO|BAD)[^\r\n]*\r\n`, 'm'), timeoutMs);
  }

  /** Resolves with the output since the previous call once `pattern` matches it. */
  async until(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.#text.slice(this.#cursor);
      const m = pattern.exec(rest);
      if (m) {
        this.#cursor += m.index + m[0].length;
        return rest.slice(0, m.index + m[0].length);
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.destroyed) throw new Error(`Timed out waiting for ${pattern}; got:\n${rest.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  end(): void {
    this.socket.destroy();
  }
}
