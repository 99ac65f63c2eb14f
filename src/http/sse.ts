// Writes a handler's event stream as Server-Sent Events: `id:` when given, `event:` = the data's `type`,
// `data:` = JSON; a keep-alive comment every 15 s (configurable); stops reading the handler's iterator when
// the client goes.
//
// Backpressure: the next event is only pulled once the client has read the previous ones (the socket
// drained), so a slow client holds at most one socket buffer here and never slows anyone else. A live feed
// that cannot wait (room events keep coming) keeps its own bounded buffer and, when a client falls too far
// behind, aborts its `cutOff` signal: the connection is then cut at once, without the stream's end, so the
// client knows to reconnect and resume (with Last-Event-ID). An event object sent to many clients (one room
// event to all its followers) is validated and serialized once.
// Never compressed (compression.ts), so each event leaves as it is written.
import type Koa from 'koa';
import type { StreamEvent } from '../../generated/server/index.js';
import type { StreamRecorder } from '../platform/metrics.js';
import type { Committed, CutOff, Unnamed } from '../realtime/stream-signals.js';

export const KEEP_ALIVE_MS = 15_000;

export interface StreamOptions {
  keepAliveMs?: number;
  /** Counts the open stream, its events and (for events that say when they were committed) their lag. */
  metrics?: StreamRecorder;
}

/** Each event object's frame, named and unnamed, built (and validated) by the first connection that writes it. */
const frames = new WeakMap<object, string>();
const unnamedFrames = new WeakMap<object, string>();

function frameOf(event: StreamEvent<unknown>, unnamed: boolean, validate?: (data: unknown) => void): string {
  const cache = unnamed ? unnamedFrames : frames;
  let frame = cache.get(event);
  if (frame === undefined) {
    const { data, id } = event;
    if (!frames.has(event) && !unnamedFrames.has(event)) validate?.(data);
    const type = (data as { type?: unknown })?.type;
    frame = `${id !== undefined ? `id: ${id}\n` : ''}${typeof type === 'string' && !unnamed ? `event: ${type}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
    cache.set(event, frame);
  }
  return frame;
}

export function writeEventStream(
  koa: Koa.Context,
  status: number,
  events: AsyncIterable<StreamEvent<unknown>>,
  validate?: (data: unknown) => void,
  options: StreamOptions = {},
): void {
  // Written to the response directly (no stream in between: one write per event and client is the hot path).
  const out = koa.res;
  koa.status = status;
  koa.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  const iterator = events[Symbol.asyncIterator]();
  if (koa.method === 'HEAD') {
    // The stream's headers, and no events: the stream is not started.
    void iterator.return?.();
    return;
  }
  koa.respond = false;
  koa.req.socket.setNoDelay(true);
  out.flushHeaders(); // the client knows the stream is open before the first event (which may be minutes away)

  const metrics = options.metrics;
  metrics?.opened();
  const cutOff = (events as CutOff).cutOff;
  const unnamed = (events as Unnamed).unnamed === true;
  let closed = false;
  let wake: (() => void) | undefined;
  const keepAlive = setInterval(() => {
    if (!out.writableNeedDrain) out.write(': keep-alive\n\n');
  }, options.keepAliveMs ?? KEEP_ALIVE_MS);
  const close = (cut = false) => {
    if (closed) return;
    closed = true;
    metrics?.closed();
    clearInterval(keepAlive);
    wake?.();
    void iterator.return?.();
    if (cut) out.destroy();
    else out.end();
  };
  out.on('close', () => close());
  const cutNow = () => close(true);
  cutOff?.addEventListener('abort', cutNow, { once: true });
  const drained = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      out.once('drain', resolve);
    }).finally(() => {
      wake = undefined;
    });

  void (async () => {
    try {
      while (!closed) {
        const next = await iterator.next();
        if (next.done || closed) break;
        const written = out.write(frameOf(next.value, unnamed, validate));
        metrics?.delivered((next.value as Committed).committedAtMs);
        if (!written) await drained();
      }
    } catch (error) {
      koa.app.emit('error', error, koa);
    } finally {
      cutOff?.removeEventListener('abort', cutNow);
      close(cutOff?.aborted);
    }
  })();
}
