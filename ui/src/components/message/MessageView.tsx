import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { urls } from '../../api/client';
import type { MessageDetails, MimePart } from '../../api/types';
import { useMessage } from '../../state/use-message';
import { hrefFor, navigate } from '../../state/router';
import { formatAddress, formatDateTime, formatSize } from '../../util/format';
import { IconBack, IconDownload, IconEnvelopeOpen, IconTrash } from '../Icons';
import { HtmlTab, type Highlight } from './HtmlTab';
import { SourceTab } from './SourceTab';
import { StructureTab } from './StructureTab';
import { TranscriptTab } from './TranscriptTab';
import { AttachmentsTab, HeadersTab, LinksTab } from './InfoTabs';
import { AddressList } from './AddressList';
import { CheckChips, ChecksTab } from './ChecksTab';
import { TagEditor } from './TagEditor';
import { ReleasePanel } from './ReleasePanel';
import { RelayBadge } from '../TagChips';

type Tab = 'html' | 'text' | 'source' | 'headers' | 'attachments' | 'structure' | 'links' | 'transcript' | 'checks';

/** The tabs this message has: no HTML tab without HTML, no structure without the endpoint, no transcript unless SMTP. */
function tabsFor(message: MessageDetails, structure: MimePart | null): Array<[Tab, string]> {
  const tabs: Array<[Tab, string] | false> = [
    message.html !== null && ['html', 'HTML'],
    ['text', 'Text'],
    ['source', 'Source'],
    ['headers', 'Headers'],
    ['attachments', `Attachments (${message.attachments.length})`],
    structure !== null && ['structure', 'Structure'],
    ['links', `Links & codes (${message.links.length + message.codes.length})`],
    message.source === 'smtp' && ['transcript', 'SMTP transcript'],
    ['checks', 'Checks'],
  ];
  return tabs.filter((t): t is [Tab, string] => t !== false);
}

