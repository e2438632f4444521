import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster for the multi-node tests (issue #13): `initdb` into a temp dir as the `postgres`
 * user, `pg_ctl start` on a free loopback port, trust auth on 127.0.0.1 only. Each test file starts its own in
 * `beforeAll` and stops it (and removes the directory) in `afterAll`.
 *
 * Where the binaries are absent the tests skip with `postgresMissing` as the reason; in CI (`process.env.CI`) a
 * missing PostgreSQL throws instead (`.ci/postgres.sh` installs it).
 */
const binDirs = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

export const postgresBin: string | undefined = process.env.MAILSANDBOX_PG_BIN ?? binDirs.find((d) => existsSync(join(d, 'initdb')));

const isRoot = userInfo().uid === 0;
const hasPostgresUser = isRoot ? spawnSync('id', ['-u', 'postgres']).status === 0 : true;

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export const postgresMissing: string | null = !postgresBin
  ? `no PostgreSQL server binaries (looked in ${binDirs.join(', ')}; apt-get install postgresql, or set MAILSANDBOX_PG_BIN)`
  : !hasPostgresUser
    ? 'running as root without a postgres user to run initdb as'
    : null;

if (postgresMissing && process.env.CI) throw new Error(`PostgreSQL tests cannot run in CI: ${postgresMissing}`);

export interface PostgresCluster {
  readonly port: number;
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:PORT/postgres`; `urlFor(db)` for another database. */
  readonly url: string;
  urlFor(database: string): string;
  /** A new, empty database (one per test file or per test keeps tenants and migrations independent). */
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl stop -m fast` (connections are cut), then `start()` again on the same port: a database restart. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary as the postgres user (we may be root; initdb and postgres refuse to run as root). */
async function asPostgres(bin: string, args: string[]): Promise<void> {
  const file = join(postgresBin as string, bin);
  if (isRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args]);
  else await run(file, args);
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (postgresMissing) throw new Error(postgresMissing);
  const dir = await mkdtemp(join(tmpdir(), 'mailsandbox-pg-'));
  if (isRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // Loopback only, no unix socket in a shared directory, fsync off (a throwaway cluster; restarts are `-m fast`, so
  // nothing acknowledged is lost across them), enough connections for three nodes and their sessions.
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200 -c shared_buffers=64MB`;
  const start = () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const urlFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  let destroyed = false;
  return {
    port,
    dir,
    url,
    urlFor,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    stop: () => asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
