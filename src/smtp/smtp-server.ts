import { createServer } from 'node:net';
import type { ListenOptions, RunningServer, ServerContext } from '../shared/server-context.js';

// PLACEHOLDER: replaced by the real server. Listens and hangs up, so createSandbox() works meanwhile.
export function startSmtpServer(_ctx: ServerContext, opts: ListenOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const port = (server.address() as { port: number }).port;
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
