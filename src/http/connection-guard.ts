import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Connection slots of the HTTP listener (SPEC §10, "Connections"): at most `total` sockets, and one remote address
 * at most `perAddress` of them, so a client holding idle sockets can't lock the UI out for everyone else. Idle
 * sockets don't stay forever either: the server's header timeout closes a connection that never completes its
 * request headers.
 */
export interface ConnectionShare {
  readonly total: number;
  readonly perAddress: number;
}

/** Half the slots per address (SPEC §10), never fewer than one. */
export function connectionShareOf(total: number): ConnectionShare {
  return { total, perAddress: Math.max(1, Math.floor(total / 2)) };
}

const busyResponse = (message: string) =>
  `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 10\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`;

/**
 * Applies `share` to `server`, counting only the sockets it serves: a refused one gets its `503` and is closed, and
 * never takes a slot while it goes (a client that does not close its side keeps it for up to a second). Node's own
 * `maxConnections` counted those too, so one address refused past its half could fill the rest for that second, and
 * another address was cut off with a reset instead of served. It stays as a backstop, at twice the slots.
 */
export function guardConnections(server: Server, share: ConnectionShare): void {
  server.maxConnections = share.total * 2;
  const perAddress = new Map<string, number>();
  let served = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = perAddress.get(address) ?? 0;
    if (count >= share.perAddress) return refuse(socket, 'too_many_connections', `At most ${share.perAddress} connections per address`);
    if (served >= share.total) return refuse(socket, 'too_many_connections', `At most ${share.total} connections`);
    served++;
    perAddress.set(address, count + 1);
    socket.once('close', () => {
      served--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
}

function refuse(socket: Socket, code: string, message: string): void {
  socket.on('error', () => undefined);
  // What the client sent is read and dropped: closing with it unread would reset the connection, and a reset can
  // make the client lose the 503 before it reads it.
  socket.resume();
  socket.end(busyResponse(JSON.stringify({ error: { code, message } })));
  // The client may never read; don't let it hold the socket open by not acknowledging.
  setTimeout(() => socket.destroy(), 1000).unref();
}
