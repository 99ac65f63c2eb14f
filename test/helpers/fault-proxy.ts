// A real HTTP proxy in front of a real test server that injects the faults a client meets on the way:
// the connection dropped before the request reaches the server or after the server has answered it, a 503
// with Retry-After, an answer held back. Each request that reaches the proxy takes the next planned fault
// (none left: passed through) and is recorded, body included, so a test sees every attempt the client made.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Closes the client's connection before anything is sent on to the server. */
  | 'drop-before'
  /** Sends the request on, lets the server answer it, then closes the client's connection instead of answering. */
  | 'drop-after'
  /** Answers 503 itself, with this Retry-After (omitted when undefined); the server never sees the request. */
  | { status: 503; retryAfter?: string }
  /** Sends the request on and holds the server's answer back this long. */
  | { delayMs: number };

export interface Attempt {
  method: string;
  path: string;
  body: string;
  fault: Fault | 'pass';
}

export interface FaultProxy {
  baseUrl: string;
  /** Every request that reached the proxy, in order. */
  attempts: Attempt[];
  /** Faults for the next requests, one each, in order; later requests pass. */
  plan(...faults: Fault[]): void;
  /** Forgets the planned faults and the attempts seen. */
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends the request to the server and reads its whole answer. */
function forward(
  upstream: URL,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: { ...req.headers, host: upstream.host } },
      async (res) => {
        try {
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: await readBody(res) });
        } catch (error) {
          reject(error);
        }
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

export async function startFaultProxy(upstreamBaseUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamBaseUrl);
  const planned: Fault[] = [];
  const attempts: Attempt[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const fault = planned.shift() ?? 'pass';
    const body = await readBody(req);
    attempts.push({ method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8'), fault });
    if (fault === 'drop-before') return void req.socket.destroy();
    if (typeof fault === 'object' && 'status' in fault) {
      res.writeHead(fault.status, {
        'content-type': 'application/problem+json',
        ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
      });
      return void res.end(JSON.stringify({ title: 'Service Unavailable', status: fault.status }));
    }
    try {
      const answer = await forward(upstream, req, body);
      if (fault === 'drop-after') return void req.socket.destroy();
      if (typeof fault === 'object') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (res.destroyed) return;
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
      res.end(answer.body);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    plan: (...faults) => void planned.push(...faults),
    reset: () => {
      planned.length = 0;
      attempts.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
