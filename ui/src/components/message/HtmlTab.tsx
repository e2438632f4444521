import { useState } from 'preact/hooks';
import { urls } from '../../api/client';
import type { MessageDetails } from '../../api/types';

type Width = 'phone' | 'tablet' | 'desktop';
const widths: Array<[Width, string]> = [
  ['phone', 'Phone'],
  ['tablet', 'Tablet'],
  ['desktop', 'Desktop'],
];

// Remote content: <img src="http…">, srcset, background attributes, CSS url(http…), <link href>. Plain <a href>
// links are not loads, so they don't count.
const remotePattern = /(?:src|srcset|background)\s*=\s*["']?\s*(?:https?:)?\/\/|url\(\s*["']?\s*(?:https?:)?\/\/|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?\/\//i;

/**
 * The HTML body in a sandboxed frame: no `allow-scripts` and no `allow-same-origin`, so mail script never runs
 * and the frame can't reach the UI's origin. The server's CSP blocks remote images until `?remote=1` is asked
 * for, per message (the choice is not remembered).
 */
export function HtmlTab({ message }: { message: MessageDetails }) {
  const [remote, setRemote] = useState(false);
  const [width, setWidth] = useState<Width>('desktop');
  const hasRemote = remotePattern.test(message.html ?? '');
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
      <div class={`frame-wrap width-${width}`}>
        <iframe
          class="html-frame"
          title="HTML body"
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          referrerpolicy="no-referrer"
          src={urls.html(message.id, remote)}
          data-testid="html-frame"
        />
      </div>
    </div>
  );
}
