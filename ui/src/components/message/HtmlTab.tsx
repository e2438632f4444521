import { useState } from 'preact/hooks';
import { urls } from '../../api/client';
import type { MessageDetails } from '../../api/types';
import { hasRemoteContent } from '../../util/remote-content';

type Width = 'phone' | 'tablet' | 'desktop';

/** A check finding's element to show in the preview: its document-order index (as the checks report it), path, why. */
export interface Highlight {
  index: number;
  path: string;
  label: string;
}
const widths: Array<[Width, string]> = [
  ['phone', 'Phone'],
  ['tablet', 'Tablet'],
  ['desktop', 'Desktop'],
];

/**
 * The HTML body in a sandboxed frame with no permissions at all: mail script never runs, the frame can't reach the
 * UI's origin, submit forms, navigate the UI or open windows. The server's CSP blocks remote images until
 * `?remote=1` is asked for, per message (the choice is not remembered).
 *
 * No `allow-popups` / `allow-popups-to-escape-sandbox`: the `/html` CSP's bare `sandbox` already forbids popups, so
 * they only suggested that links open; and were the CSP ever relaxed, an escaped popup would run whatever the mail
 * linked to, outside any sandbox. Links are followed from the Links tab (http(s) only, noopener, no referrer).
 */
export function HtmlTab({ message, highlight = null, onClearHighlight }: { message: MessageDetails; highlight?: Highlight | null; onClearHighlight?(): void }) {
  const [remote, setRemote] = useState(false);
  const [width, setWidth] = useState<Width>('desktop');
  const hasRemote = hasRemoteContent(message.html);
  return (
    <div class="html-tab">
      <div class="html-bar">
        <div class="segmented" role="group" aria-label="Preview width">
          {widths.map(([w, label]) => (
            <button type="button" key={w} class={w === width ? 'active' : ''} aria-pressed={w === width} onClick={() => setWidth(w)} data-width={w}>
              {label}
            </button>
          ))}
        </div>
        {hasRemote && !remote && (
          <span class="remote-note" data-testid="remote-blocked">
            Remote images are blocked.{' '}
            <button type="button" class="link-button" onClick={() => setRemote(true)} data-testid="load-remote">
              Load remote images
            </button>
          </span>
        )}
      </div>
      {highlight && (
        <p class="highlight-note" role="status" data-testid="highlight-note">
          Showing <code>{highlight.path}</code> ({highlight.label}), outlined in the preview.{' '}
          <button type="button" class="link-button" onClick={onClearHighlight} data-testid="clear-highlight">
            Clear
          </button>
        </p>
      )}
      <div class={`frame-wrap width-${width}`}>
        <iframe
          class="html-frame"
          title="HTML body"
          sandbox=""
          referrerpolicy="no-referrer"
          src={urls.html(message.id, remote, highlight?.index ?? null)}
          data-testid="html-frame"
        />
      </div>
    </div>
  );
}
