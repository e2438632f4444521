import { bad, no } from '../imap-error.js';
import { expectArgCount, getKeyword } from '../wire/args.js';
import { authenticated, defineCommand, ok } from './define.js';

// COMPRESS DEFLATE — RFC 4978: after the tagged OK both directions are raw deflate (over TLS or not).
export const compress = defineCommand({
  names: ['COMPRESS'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs(args) {
    expectArgCount(args, 1);
    if (getKeyword(args, 0, 'compression mechanism') !== 'DEFLATE') throw bad('Unknown compression mechanism; only DEFLATE is supported');
  },
  run(ctx) {
    if (ctx.session.isCompressed) throw no('Compression is already on', 'COMPRESSIONACTIVE');
    // Bytes the client pipelined after COMPRESS (it must not) were sent uncompressed: they are not commands.
    return ok('DEFLATE active', null, async () => {
      ctx.discardInput();
      ctx.session.startCompression();
    });
  },
});
