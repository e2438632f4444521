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

/** Applies `share` to `server`: the total through `maxConnections`, the per-address share on each new socket. */
export function guardConnections(server: Server, share: ConnectionShare): void {
  server.maxConnections = share.total;
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = perAddress.get(address) ?? 0;
    if (count >= share.perAddress) {
      const body = JSON.stringify({ error: { code: 'too_many_connections', message: `At most ${share.perAddress} connections per address` } });
      socket.on('error', () => undefined);
      socket.end(busyResponse(body));
      // The client may never read; don't let it hold the socket open by not acknowledging.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    perAddress.set(address, count + 1);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
}
