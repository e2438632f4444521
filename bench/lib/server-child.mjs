// Child-process side of server-process.mjs: runs one server (a sandbox from dist/, or the SMTP sink) so that the
// load generator in the parent does not share its event loop, and RSS figures are the server's alone.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importDist } from './build.mjs';
import { startBareSmtpServer, startSmtpSink } from './sink.mjs';

let sandbox = null;
let sink = null;
let bare = null;
/** CPU spent in the collections `rss` forces (see there). */
const forcedGc = { user: 0, system: 0 };

const handlers = {
  async start({ kind, options }) {
    if (kind === 'sink') {
      sink = await startSmtpSink();
      return { ports: { smtp: sink.port } };
    }
    if (kind === 'bare') {
      bare = await startBareSmtpServer();
      return { ports: { smtp: bare.port } };
    }
    // `before`, `before2`, ...: other builds of the sandbox (MAILSANDBOX_BENCH_BEFORE=/path/to/dist[,/path/to/dist2...]),
    // to compare versions in one run.
    const other = /^before(\d*)$/.exec(kind);
    const otherDist = other ? (process.env.MAILSANDBOX_BENCH_BEFORE ?? '').split(',')[Number(other[1] || 1) - 1] : null;
    const { createSandbox } = otherDist ? await import(pathToFileURL(join(otherDist, 'index.js')).href) : await importDist('index.js');
    sandbox = await createSandbox({ logLevel: 'silent', ...options });
    return { ports: sandbox.ports, url: sandbox.url };
  },
  rss() {
    // The CPU of these forced collections is the benchmark's, not the server's: it is left out of cpuMicros, so a
    // window between two calls counts only the collections the server's own work caused (a full heap of stored
    // messages would otherwise add two full GCs to every measured window).
    const start = process.cpuUsage();
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    forcedGc.user += cpu.user - start.user;
    forcedGc.system += cpu.system - start.system;
    const user = cpu.user - forcedGc.user;
    const system = cpu.system - forcedGc.system;
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, cpuMicros: user + system, systemMicros: system, stored: sandbox ? sandbox.store.size : (sink ?? bare).messages() };
  },
  /** Stores `count` messages of about `size` bytes straight into the store (to measure ingest with a full store). */
  preload({ count, size }) {
    const body = 'x'.repeat(76) + '\r\n';
    for (let i = 0; i < count; i++) {
      const raw = Buffer.from(`From: pre@example.test\r\nTo: ann@example.test\r\nSubject: preload ${i}\r\n\r\n${body.repeat(Math.max(1, Math.round(size / 78)))}`);
      sandbox.store.deliver({ raw, envelope: { mailFrom: 'pre@example.test', rcptTo: ['ann@example.test'] }, source: 'api' });
    }
    return { stored: sandbox.store.size };
  },
  clear() {
    sandbox?.clear();
    bare?.clear();
    return { stored: 0 };
  },
  async stop() {
    await sandbox?.close();
    await sink?.close();
    await bare?.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, result: await handlers[cmd](args ?? {}) });
  } catch (err) {
    process.send({ id, error: String(err?.stack ?? err) });
  }
});
