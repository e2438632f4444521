import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { parseSpamdReport } from '../../src/checks/spamd-client.js';

// SPAMD_BIN names the spamd to start (default: Debian's /usr/sbin/spamd; `.ci/spamd.sh` installs it).
const spamdBin = process.env.SPAMD_BIN ?? '/usr/sbin/spamd';
const hasSpamd = existsSync(spamdBin);
if (!hasSpamd && process.env.CI) throw new Error(`spamd not found at ${spamdBin}: run .ci/spamd.sh (CI must not skip the spam check tests)`);
const gtube = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Waits until spamd answers PING with PONG (it compiles its rules first, which takes seconds on a loaded box). */
async function waitForSpamd(port: number, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
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

describe.skipIf(!hasSpamd)(`spam check against a throwaway spamd${hasSpamd ? '' : ` (skipped: no spamd at ${spamdBin}; set SPAMD_BIN or run .ci/spamd.sh)`}`, () => {
  let spamd: ChildProcess;
  let sb: Sandbox;
  beforeAll(async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-spamd-'));
    spamd = spawn(spamdBin, [`--listen=127.0.0.1:${port}`, '--max-children=1', '--min-children=1', '--nouser-config', `--pidfile=${join(dir, 'spamd.pid')}`, '--syslog=stderr', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
    spamd.stderr?.resume();
    await waitForSpamd(port, spamd);
    sb = await createSandbox({ smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent', spamd: `127.0.0.1:${port}` });
  }, 180_000);
  afterAll(async () => {
    await sb?.close();
    spamd?.kill('SIGTERM');
  });

  const deliver = (body: string) =>
    sb.deliver(`From: Shop <orders@shop.example>\r\nTo: ann@customer.example\r\nSubject: Your order\r\nMessage-ID: <${Math.random()}@shop.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\n${body}\r\n`, { to: 'ann@customer.example' });

  it('scores GTUBE as spam with the GTUBE rule and its description', async () => {
    const m = await deliver(`Hello,\r\n\r\n${gtube}\r\n`);
    const res = await fetch(`http://127.0.0.1:${sb.ports.http}/api/v1/messages/${m.id}/checks/spam`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.isSpam).toBe(true);
    expect(body.score).toBeGreaterThan(body.threshold);
    expect(body.threshold).toBe(5);
    expect(body.rules).toContainEqual(expect.objectContaining({ name: 'GTUBE', description: expect.stringMatching(/Generic Test for Unsolicited Bulk Email/i) }));
  }, 60_000);

  it('does not flag an ordinary order confirmation', async () => {
    const m = await deliver('Hello Ann,\r\n\r\nthank you for your order 10234. It ships on Thursday.\r\n\r\nKind regards,\r\nThe shop team');
    const body = await (await fetch(`http://127.0.0.1:${sb.ports.http}/api/v1/messages/${m.id}/checks/spam`)).json();
    expect(body.isSpam).toBe(false);
    expect(body.score).toBeLessThan(body.threshold);
  }, 60_000);
});

describe('spamd answer parsing', () => {
  it('reads the verdict and the rule table with wrapped descriptions', () => {
    const answer = 'SPAMD/1.1 0 EX_OK\r\nContent-length: 300\r\nSpam: True ; 1001.2 / 5.0\r\n\r\nSpam detection software...\r\n\r\nContent analysis details:   (1001.2 points, 5.0 required)\r\n\r\n pts rule name              description\r\n---- ---------------------- --------------------------------------------------\r\n1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\r\n 1.2 MISSING_DATE           Missing Date: header\r\n-0.0 NO_RELAYS              Informational: message was not relayed via\r\n                            SMTP\r\n';
    expect(parseSpamdReport(answer)).toEqual({
      isSpam: true,
      score: 1001.2,
      threshold: 5,
      rules: [
        { name: 'GTUBE', score: 1000, description: 'BODY: Generic Test for Unsolicited Bulk Email' },
        { name: 'MISSING_DATE', score: 1.2, description: 'Missing Date: header' },
        { name: 'NO_RELAYS', score: -0, description: 'Informational: message was not relayed via SMTP' },
      ],
    });
  });

  it('rejects an error answer with its code', () => {
    expect(() => parseSpamdReport('SPAMD/1.0 76 Bad header line: x\r\n')).toThrow(/76/);
  });
});
