import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { Worker } from 'node:worker_threads';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** True when generated at start-up rather than loaded from `--tls-cert`/`--tls-key`. */
  isSelfSigned: boolean;
  /** SHA-256 fingerprint of the (first) certificate, `AB:CD:...`, printed in the banner so users can check what they trust. */
  fingerprint256: string;
}

/** Loads the PEM files given, or generates a self-signed certificate for localhost, 127.0.0.1, ::1 and the host name. */
export async function loadTlsMaterial(certFile?: string, keyFile?: string): Promise<TlsMaterial> {
  if (certFile && keyFile) {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    try {
      // Fail at start-up with the file names, not at the first TLS handshake with an OpenSSL stack trace.
      createSecureContext({ cert, key });
    } catch (err) {
      throw new Error(`${certFile} and ${keyFile} are not a matching PEM certificate and private key (${(err as Error).message})`);
    }
    return { cert, key, isSelfSigned: false, fingerprint256: new X509Certificate(cert).fingerprint256 };
  }
  // One per process: every sandbox a test suite starts serves the same certificate, made once.
  selfSigned ??= generateSelfSigned().catch((err: unknown) => {
    selfSigned = undefined;
    throw err;
  });
  const pems = await selfSigned;
  return { ...pems, isSelfSigned: true, fingerprint256: new X509Certificate(pems.cert).fingerprint256 };
}

let selfSigned: Promise<{ cert: string; key: string }> | undefined;

/**
 * Makes the certificate in a worker thread: its certificate libraries take ~0.2 s and ~3.5 MB of heap to load, which
 * the sandbox's own heap would then carry for as long as it runs (every full garbage collection marks them).
 */
const workerSource = `
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
const { generate } = createRequire(workerData.base)('selfsigned');
const pems = await generate(workerData.attributes, workerData.options);
parentPort.postMessage({ cert: pems.cert, key: pems.private });
`;

function generateSelfSigned(): Promise<{ cert: string; key: string }> {
  const host = hostname();
  const altNames: Array<{ type: number; value?: string; ip?: string }> = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
    // Also as a DNS name: fetchmail (6.4) and some other clients match the host they were given only against DNS
    // names, so `poll 127.0.0.1 ... sslcertck` would fail on the IP entry alone.
    { type: 2, value: '127.0.0.1' },
  ];
  if (host && host !== 'localhost') altNames.push({ type: 2, value: host });
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 2);
  const options = {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  };
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`), {
    workerData: { base: import.meta.url, attributes: [{ name: 'commonName', value: 'localhost' }], options },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (pems: { cert: string; key: string }) => resolve(pems));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the certificate worker exited (code ${code}) without a certificate`)));
  });
}