/** One message: summary header, actions and a tab per view of it. */
export function MessageView({ id, onDelete }: { id: string; onDelete(): void }) {
  const { message, structure, error, deleted, setSeen, patch } = useMessage(id);
  const [tab, setTab] = useState<Tab | null>(null);
  const [releasing, setReleasing] = useState(false);
  const [highlight, setHighlight] = useState<Highlight | null>(null);
  if (deleted) return <ViewFrame>{<DeletedNotice how={deleted} />}</ViewFrame>;
  if (error) return <ViewFrame>{<p class="view-error" role="alert">Could not load this message: {error}</p>}</ViewFrame>;
  if (!message) return <ViewFrame>{<p class="view-loading">Loading…</p>}</ViewFrame>;
  const tabs = tabsFor(message, structure);
  const current: Tab = tab && tabs.some(([t]) => t === tab) ? tab : tabs[0][0];
  return (
    <ViewFrame
      top={
        <>
          <h1 class="view-subject" data-testid="view-subject">{message.subject || '(no subject)'}</h1>
          <MessageActions message={message} onToggleSeen={() => setSeen(!message.seen)} onDelete={onDelete} onRelease={() => setReleasing((r) => !r)} />
        </>
      }
    >
      <MessageHeader message={message} />
      <CheckChips id={id} />
      <TagEditor message={message} onChange={(tags) => patch({ tags })} />
      {releasing && <ReleasePanel message={message} onClose={() => setReleasing(false)} />}
      <div class="tabs" role="tablist" aria-label="Message views">
        {tabs.map(([t, label]) => (
          <button type="button" role="tab" key={t} class={'tab' + (t === current ? ' active' : '')} aria-selected={t === current} onClick={() => setTab(t)} data-tab={t}>
            {label}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" data-testid={`panel-${current}`}>
        {current === 'html' && <HtmlTab message={message} highlight={highlight} onClearHighlight={() => setHighlight(null)} />}
        {current === 'text' && (message.text ? <pre class="text-body" data-testid="text-body">{message.text}</pre> : <p class="muted">No plain-text part.</p>)}
        {current === 'source' && <SourceTab id={id} />}
        {current === 'headers' && <HeadersTab message={message} />}
        {current === 'attachments' && <AttachmentsTab message={message} />}
        {current === 'structure' && structure && <StructureTab root={structure} />}
        {current === 'links' && <LinksTab message={message} />}
        {current === 'transcript' && <TranscriptTab id={id} />}
        {current === 'checks' && (
          <ChecksTab
            id={id}
            onShow={
              message.html === null
                ? undefined
                : (h) => {
                    setHighlight(h);
                    setTab('html');
                  }
            }
          />
        )}
      </div>
    </ViewFrame>
  );
}

function MessageActions({ message, onToggleSeen, onDelete, onRelease }: { message: MessageDetails; onToggleSeen(): void; onDelete(): void; onRelease(): void }) {
  return (
    <div class="view-actions">
      <button type="button" class="button" onClick={onRelease} title="Send this message on to a real inbox through the relay" data-testid="release">
        Release
      </button>
      <button type="button" class="button" onClick={onToggleSeen} data-testid="toggle-seen">
        <IconEnvelopeOpen /> {message.seen ? 'Mark unread' : 'Mark read'}
      </button>
      <a class="button" href={urls.raw(message.id)} download={`${message.id}.eml`} data-testid="download-eml">
        <IconDownload /> .eml
      </a>
      <button type="button" class="button danger" onClick={onDelete} aria-label="Delete message" title="Delete message" data-testid="delete-message">
        <IconTrash />
      </button>
    </div>
  );
}

function MessageHeader({ message }: { message: MessageDetails }) {
  return (
    <div class="view-head">
      <dl class="view-meta">
        <dt>From</dt>
        <dd data-testid="view-from">
          {formatAddress(message.from) ||
            (message.envelope.mailFrom ? (
              <>
                {message.envelope.mailFrom} <span class="muted">(envelope sender; no From: header)</span>
              </>
            ) : (
              '(no sender)'
            ))}
        </dd>
        <dt>To</dt>
        <dd>{message.to.length > 0 ? <AddressList list={message.to} testId="to" /> : message.envelope.rcptTo.join(', ')}</dd>
        {message.cc.length > 0 && <><dt>Cc</dt><dd><AddressList list={message.cc} testId="cc" /></dd></>}
        {message.bcc && message.bcc.length > 0 && <><dt>Bcc</dt><dd><AddressList list={message.bcc} testId="bcc" /></dd></>}
        <dt>Received</dt>
        <dd>
          {formatDateTime(message.receivedAt)} · {formatSize(message.size)} · via {message.source}
          {message.connection?.tls ? ' (TLS)' : ''}
        </dd>
        {message.relays.length > 0 && (
          <>
            <dt>Relayed</dt>
            <dd data-testid="relays">
              <RelayBadge relays={message.relays} />
              {message.relays.map((r, i) => (
                <div key={i} class="relay-line">
                  {formatDateTime(r.at)} to {r.to.join(', ')} via {r.relay}: {r.reply}
                </div>
              ))}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

/** Deleted while open (another tab, IMAP EXPUNGE, POP3 DELE, the API): calm news, not an error. */
function DeletedNotice({ how }: { how: 'while-open' | 'missing' }) {
  return (
    <div class="view-deleted" role="status" data-testid="message-deleted" data-how={how}>
      <p>{how === 'while-open' ? 'This message was deleted.' : 'This message no longer exists.'}</p>
      <p class="muted">
        {how === 'while-open' ? 'It was removed while it was open (from the list, the API, retention, or a POP3/IMAP client).' : 'It was deleted, or the link is wrong.'}{' '}
        <a href={hrefFor({ page: 'messages', id: null })}>Back to the list</a>
      </p>
    </div>
  );
}

/** The back button (phones only) shares the top row with the subject and actions, so none costs a row of its own. */
function ViewFrame({ children, top }: { children: ComponentChildren; top?: ComponentChildren }) {
  return (
    <article class="message-view" data-testid="message-view">
      <div class="view-top">
        <button type="button" class="icon-button back" onClick={() => navigate({ page: 'messages', id: null })} aria-label="Back to the list" title="Back to the list">
          <IconBack />
        </button>
        {top}
      </div>
      {children}
    </article>
  );
}
