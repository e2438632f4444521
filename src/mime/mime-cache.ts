import { bodyStructureOf } from './body-structure.js';
import { envelopeOf } from './envelope.js';
import { formatImapValue } from './imap-value.js';
import { parseMimeTree, type MimeNode } from './mime-tree.js';
import { textOfTree } from './searchable-text.js';
import type { StoredMessage } from '../store/types.js';

interface Rendered {
  envelope?: Buffer;
  body?: Buffer;
  bodyStructure?: Buffer;
}

/**
 * Parsed trees, rendered FETCH items and search text per message. Messages are immutable, so entries never go
 * stale; WeakMaps let them go with the message. One instance per sandbox (no module-level state).
 *
 * @example const mime = new MimeCache(); mime.bodyStructureBytes(message, true) // ("TEXT" "PLAIN" ...)
 */
export class MimeCache {
  readonly #trees = new WeakMap<StoredMessage, MimeNode>();
  readonly #texts = new WeakMap<StoredMessage, string>();
  readonly #rendered = new WeakMap<StoredMessage, Rendered>();

  treeOf(message: StoredMessage): MimeNode {
    let tree = this.#trees.get(message);
    if (!tree) {
      tree = parseMimeTree(message.raw);
      this.#trees.set(message, tree);
    }
    return tree;
  }

  /**
   * The kept tree, or else a fresh parse that is not kept: for a caller that keeps what it makes of the tree (a
   * formatted ENVELOPE or BODYSTRUCTURE), so the tree itself need not stay in memory.
   */
  transientTreeOf(message: StoredMessage): MimeNode {
    return this.#trees.get(message) ?? parseMimeTree(message.raw);
  }

  bodyTextOf(message: StoredMessage): string {
    let text = this.#texts.get(message);
    if (text === undefined) {
      // The text is what is kept; its tree only if something else keeps it.
      text = textOfTree(message.raw, this.transientTreeOf(message));
      this.#texts.set(message, text);
    }
    return text;
  }

  /** `formatImapValue(envelopeOf(tree))`, computed once: clients re-FETCH ENVELOPE for every message often. */
  envelopeBytes(message: StoredMessage): Buffer {
    const rendered = this.#renderedOf(message);
    rendered.envelope ??= formatImapValue(envelopeOf(this.treeOf(message)));
    return rendered.envelope;
  }

  /** BODYSTRUCTURE (`extended`) or BODY, formatted, computed once. */
  bodyStructureBytes(message: StoredMessage, extended: boolean): Buffer {
    const rendered = this.#renderedOf(message);
    if (extended) return (rendered.bodyStructure ??= formatImapValue(bodyStructureOf(this.treeOf(message), true)));
    return (rendered.body ??= formatImapValue(bodyStructureOf(this.treeOf(message), false)));
  }

  #renderedOf(message: StoredMessage): Rendered {
    let rendered = this.#rendered.get(message);
    if (!rendered) {
      rendered = {};
      this.#rendered.set(message, rendered);
    }
    return rendered;
  }
}

/** The tree of a message, from `cache` when given (parsed fresh otherwise). */
export function mimeTreeOf(message: StoredMessage, cache?: MimeCache): MimeNode {
  return cache ? cache.treeOf(message) : parseMimeTree(message.raw);
}
