import { composeMessage } from '../mime/compose-message.js';
import { StoreError } from '../store/types.js';
import { arrivalTags } from '../store/tags.js';
import type { ConnectionInfo, StoredMessage } from '../store/types.js';
import type { ServerContext } from './server-context.js';

/**
 * `POST /api/v1/send` and `sandbox.send()`: builds the message and stores it as received (source `api`), in every
 * recipient's INBOX, Bcc included. Throws SendValidationError (a bad field) or StoreError TOOBIG.
 */
export async function sendMessage(ctx: ServerContext, body: unknown, connection?: ConnectionInfo): Promise<StoredMessage> {
  const composed = await composeMessage(body);
  if (composed.raw.length > ctx.config.maxMessageSize) {
    throw new StoreError('TOOBIG', `The message is ${composed.raw.length} bytes; the limit is ${ctx.config.maxMessageSize}`);
  }
  const message = await ctx.store.exclusive(() =>
    ctx.store.deliver({
      raw: composed.raw,
      envelope: composed.envelope,
      source: 'api',
      connection: connection ?? { tls: false },
      tags: [...arrivalTags(composed.raw, composed.envelope.rcptTo), ...composed.tags],
    }),
  );
  await ctx.store.durable();
  return message;
}
