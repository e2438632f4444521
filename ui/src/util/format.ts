import type { Address } from '../api/types';

export function formatAddress(a: Address | null | undefined): string {
  if (!a) return '';
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

/**
 * The short form for lists: the display name when there is one. Without a From: header the envelope sender (SMTP
 * `MAIL FROM`) is what a user knows the mail by; only with neither is there truly no sender.
 */
export function shortAddress(a: Address | null | undefined, envelopeFrom = ''): string {
  if (!a || !(a.name || a.address)) return envelopeFrom || '(no sender)';
  return a.name || a.address;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const units: Array<[number, string]> = [
  [60, 's'],
  [60, 'min'],
  [24, 'h'],
  [7, 'd'],
];

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function relativeTime(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  let value = Math.max(0, (now - then) / 1000);
  if (value < 10) return 'just now';
  for (const [size, unit] of units) {
    if (value < size) return `${Math.floor(value)} ${unit} ago`;
    value /= size;
  }
  return new Date(then).toLocaleDateString();
}

export function formatDateTime(iso: string | number | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** HH:MM:SS.mmm for transcript lines. */
export function formatClock(at: number | string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime()) || d.getTime() === 0) return '';
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
