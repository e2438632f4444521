import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// SPAMD_BIN names the spamd to start (default: Debian's /usr/sbin/spamd; `.ci/spamd.sh` installs it).
export const spamdBin = process.env.SPAMD_BIN ?? '/usr/sbin/spamd';
export const hasSpamd = existsSync(spamdBin);

export const gtube = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Waits until spamd answers PING with PONG (it compiles its rules first, which takes seconds on a loaded box). */
export async function waitForSpamd(port: number, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`spamd exited with ${child.exitCode}`);
    const pong = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('PING SPAMC/1.5\r\n\r\n'));
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text.includes('PONG')));
      s.on('error', () => resolve(false));
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('spamd did not start in time');
}

/** A throwaway spamd on a free loopback port, ready to answer; kill it with `child.kill()`. */
export async function startSpamd(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-spamd-'));
  const child = spawn(spamdBin, [`--listen=127.0.0.1:${port}`, '--max-children=1', '--min-children=1', '--nouser-config', `--pidfile=${join(dir, 'spamd.pid')}`, '--syslog=stderr', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  await waitForSpamd(port, child);
  return { child, port };
}
