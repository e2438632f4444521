import { describe, expect, it } from 'vitest';
import { ConfigError, cliDefaultPorts, formatHelp, parseCli, parseUsersFile, resolveConfig } from '../../src/config.js';

const cli = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveConfig(parseCli(argv, env).options, (n) => cliDefaultPorts[n]);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('uses the SPEC defaults on the command line', () => {
    const c = cli([]);
    expect(c.host).toBe('127.0.0.1');
    expect(Object.fromEntries(Object.entries(c.listeners).map(([k, v]) => [k, v.port]))).toEqual(cliDefaultPorts);
    expect(c.maxMessageSize).toBe(25 * 1024 * 1024);
    expect(c.maxMessages).toBe(10_000);
    expect(c.smtpAuth).toBe('optional');
    expect(c.limits).toMatchObject({ smtpLineLength: 4096, maxRecipients: 100, pop3LineLength: 512, imapLineLength: 65536, maxConnections: 200 });
  });

  it('defaults every listener to port 0 in the library', () => {
    const c = resolveConfig({});
    expect(Object.values(c.listeners).every((l) => l.port === 0)).toBe(true);
  });

  it('lets flags win over env vars and env vars over defaults', () => {
    const c = cli(['--smtp-port', '2525'], { MAILSANDBOX_SMTP_PORT: '3535', MAILSANDBOX_POP3_PORT: '4545', MAILSANDBOX_HOST: '0.0.0.0' });
    expect(c.listeners.smtp.port).toBe(2525);
    expect(c.listeners.pop3.port).toBe(4545);
    expect(c.host).toBe('0.0.0.0');
  });

  it.each([
    [['--imap-port', 'off'], 'imap'],
    [['--no-pop3s'], 'pop3s'],
  ] as const)('turns a listener off with %j', (argv, name) => {
    expect(cli([...argv]).listeners[name].port).toBeNull();
  });

  it.each([
    ['2048', 2048],
    ['10MB', 10_000_000],
    ['10MiB', 10 * 1024 * 1024],
    ['2.5MiB', 2.5 * 1024 * 1024],
    ['1.5 MB', 1_500_000],
    ['64kB', 64_000],
    ['64KiB', 65_536],
    ['10M', 10 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
  ])('reads the size %s as %i bytes (MB decimal, MiB binary, decimals accepted)', (text, bytes) => {
    expect(cli(['--max-message-size', text]).maxMessageSize).toBe(bytes);
  });

  it.each(['10 parsecs', '-5MB', 'MB', '1e6'])('refuses the size %j, naming the flag', (text) => {
    expect(problemsOf(() => cli(['--max-message-size', text])).join('\n')).toContain('--max-message-size must be a size like');
  });

  it('states the minimum message size', () => {
    expect(problemsOf(() => cli(['--max-message-size', '1000']))).toEqual(['max message size must be a whole number of bytes, at least 1024 (1KiB), got 1000']);
  });

  it('names the environment variable a bad value came from, and the flag when it came from the command line', () => {
    expect(problemsOf(() => cli([], { MAILSANDBOX_SMTP_PORT: 'abc' }))).toEqual(['MAILSANDBOX_SMTP_PORT must be a port number or off, got "abc"']);
    expect(problemsOf(() => cli([], { MAILSANDBOX_STARTTLS: 'yes' }))).toEqual(['MAILSANDBOX_STARTTLS must be off, on or required, got "yes"']);
    expect(problemsOf(() => cli(['--smtp-port', 'abc']))).toEqual(['--smtp-port must be a port number or off, got "abc"']);
  });

  it('puts every listener not given its own port on port 0 with --ports 0 or MAILSANDBOX_PORTS=0', () => {
    const c = cli(['--ports', '0', '--imap-port', '2143', '--no-pop3s'], { MAILSANDBOX_SMTP_PORT: '2525' });
    expect(c.listeners).toMatchObject({ smtp: { port: 2525 }, imap: { port: 2143 }, pop3s: { port: null }, submission: { port: 0 }, http: { port: 0 } });
    expect(cli([], { MAILSANDBOX_PORTS: '0' }).listeners.http.port).toBe(0);
    expect(problemsOf(() => cli(['--ports', '1']))).toEqual(['--ports only takes 0 (every listener on a free port), got "1"']);
  });

  it('defaults the submission listener to 1587 and --starttls to off; reads on and required', () => {
    expect(cli([]).listeners.submission.port).toBe(1587);
    expect(cli([]).starttls).toBe('off');
    expect(cli(['--starttls', 'required']).starttls).toBe('required');
    expect(cli([], { MAILSANDBOX_STARTTLS: 'on', MAILSANDBOX_SUBMISSION_PORT: '2587' })).toMatchObject({ starttls: 'on', listeners: { submission: { port: 2587 } } });
  });

  it.each(['0.0.0.0.0', '256.0.0.1', '1.2.3', 'bad host', 'a/b', '-lead.example', ''])('refuses the host %j', (host) => {
    expect(problemsOf(() => resolveConfig({ host }))).toEqual([`host must be an IP address or host name, got ${JSON.stringify(host)}`]);
  });

  it.each(['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'mail-sandbox', 'ci.example.test'])('accepts the host %j', (host) => {
    expect(resolveConfig({ host }).host).toBe(host);
  });

  it('logs at warn in the library and at info from the CLI', () => {
    expect(resolveConfig({}).logLevel).toBe('warn');
    expect(cli([]).logLevel).toBe('info');
    expect(cli(['--log-level', 'debug']).logLevel).toBe('debug');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(() => cli(['--smtp-port', 'x', '--bogus', '--smtp-auth', 'maybe', '--log-level', 'loud', 'stray']));
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/--smtp-port.*"x"/);
    expect(problems.join('\n')).toMatch(/unknown option --bogus/);
    expect(problems.join('\n')).toMatch(/unexpected argument "stray"/);
  });

  it('rejects out-of-range ports, duplicate ports and half a TLS pair', () => {
    const problems = problemsOf(() => resolveConfig({ smtp: { port: 70000 }, pop3: { port: 2000 }, imap: { port: 2000 }, tls: { certFile: 'a.pem' } }));
    expect(problems.join('\n')).toMatch(/smtp port must be 0-65535/);
    expect(problems.join('\n')).toMatch(/both use port 2000/);
    expect(problems.join('\n')).toMatch(/tls cert and tls key/);
  });

  it('parses ui auth and rejects a malformed one', () => {
    expect(cli(['--ui-auth', 'qa:s3:cret']).uiAuth).toEqual({ user: 'qa', pass: 's3:cret' });
    expect(problemsOf(() => cli(['--ui-auth', 'nocolon']))).toEqual(['ui auth must be user:pass']);
  });

  it('returns a frozen config', () => {
    const c = resolveConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.limits)).toBe(true);
  });

  it('reads a users file, ignoring comments and blank lines', () => {
    const { users, problems } = parseUsersFile('# qa users\nAnn@Example.test:pw:with:colons\n\nbad line\n');
    expect(users).toEqual({ 'ann@example.test': 'pw:with:colons' });
    expect(problems).toEqual(['users file line 4: expected address:password']);
  });

  it('documents every flag and env var in --help', () => {
    const help = formatHelp();
    for (const flag of ['--host', '--smtp-port', '--imaps-port', '--max-message-size', '--max-messages', '--smtp-auth', '--users', '--ui-auth', '--log-level', '--tls-cert', '--no-http', '--json-banner']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('MAILSANDBOX_HTTP_PORT');
  });
});

