import type { MimePart } from '../../api/types';
import { formatSize } from '../../util/format';
import { displayName } from '../../util/display-name';

/** The MIME tree, one nested list item per part, with the facts a mail developer checks. */
export function StructureTab({ root }: { root: MimePart }) {
  return (
    <ul class="mime-tree" data-testid="mime-tree">
      <PartNode part={root} />
    </ul>
  );
}

function PartNode({ part }: { part: MimePart }) {
  const facts = [
    part.charset && `charset=${part.charset}`,
    part.encoding,
    part.disposition,
    part.filename && `“${displayName(part.filename)}”`,
    part.contentId && `cid:${displayName(part.contentId.replace(/^<|>$/g, ''))}`,
    formatSize(part.size),
  ].filter(Boolean);
  return (
    <li>
      <span class="mime-part">
        <span class="mime-path">{part.path || '·'}</span> <strong>{part.contentType}</strong> <span class="muted">{facts.join(' · ')}</span>
      </span>
      {part.children?.length > 0 && (
        <ul>
          {part.children.map((c) => (
            <PartNode key={c.path} part={c} />
          ))}
        </ul>
      )}
    </li>
  );
}
