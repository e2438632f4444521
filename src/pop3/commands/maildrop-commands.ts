import { parseMessageNumber } from '../maildrop.js';
import { ok, Pop3Error, sliceTop } from '../responses.js';
import { defineCommand } from './command.js';

// STAT — RFC 1939 §5: count and octets of the messages not marked deleted.
export const statCommand = defineCommand({
  states: ['transaction'],
  args: [0, 0],
  usage: 'STAT',
  run({ maildrop }) {
    return ok(`${maildrop.count} ${maildrop.octets}`);
  },
});

// LIST [msg] — RFC 1939 §5. Sizes are the exact raw octets: clients compare them with what RETR sends.
export const listCommand = defineCommand({
  states: ['transaction'],
  args: [0, 1],
  usage: 'LIST [msg]',
  run({ maildrop }, [arg]) {
    if (arg !== undefined) {
      const e = maildrop.resolve(arg);
      return ok(`${e.n} ${e.size}`);
    }
    const lines = maildrop.live().map((e) => `${e.n} ${e.size}`);
    return ok(`${maildrop.count} messages (${maildrop.octets} octets)`, { lines, linesNote: `<${lines.length} entries>` });
  },
});

// UIDL [msg] — RFC 1939 §7.
export const uidlCommand = defineCommand({
  states: ['transaction'],
  args: [0, 1],
  usage: 'UIDL [msg]',
  run({ maildrop }, [arg]) {
    if (arg !== undefined) {
      const e = maildrop.resolve(arg);
      return ok(`${e.n} ${e.uidl}`);
    }
    const lines = maildrop.live().map((e) => `${e.n} ${e.uidl}`);
    return ok('Unique-ID listing follows', { lines, linesNote: `<${lines.length} entries>` });
  },
});

// RETR msg — RFC 1939 §5. The message is marked \Seen at QUIT, as Dovecot does (see commitAndQuit).
export const retrCommand = defineCommand({
  states: ['transaction'],
  args: [1, 1],
  usage: 'RETR msg',
  run({ maildrop }, [arg]) {
    const e = maildrop.resolve(arg);
    maildrop.markRetrieved(e);
    const data = e.placement.message.raw;
    return ok(`${e.size} octets`, { body: { data, note: `<message ${e.n}: ${e.size} octets>` } });
  },
});

// TOP msg n — RFC 1939 §7: header, blank line, first n body lines. A preview: no \Seen.
export const topCommand = defineCommand({
  states: ['transaction'],
  args: [2, 2],
  usage: 'TOP msg lines',
  run({ maildrop }, [arg, count]) {
    const e = maildrop.resolve(arg);
    // Same digit rule as message numbers; a huge count just means "the whole message".
    if (!/^\d+$/.test(count)) throw new Pop3Error('Invalid line count');
    const lines = count.length > 10 ? Number.MAX_SAFE_INTEGER : parseMessageNumber(count);
    const data = sliceTop(e.placement.message.raw, lines);
    return ok('Top of message follows', { body: { data, note: `<top of message ${e.n}: ${data.length} octets>` } });
  },
});

// DELE msg — RFC 1939 §5: only marks; QUIT commits.
export const deleCommand = defineCommand({
  states: ['transaction'],
  args: [1, 1],
  usage: 'DELE msg',
  run({ maildrop }, [arg]) {
    const e = maildrop.resolve(arg);
    maildrop.markDeleted(e);
    return ok(`Message ${e.n} deleted`);
  },
});

// RSET — RFC 1939 §5: unmark every deletion.
export const rsetCommand = defineCommand({
  states: ['transaction'],
  args: [0, 0],
  usage: 'RSET',
  run({ maildrop }) {
    maildrop.reset();
    return ok(`Maildrop has ${maildrop.count} messages (${maildrop.octets} octets)`);
  },
});

// NOOP — RFC 1939 §5.
export const noopCommand = defineCommand({
  states: ['transaction'],
  args: [0, 0],
  usage: 'NOOP',
  run() {
    return ok('');
  },
});
