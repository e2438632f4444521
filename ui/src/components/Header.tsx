import type { FeedStatus } from '../api/live-feed';
import { hrefFor } from '../state/router';
import type { Route } from '../state/router';
import type { ThemeChoice } from '../state/theme';
import { IconAuto, IconMail, IconMoon, IconSun } from './Icons';

interface Props {
  route: Route;
  theme: ThemeChoice;
  onCycleTheme(): void;
  status: FeedStatus;
}

const statusText: Record<FeedStatus['state'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Offline',
};

export function Header({ route, theme, onCycleTheme, status }: Props) {
  const tab = (page: Route['page'], label: string) => (
    <a class={'nav-tab' + (route.page === page ? ' active' : '')} href={hrefFor(page === 'connect' || page === 'faults' || page === 'webhooks' ? { page } : { page, id: null })} aria-current={route.page === page ? 'page' : undefined}>
      {label}
    </a>
  );
  const retry = status.state === 'offline' && status.retryInMs > 0 ? `, retrying in ${Math.ceil(status.retryInMs / 1000)} s` : '';
  return (
    <header class="header">
      <a class="brand" href="#/messages" aria-label="mailsandbox home">
        <IconMail />
        <span class="brand-name">mailsandbox</span>
      </a>
      <nav class="nav" aria-label="Sections">
        {tab('messages', 'Messages')}
        {tab('sessions', 'Sessions')}
        {tab('faults', 'Faults')}
        {tab('webhooks', 'Webhooks')}
        {tab('connect', 'Connect')}
      </nav>
      <div class="header-end">
        <span class={`conn conn-${status.state}`} role="status" data-testid="connection" data-state={status.state} title={statusText[status.state] + retry}>
          <span class="conn-dot" aria-hidden="true" />
          <span class="conn-text">{statusText[status.state] + retry}</span>
        </span>
        <button type="button" class="icon-button" onClick={onCycleTheme} aria-label={`Theme: ${theme}. Switch theme`} title={`Theme: ${theme}`} data-testid="theme-toggle">
          {theme === 'dark' ? <IconMoon /> : theme === 'light' ? <IconSun /> : <IconAuto />}
        </button>
      </div>
    </header>
  );
}
