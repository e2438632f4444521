// Runs a server in a child process (see server-child.mjs) and talks to it over IPC.
import { fork } from 'node:child_process';

/**
 * Starts a child process and a server in it: `kind` 'sandbox' (createSandbox(options) from dist/), 'sink'
 * (the discard-only SMTP sink) or 'bare' (bare smtp-server keeping each message in an array). Returns { ports, url, call(cmd, args), stop() }; call('rss') gives
 * { rss, heapUsed, external, cpuMicros (user + system so far, without the CPU of the GCs `rss` forces), stored } after two GCs. `execArgv` adds node flags
 * to the child (e.g. `--cpu-prof`).
 */
export async function startServerProcess(kind, options = {}, { execArgv = [] } = {}) {
  const child = fork(new URL('./server-child.mjs', import.meta.url), [], { execArgv: ['--expose-gc', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  child.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    pending.delete(id);
    if (error) p?.reject(new Error(error));
    else p?.resolve(result);
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('server process exited'));
  });
  const call = (cmd, args) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, args });
    });
  const started = await call('start', { kind, options });
  return { ...started, pid: child.pid, call, stop: () => call('stop').catch(() => undefined) };
}
