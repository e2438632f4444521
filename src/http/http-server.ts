import { createServer } from 'node:net';
import type { ListenOptions, RunningServer, SandboxInfo, ServerContext } from '../shared/server-context.js';

export interface HttpDeps {
  info(): SandboxInfo;
}

// PLACEHOLDER: replaced by the real server.
export function startHttpServer(_ctx: ServerContext, opts: ListenOptions, _deps: HttpDeps): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const port = (server.address() as { port: number }).port;
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
