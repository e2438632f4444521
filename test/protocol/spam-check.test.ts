import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { parseSpamdReport } from '../../src/checks/spamd-client.js';
import { gtube, hasSpamd, spamdBin, startSpamd } from './spamd-helpers.js';

if (!hasSpamd && process.env.CI) throw new Error(`spamd not found at ${spamdBin}: run .ci/spamd.sh (CI must not skip the spam check tests)`);

describe.skipIf(!hasSpamd)(`spam check against a throwaway spamd${hasSpamd ? '' : ` (skipped: no spamd at ${spamdBin}; set SPAMD_BIN or run .ci/spamd.sh)`}`, () => {
  let spamd: ChildProcess;
  let sb: Sandbox;
  beforeAll(async () => {
    const started = await startSpamd();
    spamd = started.child;
    const port = started.port;
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
