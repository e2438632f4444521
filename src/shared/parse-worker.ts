import { parentPort } from 'node:worker_threads';
import { parseMessageDetails } from '../mime/message-details.js';
import { parseMimeTree } from '../mime/mime-tree.js';
import { textOfTree } from '../mime/searchable-text.js';
import { describeStructure } from '../mime/structure-info.js';
import type { ParseRequest, ParseResponse, WireDetails } from './parse-pool.js';

/**
 * The parse pool's worker (see parse-pool.ts): runs mailparser and the MIME work for one message at a time, so a
 * hostile message costs this thread's time, never the event loop that serves every protocol (SPEC §10).
 */
const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread only');

port.on('message', (request: ParseRequest) => {
  run(request).then(
    ([value, transfer]) => port.postMessage({ id: request.id, ok: true, value } satisfies ParseResponse, transfer),
    (err: unknown) => port.postMessage({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ParseResponse),
  );
});

async function run(request: ParseRequest): Promise<[unknown, ArrayBuffer[]]> {
  const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
  switch (request.kind) {
    case 'details': {
      const d = await parseMessageDetails(raw, request.subject);
      // Fresh buffers, so the transfer never detaches a pooled slab that other Buffers share.
      const contents = d.attachments.map((a) => {
        const content = d.attachmentContent(a.index);
        const copy = new Uint8Array(content?.length ?? 0);
        if (content) copy.set(content);
        return copy;
      });
      const { attachmentContent: _, ...rest } = d;
      const value: WireDetails = { ...rest, contents };
      return [value, contents.map((c) => c.buffer as ArrayBuffer)];
    }
    case 'structure':
      return [describeStructure(parseMimeTree(raw)), []];
    case 'body-text':
      return [textOfTree(raw, parseMimeTree(raw)).toLowerCase(), []];
  }
}
