import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Protocol, SessionDetails, SessionSummary, TranscriptLine } from '../api/types';
import { useLiveEvents, useOnReconnect } from '../state/live';
import { hrefFor, navigate } from '../state/router';
import { formatClock, formatDateTime } from '../util/format';
import { TranscriptLines } from './TranscriptLines';
import { IconBack } from './Icons';

const protocols: Array<Protocol | ''> = ['', 'smtp', 'pop3', 'imap'];
// The server's ring is bounded; so is a long-lived tab's copy of it, however many sessions start while it's open.
const maxRows = 500;

/** The protocol inspector: recent SMTP, POP3 and IMAP sessions, live, each openable to its transcript. */
export function SessionsPage({ openId }: { openId: string | null }) {
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  const [protocol, setProtocol] = useState<Protocol | ''>('');
  const load = () => api.sessions().then(setSessions, () => undefined);
  useEffect(() => void load(), []);
  useOnReconnect(() => void load());
  useLiveEvents((event) => {
    if (event.type === 'session.started') setSessions((l) => [event.data, ...l.filter((s) => s.id !== event.data.id)].slice(0, maxRows));
    if (event.type === 'session.ended' || event.type === 'session.updated') setSessions((l) => l.map((s) => (s.id === event.data.id ? { ...s, ...event.data } : s)));
  });
  const shown = protocol ? sessions.filter((s) => s.protocol === protocol) : sessions;
  return (
    <div class={'sessions-page' + (openId ? ' has-open' : '')}>
      <section class="list-pane" aria-label="Sessions">
        <div class="toolbar">
          <div class="segmented" role="group" aria-label="Protocol">
            {protocols.map((p) => (
              <button type="button" key={p} class={p === protocol ? 'active' : ''} aria-pressed={p === protocol} onClick={() => setProtocol(p)}>
                {p ? p.toUpperCase() : 'All'}
              </button>
            ))}
          </div>
          <span class="count">{shown.length} sessions</span>
        </div>
        {shown.length === 0 ? (
          <p class="list-empty">No sessions yet. Connect a client to see what it says.</p>
        ) : (
          <ul class="session-list" data-testid="session-list">
            {shown.map((s) => (
              <SessionRow key={s.id} s={s} isOpen={s.id === openId} />
            ))}
          </ul>
        )}
      </section>
      <section class="view-pane" aria-label="Session transcript">
        {openId ? <SessionDetail key={openId} id={openId} /> : <div class="empty-view"><p>Select a session to see its transcript.</p></div>}
      </section>
    </div>
  );
}

function SessionRow({ s, isOpen }: { s: SessionSummary; isOpen: boolean }) {
  return (
    <li class={'session-row' + (isOpen ? ' open' : '')} data-id={s.id}>
      <a href={hrefFor({ page: 'sessions', id: s.id })}>
        <span class={`proto proto-${s.protocol}`}>{s.protocol.toUpperCase()}</span>
        <span class="session-who">{s.user || s.remoteAddress || 'unknown'}</span>
        {s.tls && <span class="badge">TLS</span>}
        <span class={s.endedAt ? 'badge muted' : 'badge live'}>{s.endedAt ? 'ended' : 'live'}</span>
        <time class="row-time" dateTime={s.startedAt}>
          {formatClock(s.startedAt)}
        </time>
      </a>
    </li>
  );
}

function SessionDetail({ id }: { id: string }) {
  const [session, setSession] = useState<SessionDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Lines that arrive while the first fetch is in flight are kept and merged, so none is lost or doubled.
  const pending = useRef<TranscriptLine[] | null>([]);
  useEffect(() => {
    api.session(id).then(
      (s) => {
        setSession({ ...s, lines: mergeLines(s.lines, pending.current ?? []) });
        pending.current = null;
      },
      (e: Error) => setError(e.message),
    );
  }, [id]);
  useLiveEvents((event) => {
    if (event.type === 'session.line' && event.data.sessionId === id) {
      const line = event.data.line;
      if (pending.current) pending.current.push(line);
      else setSession((s) => s && { ...s, lines: [...s.lines, line] });
    }
    if ((event.type === 'session.ended' || event.type === 'session.updated') && event.data.id === id) {
      const update = event.data;
      setSession((s) => s && { ...s, ...update, lines: s.lines });
    }
  });
  if (error) return <p class="view-error session-view" role="alert">Could not load this session: {error}</p>;
  if (!session) return <p class="muted">Loading…</p>;
  return (
    <article class="session-view" data-testid="session-view">
      <div class="view-top">
        <button type="button" class="icon-button back" onClick={() => navigate({ page: 'sessions', id: null })} aria-label="Back to the sessions" title="Back to the sessions">
          <IconBack />
        </button>
        <h1 class="view-subject">
          {session.protocol.toUpperCase()} session <span class="muted">{session.id}</span>
        </h1>
      </div>
      <p class="view-meta-line">
        from {session.remoteAddress || 'unknown'} · {session.tls ? 'TLS' : 'plain'} · {session.user ? `user ${session.user}` : 'not logged in'} · started {formatDateTime(session.startedAt)}
        {session.endedAt ? ` · ended ${formatDateTime(session.endedAt)}` : ' · live'}
      </p>
      <TranscriptLines lines={session.lines} />
    </article>
  );
}

function mergeLines(fetched: TranscriptLine[], live: TranscriptLine[]): TranscriptLine[] {
  const key = (l: TranscriptLine) => `${l.at}|${l.dir}|${l.line}`;
  const tail = new Set(fetched.slice(-200).map(key));
  return [...fetched, ...live.filter((l) => !tail.has(key(l)))];
}
