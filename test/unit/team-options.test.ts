import { describe, expect, it } from 'vitest';
import { ConfigError, cliDefaultPorts, formatHelp, parseCli, resolveConfig } from '../../src/config.js';
import { parseRelayUrl } from '../../src/relay/relay-url.js';
import { RelayAllowList, parseAllowPatterns } from '../../src/relay/relay-allow-list.js';
import { smtpRejectionReason } from '../../src/smtp/rejection-reason.js';

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

describe('parseRelayUrl', () => {
  it.each([
    ['smtp://mail.example.com', { host: 'mail.example.com', port: 587, secure: false, requireTls: false, ignoreTls: false, verifyCertificate: true, display: 'smtp://mail.example.com:587' }],
    ['smtps://mail.example.com', { port: 465, secure: true, display: 'smtps://mail.example.com:465' }],
    ['smtp://me%40corp.test:p%3Ass@127.0.0.1:2525?starttls=required', { host: '127.0.0.1', port: 2525, user: 'me@corp.test', pass: 'p:ss', requireTls: true, display: 'smtp://127.0.0.1:2525' }],
    ['smtp://[::1]:25?starttls=never&verify=false', { host: '::1', port: 25, ignoreTls: true, verifyCertificate: false, display: 'smtp://[::1]:25' }],
  ])('reads %s', (url, expected) => {
    expect(parseRelayUrl(url)).toMatchObject(expected);
  });

  it.each([
    ['mail.example.com', /like smtp:\/\//],
    ['http://mail.example.com', /smtp:\/\/ or smtps:\/\//],
    ['smtp://h?starttls=maybe', /starttls must be/],
    ['smtp://h?verify=no', /verify must be/],
    ['smtp://h?tls=1', /unknown parameter tls/],
    ['smtps://h?starttls=required', /not smtps/],
  ])('refuses %s', (url, message) => {
    expect(() => parseRelayUrl(url)).toThrow(message);
  });

  it('never repeats the password in its error message', () => {
    expect(() => parseRelayUrl('smtp://user:hunter2@exa mple.com')).toThrow(/user:\*\*\*@/);
    expect(() => parseRelayUrl('smtp://user:hunter2@exa mple.com')).not.toThrow(/hunter2/);
  });
});

describe('RelayAllowList', () => {
  const list = new RelayAllowList(parseAllowPatterns('*@example.com, qa+*@corp.test ann@real.test'));
  it.each([
    ['bob@example.com', true],
    ['BOB@Example.COM', true],
    ['bob@example.com.evil.test', false],
    ['bob@sub.example.com', false],
    ['qa+login@corp.test', true],
    ['qa@corp.test', false],
    ['ann@real.test', true],
    ['xann@real.test', false],
  ])('%s allowed: %s', (address, allowed) => {
    expect(list.allows(address)).toBe(allowed);
  });

  it('allows nothing when empty, and lists what it refuses', () => {
    expect(new RelayAllowList([]).allows('a@b')).toBe(false);
    expect(list.refused(['bob@example.com', 'eve@evil.test'])).toEqual(['eve@evil.test']);
  });

  it('treats regular-expression characters in patterns literally', () => {
    const dots = new RelayAllowList(['a.b@x.test']);
    expect(dots.allows('a.b@x.test')).toBe(true);
    expect(dots.allows('aXb@x.test')).toBe(false);
  });
});

describe('team options on the command line', () => {
  it('reads the relay flags and repeatable --webhook and --relay-allow', () => {
    const c = cli([
      '--relay', 'smtp://u:p@relay.test:2525?starttls=required',
      '--relay-allow', '*@example.com',
      '--relay-allow', 'qa@corp.test,ops@corp.test',
      '--relay-return-path', 'bounces@example.com',
      '--relay-auto', 'tag:ship',
      '--webhook', 'http://127.0.0.1:9000/a',
      '--webhook=https://hooks.example.test/b',
      '--webhook-secret', 's3cret',
      '--webhook-events', 'message.added,session.started',
    ]);
    expect(c.relay).toMatchObject({ allow: ['*@example.com', 'qa@corp.test', 'ops@corp.test'], returnPath: 'bounces@example.com', auto: 'tag:ship', target: { host: 'relay.test', port: 2525, user: 'u', pass: 'p', requireTls: true } });
    expect(c.webhooks).toMatchObject({ urls: ['http://127.0.0.1:9000/a', 'https://hooks.example.test/b'], secret: 's3cret', events: ['message.added', 'session.started'], retryDelaysMs: [1000, 2000, 4000, 8000], timeoutMs: 10_000 });
  });

  it('reads the environment, and a repeatable flag replaces its variable rather than adding to it', () => {
    const env = { MAILSANDBOX_WEBHOOK: 'http://a.test/1 http://a.test/2', MAILSANDBOX_RELAY: 'smtps://r.test', MAILSANDBOX_RELAY_ALLOW: '*@x.test', MAILSANDBOX_WEBHOOK_EVENTS: 'all' };
    const fromEnv = cli([], env);
    expect(fromEnv.webhooks.urls).toEqual(['http://a.test/1', 'http://a.test/2']);
    expect(fromEnv.webhooks.events).toContain('session.ended');
    expect(fromEnv.relay).toMatchObject({ allow: ['*@x.test'], target: { secure: true, port: 465 } });
    expect(cli(['--webhook', 'http://b.test/only'], env).webhooks.urls).toEqual(['http://b.test/only']);
  });

  it('has no relay and no webhooks by default', () => {
    const c = cli([]);
    expect(c.relay).toBeUndefined();
    expect(c.webhooks.urls).toEqual([]);
  });

  it('lists every problem with the team options at once', () => {
    const problems = problemsOf(() => cli(['--relay', 'ftp://x', '--webhook', 'file:///etc/passwd', '--webhook-events', 'message.added,nope']));
    expect(problems).toEqual([
      expect.stringMatching(/relay URL must start with smtp:\/\/ or smtps:\/\//),
      expect.stringMatching(/webhook must be an http:\/\/ or https:\/\/ URL, got "file:\/\/\/etc\/passwd"/),
      expect.stringMatching(/webhook event "nope" is unknown/),
    ]);
    expect(problemsOf(() => cli(['--relay-allow', '*@x.test']))).toEqual([expect.stringMatching(/need a relay URL \(--relay\)/)]);
  });

  it('documents the flags in --help', () => {
    const help = formatHelp();
    for (const flag of ['--relay ', '--relay-allow', '--relay-return-path', '--relay-auto', '--webhook ', '--webhook-secret', '--webhook-events']) expect(help).toContain(flag);
  });
});

describe('smtpRejectionReason', () => {
  it.each([
    [552, 'DATA', 'size'],
    [452, 'RCPT', 'recipients'],
    [530, 'MAIL', 'auth_required'],
    [553, 'MAIL', 'address'],
    [450, 'RCPT', 'mailbox_unavailable'],
    [499, 'DATA', '499'],
    [250, 'DATA', null],
    [535, 'AUTH', null],
    [500, 'XYZZY', null],
  ])('%i after %s is %s', (code, verb, reason) => {
    expect(smtpRejectionReason(code, verb)).toBe(reason);
  });
});