describe('configuration problems across both checks', () => {
  it('lists flag problems and value problems together', () => {
    const problems = problemsOf(() => cli(['--bogus', 'x', '--ui-auth', 'nocolon', '--smtp-port', '99999']));
    expect(problems.join('\n')).toMatch(/unknown option --bogus/);
    expect(problems.join('\n')).toMatch(/ui auth must be user:pass/);
    expect(problems.join('\n')).toMatch(/smtp port must be 0-65535/);
  });
});

describe('--max-size', () => {
  it('reads a size from the flag or MAILSANDBOX_MAX_SIZE with the message-size parser, the flag winning', () => {
    expect(parseCli(['--max-size', '512MiB'], {}).options.maxSize).toBe(512 * 1024 * 1024);
    expect(parseCli([], { MAILSANDBOX_MAX_SIZE: '2GiB' }).options.maxSize).toBe(2 * 1024 ** 3);
    expect(parseCli(['--max-size', '1GiB'], { MAILSANDBOX_MAX_SIZE: '2GiB' }).options.maxSize).toBe(1024 ** 3);
  });

  it('defaults to 1 GiB and refuses a budget below the max message size', () => {
    expect(resolveConfig({}).maxSize).toBe(1024 ** 3);
    expect(resolveConfig({ maxSize: 0 }).maxSize).toBe(0);
    expect(() => resolveConfig({ maxSize: 1024, maxMessageSize: 4096 })).toThrow(/max size .* must be at least the max message size/);
    expect(() => parseCli(['--max-size', 'lots'], {})).toThrow(/--max-size must be a size/);
  });
});

describe('--database-url and --tenant (issue #13)', () => {
  it('reads the database and tenant from flags and env, flags winning; in memory without them', () => {
    expect(cli([]).database).toBeUndefined();
    expect(cli(['--database-url', 'postgres://u:p@db:5432/mail']).database).toEqual({ url: 'postgres://u:p@db:5432/mail', tenant: 'default' });
    const env = { MAILSANDBOX_DATABASE_URL: 'postgresql://db/env', MAILSANDBOX_TENANT: 'staging' };
    expect(cli([], env).database).toEqual({ url: 'postgresql://db/env', tenant: 'staging' });
    expect(cli(['--tenant', 'ci-42'], env).database).toEqual({ url: 'postgresql://db/env', tenant: 'ci-42' });
    expect(resolveConfig({ databaseUrl: 'postgres://db/lib', tenant: 'lib' }).database).toEqual({ url: 'postgres://db/lib', tenant: 'lib' });
  });

  it('refuses a non-postgres URL, a bad tenant name, and a tenant without a database', () => {
    expect(() => resolveConfig({ databaseUrl: 'mysql://db/x' })).toThrow(/database url must start with postgres:\/\//);
    expect(() => resolveConfig({ databaseUrl: 'not a url' })).toThrow(/database url must be a URL/);
    expect(() => resolveConfig({ databaseUrl: 'postgres://db/x', tenant: 'no spaces' })).toThrow(/tenant must be 1-63/);
    expect(() => resolveConfig({ tenant: 'alone' })).toThrow(/tenant needs a database url/);
  });
});
