// Writes a handler's event stream as Server-Sent Events: `id:` when given, `event:` = the data's `type`,
// `data:` = JSON; a keep-alive comment every 15 s; stops reading the handler's iterator when the client goes.
// Never compressed (compression.ts), so each event leaves as it is written.
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type { StreamEvent } from '../../generated/server/index.js';

export const KEEP_ALIVE_MS = 15_000;

export function writeEventStream(koa: Koa.Context, status: number, events: AsyncIterable<StreamEvent<unknown>>, validate?: (data: unknown) => void): void {
  koa.status = status;
  koa.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  const iterator = events[Symbol.asyncIterator]();
  if (koa.method === 'HEAD') {
    // The stream's headers, and no events: the stream is not started.
    void iterator.return?.();
    return;
  }
  const out = new PassThrough();
  koa.body = out;
  koa.req.socket.setNoDelay(true);

  let closed = false;
  const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    void iterator.return?.();
    out.end();
  };
  koa.req.on('close', close);

  void (async () => {
    try {
      while (!closed) {
        const next = await iterator.next();
        if (next.done) break;
        const { data, id } = next.value;
        validate?.(data);
        const type = (data as { type?: unknown })?.type;
        out.write(`${id !== undefined ? `id: ${id}\n` : ''}${typeof type === 'string' ? `event: ${type}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
      }
    } catch (error) {
      koa.app.emit('error', error, koa);
    } finally {
      close();
    }
  })();
}
