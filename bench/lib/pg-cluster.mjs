// A throwaway PostgreSQL cluster for bench/postgres.bench.mjs (the tests' helper, test/integration/postgres-cluster.ts,
// does the same in TypeScript): initdb into a temp dir as the postgres user, pg_ctl on a free loopback port, trust.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, chownSync, chmodSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const bin = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => existsSync(join(d, 'initdb')));

export const pgMissing = bin ? null : 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin';

function asPostgres(file, args) {
  const path = join(bin, file);
  if (userInfo().uid === 0) execFileSync('runuser', ['-u', 'postgres', '--', path, ...args], { stdio: 'ignore' });
  else execFileSync(path, args, { stdio: 'ignore' });
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startPgCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-pgbench-'));
  if (userInfo().uid === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // Durable settings (fsync on, synchronous_commit on): the figures are what an operator's server would give.
  asPostgres('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-o',
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c max_connections=200 -c shared_buffers=128MB`,
    '-w',
    'start',
  ]);
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const ticks = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString()) || 100;
  return {
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    /** CPU seconds used so far by this cluster: the postmaster, its live backends, and its exited children. */
    cpuSeconds() {
      let total = 0;
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        let stat;
        try {
          stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        } catch {
          continue;
        }
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // f[1] is ppid; utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 here.
        const own = Number(pid) === postmaster;
        if (!own && Number(f[1]) !== postmaster) continue;
        total += Number(f[11]) + Number(f[12]) + (own ? Number(f[13]) + Number(f[14]) : 0);
      }
      return total / ticks;
    },
    createDatabase(name) {
      asPostgres('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', `CREATE DATABASE ${name}`]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
