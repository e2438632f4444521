import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL from a worker thread with its own connection. A checkpoint copies the WAL into the database and
 * fsyncs both (even at synchronous=NORMAL); run by the writing connection (SQLite's auto-checkpoint) it stalls the
 * event loop for tens to hundreds of milliseconds on a slow disk, every few MiB written. A PASSIVE checkpoint from
 * another connection never blocks the writer, so the main thread only appends to the WAL.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// Prepared once: a statement per tick would be garbage for V8 to collect (see native-objects on Node 24).
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch {
    // A full disk or a busy database: the next tick tries again (the writer's own auto-checkpoint is the backstop).
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  readonly #worker: Worker;

  constructor(driverPath: string, file: string, intervalMs = 250) {
    this.#worker = new Worker(workerSource, { eval: true, workerData: { driver: driverPath, file, intervalMs } });
    this.#worker.unref();
    // An error in the worker (the driver failed to load there) leaves checkpoints to the writer's auto-checkpoint.
    this.#worker.on('error', () => undefined);
  }

  /** Stops the worker; resolves once its connection is closed. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#worker.once('exit', () => resolve());
      // Referenced again while it stops: otherwise a process with nothing else to do would exit before the answer.
      this.#worker.ref();
      this.#worker.postMessage('stop');
    });
  }
}
