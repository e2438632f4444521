import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { dkimSign, dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { hasNoBareLf, installMailauthFastPaths, messageParserClass, needsNoRelaxedFixing, relaxedHashClass, stock } from '../../../src/checks/mailauth-fast-paths.js';
import { parseZoneFile, zoneResolver } from '../../../src/checks/dns-zone.js';

type Hasher = { update(chunk: Buffer | null, final?: boolean): void; digest(encoding: 'base64'): string };
const RelaxedHash = relaxedHashClass() as unknown as new (algorithm: string, maxBodyLength?: number) => Hasher;

function digest(chunks: Buffer[], maxBodyLength: number | undefined, useStock: boolean): string {
  const h = new RelaxedHash('rsa-sha256', maxBodyLength);
  for (const c of chunks) {
    if (useStock) stock.relaxedUpdate!.call(h as never, c, false);
    else h.update(c);
  }
  return h.digest('base64');
}

/** Bodies made of the bytes relaxed canonicalisation cares about, often clean so the fast path runs. */
const piece = fc.constantFrom('word', 'a b', ' ', '  ', '\t', '\r\n', '\n', '\r', '\r\n\r\n', 'x \r\n', 'end.\r\n', 'ü');
const body = fc.array(piece, { maxLength: 60 }).map((p) => Buffer.from(p.join('')));
const cleanBody = fc.array(fc.constantFrom('word', 'a b', 'x y z', '\r\n', '\r\n\r\n', '.', '\r'), { maxLength: 60 }).map((p) => Buffer.from(p.join('')));

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out;
}

/** Runs a line-break repair (stock or fast) over chunks with one parser state, as mailauth's stream does. */
function repairLinebreaks(chunks: Buffer[], useStock: boolean): { out: string; lastByte: number | undefined } {
  const state: { lastByte?: number } = {};
  const run = useStock ? stock.ensureLinebreaks! : messageParserClass().prototype.ensureLinebreaks;
  const parts: Buffer[] = [];
  for (const c of chunks) for (const p of run.call(state as never, c)) parts.push(Buffer.from(p));
  return { out: Buffer.concat(parts).toString('latin1'), lastByte: state.lastByte };
}

describe('DKIM body fast paths over mailauth 4.13.3', () => {
  it('are installed on the classes mailauth verifies with (fails if a mailauth upgrade moves or renames them)', () => {
    expect(installMailauthFastPaths()).toBe(true);
    expect(stock.relaxedUpdate).toBeTypeOf('function');
    expect(stock.ensureLinebreaks).toBeTypeOf('function');
    expect((relaxedHashClass().prototype as unknown as { update: { name: string } }).update.name).toBe('fastRelaxedUpdate');
    expect((messageParserClass().prototype as unknown as { ensureLinebreaks: { name: string } }).ensureLinebreaks.name).toBe('fastEnsureLinebreaks');
  });

  it('tells clean chunks from ones relaxed canonicalisation rewrites', () => {
    expect(needsNoRelaxedFixing(Buffer.from('a b\r\nc\r\n\r\n'))).toBe(true);
    for (const dirty of ['a\tb\r\n', 'a  b\r\n', 'a \r\n', 'a\nb', '\nb', 'a \n']) expect(needsNoRelaxedFixing(Buffer.from(dirty)), JSON.stringify(dirty)).toBe(false);
  });

  it('tells input with a bare LF (also across chunks) from input without', () => {
    expect(hasNoBareLf(Buffer.from('a\r\nb\r\n'), undefined)).toBe(true);
    expect(hasNoBareLf(Buffer.from('\nb'), 0x0d)).toBe(true);
    for (const [bad, last] of [['\nb', 0x61], ['\nb', undefined], ['a\nb', 0x0d], ['a\r\n\n', 0x0d]] as const) expect(hasNoBareLf(Buffer.from(bad), last), JSON.stringify(bad)).toBe(false);
  });

  it('repairs line breaks exactly as the stock loop for any input split at any points', () => {
    fc.assert(
      fc.property(fc.oneof(body, cleanBody), fc.array(fc.nat(), { maxLength: 6 }), (buf, cuts) => {
        const chunks = split(buf, cuts);
        expect(repairLinebreaks(chunks, false)).toEqual(repairLinebreaks(chunks, true));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the stock digest for any body split at any points, with and without l=', () => {
    fc.assert(
      fc.property(fc.oneof(body, cleanBody), fc.array(fc.nat(), { maxLength: 6 }), fc.option(fc.nat({ max: 80 }), { nil: undefined }), (buf, cuts, l) => {
        const chunks = split(buf, cuts);
        expect(digest(chunks, l, false)).toBe(digest(chunks, l, true));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a nodemailer-style signature of a 1 MB body verifying, and a changed body failing', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n';
    const unsigned = Buffer.from(`From: a@shop.example\r\nTo: b@x.example\r\nSubject: big\r\n\r\n${line.repeat(18_000)}`);
    const { signatures } = await dkimSign(unsigned, { signatureData: [{ signingDomain: 'shop.example', selector: 's', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }] } as never);
    const resolver = zoneResolver(parseZoneFile(`s._domainkey.shop.example. IN TXT "v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}"`));
    const signed = Buffer.concat([Buffer.from(signatures), unsigned]);
    // On a failure, say why: it failed once in CI (Node 22, 2026-12-03) and could not be reproduced in 800 tries.
    const verified = (await dkimVerify(signed, { resolver: resolver as never })).results[0];
    expect(verified.status.result, JSON.stringify({ status: verified.status, signatures })).toBe('pass');
    // Relaxed canonicalisation ignores a changed run of spaces but not a changed word.
    const respaced = Buffer.from(signed.toString('latin1').replace('ipsum dolor', 'ipsum   dolor'), 'latin1');
    expect((await dkimVerify(respaced, { resolver: resolver as never })).results[0].status.result).toBe('pass');
    const edited = Buffer.from(signed.toString('latin1').replace('ipsum dolor', 'ipsum dolos'), 'latin1');
    expect((await dkimVerify(edited, { resolver: resolver as never })).results[0].status.result).not.toBe('pass');
  });
});
