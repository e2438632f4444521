import type { FaultRule, FaultRuleInput } from './types';
import type { MailboxInfo, MessageDetails, MessagePage, MessageSummary, MimePart, RelayInfo, ReleaseResult, SandboxInfo, SessionDetails, SessionSummary, TranscriptLine, WebhooksState } from './types';

/** An HTTP error from the API (`{ error: { code, message } }`), with the status kept for 404 handling. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const base = '/api/v1';

// Same-origin requests with default credentials: the server refuses state changes whose Origin is not its own.
async function request(path: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(base + path, init);
  if (res.ok) return res;
  let code = 'HTTP_' + res.status;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not JSON (a proxy error page, say): keep the status text.
  }
  throw new ApiError(res.status, code, message);
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  return (await request(path, init)).json() as Promise<T>;
}

function qs(params: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

export interface ListQuery {
  query: string;
  mailbox: string;
}

export const api = {
  listMessages: (q: ListQuery, offset: number, limit: number) =>
    json<MessagePage>('/messages' + qs({ query: q.query, mailbox: q.mailbox, limit, offset })),
  getMessage: (id: string) => json<MessageDetails>(`/messages/${encodeURIComponent(id)}`),
  getRaw: async (id: string) => (await request(`/messages/${encodeURIComponent(id)}/raw`)).text(),
  getStructure: (id: string) => json<MimePart>(`/messages/${encodeURIComponent(id)}/structure`),
  getTranscript: async (id: string): Promise<TranscriptLine[]> => normalizeTranscript(await json<unknown>(`/messages/${encodeURIComponent(id)}/transcript`)),
  setSeen: (id: string, seen: boolean) =>
    json<unknown>(`/messages/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ seen }),
    }),
  deleteMessage: async (id: string) => void (await request(`/messages/${encodeURIComponent(id)}`, { method: 'DELETE' })),
  deleteMatching: async (q: ListQuery) => void (await request('/messages' + qs({ query: q.query, mailbox: q.mailbox }), { method: 'DELETE' })),
  mailboxes: async (): Promise<MailboxInfo[]> => {
    const body = await json<unknown>('/mailboxes');
    const list = Array.isArray(body) ? body : ((body as { mailboxes?: unknown[] }).mailboxes ?? []);
    return list.map((m) => (typeof m === 'string' ? { address: m } : (m as MailboxInfo)));
  },
  sessions: async (protocol?: string): Promise<SessionSummary[]> => {
    const body = await json<unknown>('/sessions' + qs({ protocol }));
    return Array.isArray(body) ? (body as SessionSummary[]) : ((body as { sessions?: SessionSummary[] }).sessions ?? []);
  },
  session: (id: string) => json<SessionDetails>(`/sessions/${encodeURIComponent(id)}`),
  info: () => json<SandboxInfo>('/info'),
  faults: async (): Promise<FaultRule[]> => (await json<{ faults: FaultRule[] }>('/faults')).faults,
  addFault: (rule: FaultRuleInput) => json<FaultRule>('/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rule) }),
  removeFault: async (id: string) => void (await request(`/faults/${encodeURIComponent(id)}`, { method: 'DELETE' })),
  clearFaults: async () => void (await request('/faults', { method: 'DELETE' })),
  checks: (id: string) => json<unknown>(`/messages/${encodeURIComponent(id)}/checks`),
  // SPEC §15: tags, release, webhooks.
  setTags: (id: string, tags: string[]) =>
    json<MessageSummary>(`/messages/${encodeURIComponent(id)}/tags`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tags }) }),
  tags: async (): Promise<Array<{ tag: string; count: number }>> => (await json<{ tags: Array<{ tag: string; count: number }> }>('/tags')).tags,
  relay: () => json<RelayInfo>('/relay'),
  release: (id: string, to: string[]) =>
    json<ReleaseResult>(`/messages/${encodeURIComponent(id)}/release`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ to }) }),
  webhooks: () => json<WebhooksState>('/webhooks'),
};

export const urls = {
  /** The sandboxed HTML; `highlight` outlines a check finding's element and scrolls to it (`#mailsandbox-highlight`). */
  html: (id: string, remote: boolean, highlight: number | null = null) =>
    `${base}/messages/${encodeURIComponent(id)}/html${qs({ remote: remote ? 1 : undefined, highlight: highlight ?? undefined })}${highlight === null ? '' : '#mailsandbox-highlight'}`,
  raw: (id: string) => `${base}/messages/${encodeURIComponent(id)}/raw`,
  attachment: (id: string, n: number) => `${base}/messages/${encodeURIComponent(id)}/attachments/${n}`,
};

// The transcript endpoint may answer with the lines, `{ lines }`, or plain text; the UI shows all three the same way.
function normalizeTranscript(body: unknown): TranscriptLine[] {
  if (Array.isArray(body)) return body as TranscriptLine[];
  if (body && typeof body === 'object' && Array.isArray((body as { lines?: unknown }).lines)) {
    return (body as { lines: TranscriptLine[] }).lines;
  }
  if (typeof body === 'string') return body.split(/\r?\n/).map((line) => ({ at: 0, dir: '*' as const, line }));
  return [];
}
