import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Highlight } from './HtmlTab';

/** The `/checks` report as the UI reads it; each check is its result or `{ error: { code, message, flag? } }`. */
type CheckError = { error: { code: string; message: string; flag?: string } };
interface Report {
  html: { score: number; warnings: Array<{ feature: string; title: string; support: { yes: number; partial: number; no: number }; clients: Array<{ name: string; platform: string; support: string }>; element: number | null }> } | CheckError;
  accessibility: { findings: Array<{ rule: string; severity: string; message: string; element: { index: number; path: string; snippet: string } | null }> } | CheckError;
  auth: { dkim: Array<{ domain: string; selector: string; result: string; reason: string }>; spf: { result: string; domain: string }; dmarc: { result: string; policy: string }; arc: { result: string } } | CheckError;
  spam: { score: number; threshold: number; isSpam: boolean; rules: Array<{ name: string; score: number; description: string }> } | CheckError;
  links: { links: Array<{ url: string; status: number | null; ok: boolean; blocked: boolean; error: string | null }> } | CheckError;
}

const failed = (v: unknown): v is CheckError => typeof v === 'object' && v !== null && 'error' in v;

/** One fetch per message shown; the server caches the results, so the chips and the tab may both ask. */
export function useChecks(id: string): { report: Report | null; error: string | null } {
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setReport(null);
    api.checks(id).then((r) => setReport(r as Report), (e: Error) => setError(e.message));
  }, [id]);
  return { report, error };
}

/** "HTML 87 %", "DKIM pass", "Spam 1.2" next to the message header. */
export function CheckChips({ id }: { id: string }) {
  const { report } = useChecks(id);
  if (!report) return null;
  const chips: Array<[string, string, string]> = [];
  if (!failed(report.html)) chips.push(['html', `HTML ${report.html.score} %`, report.html.score >= 80 ? 'good' : 'warn']);
  if (!failed(report.accessibility)) {
    const n = report.accessibility.findings.filter((f) => f.severity === 'error').length;
    chips.push(['a11y', n ? `A11y ${n} issue${n > 1 ? 's' : ''}` : 'A11y ok', n ? 'warn' : 'good']);
  }
  if (!failed(report.auth)) {
    const d = report.auth.dkim.length ? report.auth.dkim[0].result : 'none';
    chips.push(['dkim', `DKIM ${d}`, d === 'pass' ? 'good' : d === 'none' ? 'muted' : 'bad']);
  }
  chips.push(failed(report.spam) ? ['spam', 'Spam: not configured', 'muted'] : ['spam', `Spam ${report.spam.score}`, report.spam.isSpam ? 'bad' : 'good']);
  return (
    <div class="check-chips" data-testid="check-chips">
      {chips.map(([k, label, tone]) => (
        <span key={k} class={`chip chip-${tone}`} data-chip={k}>
          {label}
        </span>
      ))}
    </div>
  );
}

/** "Show": outlines the element in the HTML preview (shown only when the message has HTML to show it in). */
function ShowButton({ highlight, onShow }: { highlight: Highlight; onShow?(h: Highlight): void }) {
  if (!onShow) return null;
  return (
    <button type="button" class="link-button show-element" onClick={() => onShow(highlight)} data-testid="show-element" data-index={highlight.index}>
      Show in preview
    </button>
  );
}

export function ChecksTab({ id, onShow }: { id: string; onShow?(h: Highlight): void }) {
  const { report, error } = useChecks(id);
  if (error) return <p class="muted">Could not run the checks: {error}</p>;
  if (!report) return <p class="muted">Running checks…</p>;
  return (
    <div class="checks-tab" data-testid="checks-tab">
      <Section title="HTML compatibility" value={report.html} render={(h) => (
        <>
          <p>Score <strong data-testid="html-score">{h.score} %</strong> ({h.warnings.length} features not supported everywhere)</p>
          <table class="kv compat" data-testid="compat-table">
            <thead><tr><th>Feature</th><th>Yes</th><th>Partial</th><th>No</th><th>Not supported by</th><th>Where</th></tr></thead>
            <tbody>
              {h.warnings.map((w) => (
                <tr key={w.feature}>
                  <td>{w.title}</td><td>{w.support.yes} %</td><td>{w.support.partial} %</td><td>{w.support.no} %</td>
                  <td>{w.clients.filter((c) => c.support === 'no').map((c) => `${c.name} (${c.platform})`).join(', ')}</td>
                  <td>{w.element === null ? <span class="muted">in &lt;style&gt;</span> : <ShowButton onShow={onShow} highlight={{ index: w.element, path: `element ${w.element}`, label: w.title }} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )} />
      <Section title="Accessibility" value={report.accessibility} render={(a) => (
        a.findings.length === 0 ? <p>No findings.</p> : (
          <ul data-testid="a11y-findings">
            {a.findings.map((f, i) => (
              <li key={i} data-rule={f.rule}>
                <strong>{f.rule}</strong> ({f.severity}): {f.message}
                {f.element && (
                  <>
                    {' '}— <code>{f.element.path}</code> <ShowButton onShow={onShow} highlight={{ index: f.element.index, path: f.element.path, label: f.rule }} />
                  </>
                )}
              </li>
            ))}
          </ul>
        )
      )} />
      <Section title="Authentication" value={report.auth} render={(a) => (
        <ul data-testid="auth-results">
          {a.dkim.length === 0 && <li>DKIM: none (not signed)</li>}
          {a.dkim.map((d, i) => <li key={i}>DKIM d={d.domain} s={d.selector}: <strong>{d.result}</strong> {d.reason}</li>)}
          <li>SPF ({a.spf.domain || 'no sender'}): <strong>{a.spf.result}</strong></li>
          <li>DMARC: <strong>{a.dmarc.result}</strong> (policy {a.dmarc.policy})</li>
          <li>ARC: <strong>{a.arc.result}</strong></li>
        </ul>
      )} />
      <Section title="Spam" value={report.spam} render={(s) => (
        <>
          <p>Score <strong>{s.score}</strong> of {s.threshold} — {s.isSpam ? 'spam' : 'not spam'}</p>
          <ul>{s.rules.map((r) => <li key={r.name}><code>{r.name}</code> {r.score}: {r.description}</li>)}</ul>
        </>
      )} />
      <Section title="Links" value={report.links} render={(l) => (
        <ul>{l.links.map((x) => <li key={x.url}>{x.blocked ? 'blocked' : x.status ?? 'error'} — {x.url}{x.error ? ` (${x.error})` : ''}</li>)}</ul>
      )} />
    </div>
  );
}

function Section<T>({ title, value, render }: { title: string; value: T | CheckError; render(v: T): preact.ComponentChildren }) {
  return (
    <section class="check-section">
      <h3>{title}</h3>
      {failed(value) ? (
        <p class="muted" data-testid="not-configured">{value.error.code === 'not_configured' ? `Not configured: start the sandbox with ${value.error.flag}.` : value.error.message}</p>
      ) : (
        render(value as T)
      )}
    </section>
  );
}
