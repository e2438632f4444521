import { parseMimeTree, type MimeNode } from './mime-tree.js';
import { textOfTree } from './searchable-text.js';
import type { StoredMessage } from '../store/types.js';

/**
 * Parsed trees and search text per message (the wire forms of ENVELOPE and BODYSTRUCTURE are kept by the IMAP
 * server's MessageCache). Messages are immutable, so entries never go stale; WeakMaps let them go with the message.
 * One instance per sandbox (no module-level state).
 *
 * @example const mime = new MimeCache(); mime.treeOf(message).children.length // 2 for a multipart/alternative
 */
export class MimeCache {
  readonly #trees = new WeakMap<StoredMessage, MimeNode>();
  readonly #texts = new WeakMap<StoredMessage, string>();

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
}
