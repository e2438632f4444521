import { request } from 'node:http';

/** Whether the container tests can run here, and if not, why (shown as the skip reason). */
export type EngineProbe = { ok: true } | { ok: false; reason: string };

/**
 * In CI (`docker/ci-engine.sh env` sets MAILSANDBOX_REQUIRE_DOCKER=1) a missing engine or image must fail the
 * run; on a laptop without Docker the container tests skip instead.
 */
export const isDockerRequired = process.env.MAILSANDBOX_REQUIRE_DOCKER === '1';

export const testImage = process.env.MAILSANDBOX_IMAGE || 'mailsandbox:latest';

/** Asks the engine on DOCKER_HOST (a unix socket; default /var/run/docker.sock) for the image. */
export async function probeDocker(image: string): Promise<EngineProbe> {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://')) return { ok: true }; // a remote engine: let Testcontainers find out
  const socketPath = host.slice('unix://'.length);
  try {
    await get(socketPath, '/_ping');
  } catch (err) {
    return { ok: false, reason: `no Docker engine answers on ${socketPath} (${(err as Error).message})` };
  }
  const status = await get(socketPath, `/images/${encodeURIComponent(image)}/json`).catch(() => 0);
  if (status !== 200) {
    return { ok: false, reason: `image ${image} not found: npm run build && docker build -f docker/Dockerfile -t ${image} .` };
  }
  return { ok: true };
}

async function get(socketPath: string, path: string): Promise<number> {
  return (await engineRequest(socketPath, 'GET', path)).status;
}

/** How a stopped container ended (`State.ExitCode` of `GET /containers/:id/json`), then removes it. */
export async function exitCodeAndRemove(id: string): Promise<number> {
  const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
  const inspected = await engineRequest(socketPath, 'GET', `/containers/${id}/json`);
  await engineRequest(socketPath, 'DELETE', `/containers/${id}?force=true`);
  return (JSON.parse(inspected.body) as { State: { ExitCode: number } }).State.ExitCode;
}

function engineRequest(socketPath: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
