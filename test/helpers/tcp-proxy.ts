// A TCP proxy between the server and a dependency (PostgreSQL, Redis), for tests that make the dependency fail
// the way networks do: `cut()` resets every connection and refuses new ones (a restart, a partition with
// resets); `hang()` accepts connections and lets nothing through either way (a black hole: packets dropped,
// a frozen server); `restore()` passes traffic again (held connections resume where they stopped).
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's (a postgres:// or redis:// URL). */
  via(url: string): string;
  cut(): void;
  hang(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'pass' | 'cut' | 'hang' = 'pass';
  const pairs = new Set<[Socket, Socket | undefined]>();
  const held: Socket[] = [];

  const join = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket | undefined] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const server = createServer((client) => {
    if (mode === 'cut') return void client.destroy();
    if (mode === 'hang') {
      client.pause();
      client.on('error', () => undefined);
      held.push(client);
      return;
    }
    join(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    via: (url) => {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut: () => {
      mode = 'cut';
      for (const [client, upstream] of [...pairs]) {
        client.resetAndDestroy();
        upstream?.destroy();
      }
      pairs.clear();
      for (const client of held.splice(0)) client.resetAndDestroy();
    },
    hang: () => {
      mode = 'hang';
      for (const [client, upstream] of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    restore: () => {
      mode = 'pass';
      for (const [client, upstream] of pairs) {
        if (!upstream) continue;
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of held.splice(0)) if (!client.destroyed) join(client);
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      for (const client of held.splice(0)) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
