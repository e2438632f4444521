import { useState } from 'preact/hooks';
import { IconCopy } from './Icons';

/** Copies to the clipboard; falls back to a hidden textarea where the Clipboard API is unavailable (plain http on a LAN name). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1200);
  };
  return (
    <button type="button" class="icon-button small" onClick={() => void copy()} aria-label={label} title={done ? 'Copied' : label}>
      {done ? '✓' : <IconCopy />}
    </button>
  );
}
