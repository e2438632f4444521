// Ceiling servers: what the same load achieves against a server that does (almost) nothing.
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';

const endOfData = Buffer.from('\r\n.\r\n');

function listen(server, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server.address().port));
  });
}

/**
 * A discard-only SMTP sink: speaks just enough SMTP (220, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and throws
 * the message away at once. The ceiling for SMTP ingest benchmarks. Returns { port, close(), messages() }.
 */
export async function startSmtpSink() {
  let messages = 0;
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let inData = false;
    let pending = '';
    let tail = Buffer.alloc(0);
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      if (inData) {
        // Only the last 4 bytes of the previous chunk matter for a terminator split across chunks.
        const joined = Buffer.concat([tail, chunk]);
        const end = joined.indexOf(endOfData);
        if (end < 0) return void (tail = joined.subarray(Math.max(0, joined.length - 4)));
        inData = false;
        messages++;
        socket.write('250 ok\r\n');
        tail = Buffer.alloc(0);
        chunk = joined.subarray(end + endOfData.length);
      }
      pending += chunk.toString('latin1');
      let nl;
      while (!inData && (nl = pending.indexOf('\r\n')) >= 0) {
        const verb = pending.slice(0, 4).toUpperCase();
        pending = pending.slice(nl + 2);
        if (verb === 'EHLO') socket.write('250-sink\r\n250 PIPELINING\r\n');
        else if (verb === 'DATA') {
          socket.write('354 go ahead\r\n');
          inData = true;
          const rest = Buffer.from(pending, 'latin1');
          pending = '';
          if (rest.length) socket.emit('data', rest);
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    messages: () => messages,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * Bare `smtp-server` (the library the sandbox is built on) keeping each message's bytes in an array: the floor for
 * any server built on that library. Library defaults throughout, except what the sandbox's own options also set
 * (no reverse DNS, no logging, auth optional, the same size limit); its default 100 ms greeting delay for early
 * talkers stays, which only the one-connection-per-message case feels. Returns { port, close(), messages(), clear() }.
 */
export async function startBareSmtpServer({ size = 25 * 1024 * 1024 } = {}) {
  let stored = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    size,
    onData(stream, _session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        stored.push(Buffer.concat(chunks));
        callback(null, 'Ok: kept');
      });
    },
  });
  server.on('error', () => undefined);
  const port = await listen(server.server);
  return {
    port,
    messages: () => stored.length,
    clear: () => void (stored = []),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A plain TCP server, the ceiling for read benchmarks: on each connection it writes `payload` `times` times
 * (respecting backpressure) and ends the connection. Returns { port, close() }.
 */
export async function startTcpSender(payload, times = 1) {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    let left = times;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!socket.write(payload)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  const port = await listen(server);
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A plain TCP server that reads and discards everything; `bytes()` is the total received. */
export async function startTcpDiscard() {
  let bytes = 0;
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => void (bytes += chunk.length));
  });
  const port = await listen(server);
  return { port, bytes: () => bytes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
