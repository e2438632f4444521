import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { ListenerInfo, SandboxInfo } from '../api/types';
import { CopyButton } from './CopyButton';

const tlsText: Record<ListenerInfo['tls'], string> = { starttls: 'plain + STARTTLS', implicit: 'implicit TLS', none: 'plain' };

/** The actual ports (from `/api/v1/info`) and copy-paste settings for the usual clients. */
export function ConnectPanel() {
  const [info, setInfo] = useState<SandboxInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.info().then(setInfo, (e: Error) => setError(e.message));
  }, []);
  if (error) return <p class="view-error">Could not load the server info: {error}</p>;
  if (!info) return <p class="muted">Loading…</p>;
  // A wildcard bind address is not something to connect to; the name the browser used is.
  const host = info.host === '0.0.0.0' || info.host === '::' ? location.hostname : info.host;
  const port = (name: ListenerInfo['name']) => info.listeners.find((l) => l.name === name)?.port ?? null;
  return (
    <div class="connect-panel" data-testid="connect-panel">
      <h1>Connect</h1>
      <p class="muted">
        mailsandbox {info.version} · {plural(info.counts.messages, 'message')} in {plural(info.counts.mailboxes, 'mailbox', 'mailboxes')} · SMTP AUTH {info.smtpAuth}
        {info.tlsSelfSigned ? ' · self-signed TLS certificate' : ''}
      </p>
      <p class="muted" data-testid="store-location">
        {info.store.path === null ? (
          <>Mail is kept in memory: a restart empties it (start with <code>--data-dir DIR</code> to keep it).</>
        ) : (
          <>
            Mail is kept on disk ({info.store.kind}): <code>{info.store.path}</code>
          </>
        )}
      </p>
      <p class="muted" data-testid="tls-certificate">
        TLS certificate SHA-256 <code>{info.tlsFingerprint256}</code> ·{' '}
        <a href="/api/v1/tls/certificate" download="mailsandbox.pem" data-testid="certificate-download">
          Download the certificate (PEM)
        </a>{' '}
        for clients that verify it (nodemailer with <code>tls: {'{ ca }'}</code>, mbsync, fetchmail, curl <code>--cacert</code>)
      </p>
      <table class="kv listeners" data-testid="listeners">
        <thead>
          <tr>
            <th>Listener</th>
            <th>Port</th>
            <th>Security</th>
            <th>URL</th>
          </tr>
        </thead>
        <tbody>
          {info.listeners.map((l) => (
            <tr key={l.name}>
              <th scope="row">{l.name.toUpperCase()}</th>
              <td>{l.port}</td>
              <td>{l.name === 'pop3' && l.tls === 'starttls' ? 'plain + STLS' : tlsText[l.tls]}</td>
              <td>
                <code>{l.url}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {snippets(host, port, (n) => info.listeners.find((l) => l.name === n)?.tls ?? null).map(([title, code]) => (
        <section class="snippet" key={title}>
          <h2>
            {title} <CopyButton text={code} label={`Copy ${title} settings`} />
          </h2>
          <pre>{code}</pre>
        </section>
      ))}
    </div>
  );
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

function snippets(host: string, port: (n: ListenerInfo['name']) => number | null, tls: (n: ListenerInfo['name']) => ListenerInfo['tls'] | null): Array<[string, string]> {
  const security = (n: 'imap' | 'pop3' | 'smtp') => (tls(n) === 'starttls' ? `none or ${n === 'pop3' ? 'STLS' : 'STARTTLS'}` : 'none');
  const out: Array<[string, string]> = [];
  const smtp = port('smtp');
  const imap = port('imap') ?? port('imaps');
  const pop3 = port('pop3') ?? port('pop3s');
  if (smtp !== null) {
    out.push([
      'Node.js (nodemailer)',
      `// The plain port offers no STARTTLS unless the sandbox runs with --starttls on; any credentials are accepted.\nconst transport = nodemailer.createTransport({ host: '${host}', port: ${smtp} });`,
    ]);
    out.push([
      'Python (smtplib)',
      `import smtplib\nfrom email.message import EmailMessage\n\nmsg = EmailMessage()\nmsg['From'], msg['To'], msg['Subject'] = 'app@example.test', 'ann@example.test', 'Hello'\nmsg.set_content('It works.')\nwith smtplib.SMTP('${host}', ${smtp}) as s:\n    s.send_message(msg)`,
    ]);
    out.push(['Environment (.env)', `SMTP_HOST=${host}\nSMTP_PORT=${smtp}\nSMTP_SECURE=false`]);
  }
  const client = [
    imap !== null && `IMAP server: ${host}  port ${imap}  (${port('imap') !== null ? security('imap') : 'SSL/TLS'})`,
    pop3 !== null && `POP3 server: ${host}  port ${pop3}  (${port('pop3') !== null ? security('pop3') : 'SSL/TLS'})`,
    smtp !== null && `SMTP server: ${host}  port ${smtp}  (${security('smtp')})`,
    port('submission') !== null && `SMTP submission: ${host}  port ${port('submission')}  (STARTTLS)`,
    'User name:   the mailbox address, e.g. ann@example.test',
    'Password:    anything (unless the sandbox was started with --users)',
  ].filter(Boolean);
  if (imap !== null || pop3 !== null) out.push(['Mail client (Thunderbird, Apple Mail, …)', client.join('\n')]);
  // The REST API is on this very origin: what a CI script would call to wait for mail.
  out.push(['REST API (curl)', `curl '${location.origin}/api/v1/messages/wait?query=to:ann@example.test&timeout=10s'\ncurl '${location.origin}/api/v1/messages?limit=10'`]);
  return out;
}
