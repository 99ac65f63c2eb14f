// A flaky way to the server: a local proxy whose first `failures` requests get 503 with `Retry-After: 0`;
// the rest go through. What a partner meets behind an overloaded load balancer.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function flakyProxy(target: string, failures: number): Promise<{ url: string; requests: () => number; close: () => void }> {
  let seen = 0;
  const server = createServer(async (req, res) => {
    seen += 1;
    if (seen <= failures) {
      res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/problem+json' });
      return void res.end('{"title":"Service Unavailable","status":503}');
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'));
    const answer = await fetch(new URL(req.url ?? '/', target), { method: req.method ?? 'GET', headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
    const body = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'x-request-id': answer.headers.get('x-request-id') ?? '' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => seen, close: () => server.close() };
}
