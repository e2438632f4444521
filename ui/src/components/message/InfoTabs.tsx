import { urls } from '../../api/client';
import type { MessageDetails } from '../../api/types';
import { formatSize } from '../../util/format';
import { displayName } from '../../util/display-name';
import { CopyButton } from '../CopyButton';

export function HeadersTab({ message }: { message: MessageDetails }) {
  return (
    <table class="kv headers" data-testid="headers">
      <tbody>
        {message.headers.map((h, i) => (
          <tr key={i}>
            <th scope="row">{h.name}</th>
            <td>{h.value}</td>
          </tr>
        ))}
        <tr class="envelope">
          <th scope="row">Envelope from</th>
          <td>{message.envelope.mailFrom || '<>'}</td>
        </tr>
        <tr class="envelope">
          <th scope="row">Envelope to</th>
          <td>{message.envelope.rcptTo.join(', ')}</td>
        </tr>
      </tbody>
    </table>
  );
}

/** File names come from mail, so they are shown as text only; the download URL uses the index, never the name. */
export function AttachmentsTab({ message }: { message: MessageDetails }) {
  if (message.attachments.length === 0) return <p class="muted">No attachments.</p>;
  return (
    <ul class="attachments" data-testid="attachments">
      {message.attachments.map((a) => (
        <li key={a.index}>
          <a href={urls.attachment(message.id, a.index)} download data-index={a.index}>
            {/* An unnamed part (an inline image, say) is known by its API index; the server names the file with an extension. */}
            {displayName(a.filename ?? '') || `attachment-${a.index}`}
          </a>
          <span class="muted">
            {' '}
            {a.contentType} · {formatSize(a.size)}
            {a.contentId ? ` · inline (cid:${displayName(a.contentId.replace(/^<|>$/g, ''))})` : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function LinksTab({ message }: { message: MessageDetails }) {
  return (
    <div class="links-tab">
      <h3>Codes</h3>
      {message.codes.length ? (
        <ul class="codes" data-testid="codes">
          {message.codes.map((c) => (
            <li key={c}>
              <code>{c}</code> <CopyButton text={c} label={`Copy code ${c}`} />
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No one-time codes found.</p>
      )}
      <h3>Links</h3>
      {message.links.length ? (
        <ul class="links" data-testid="links">
          {message.links.map((l) => (
            <li key={l}>
              {/^https?:\/\//i.test(l) ? (
                <a href={l} target="_blank" rel="noopener noreferrer">
                  {l}
                </a>
              ) : (
                <span>{l}</span>
              )}{' '}
              <CopyButton text={l} label="Copy link" />
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No links found.</p>
      )}
    </div>
  );
}
