import { useEffect, useRef } from 'preact/hooks';
import type { TranscriptLine } from '../api/types';
import { formatClock } from '../util/format';

const dirLabel: Record<TranscriptLine['dir'], string> = { C: 'C', S: 'S', '*': '*' };
const dirName: Record<TranscriptLine['dir'], string> = { C: 'client', S: 'server', '*': 'note' };

/**
 * A protocol transcript line by line: time, direction (C client / S server / * note) and the text, coloured by
 * direction. Follows the tail while the reader is at the bottom, so live sessions scroll by themselves.
 */
export function TranscriptLines({ lines, dropped = 0 }: { lines: TranscriptLine[]; dropped?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  const onScroll = () => {
    const el = box.current;
    if (el) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };
  if (lines.length === 0) return <p class="muted">No lines yet.</p>;
  return (
    <div class="transcript" ref={box} onScroll={onScroll} data-testid="transcript">
      <table>
        <tbody>
          {lines.map((l, i) => (
            <tr key={i} class={`line dir-${dirName[l.dir]}`}>
              <td class="line-at">{formatClock(l.at)}</td>
              <td class="line-dir" title={dirName[l.dir]}>
                {dirLabel[l.dir]}
              </td>
              <td class="line-text">{l.line}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {dropped > 0 && <p class="muted">… {dropped} more lines not kept</p>}
    </div>
  );
}
