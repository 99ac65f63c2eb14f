// Compression of API responses (koa-compress: br, then gzip, as the client accepts) above a size where it
// pays: a small JSON body gains a few bytes and costs a compressor per response. Event streams are never
// compressed: a compressor holds bytes back until its buffer fills, and each event must reach the client as
// it is written. Static files (static-file.ts) come compressed already, in the same two encodings, so a
// client asking only for another (deflate, zstd) gets them as they are rather than compressed per request.
import compress from 'koa-compress';
import type Koa from 'koa';

export const COMPRESSION_THRESHOLD_BYTES = 1024;

/** JSON (application/json, application/problem+json) and text, but not text/event-stream; never audio. */
const COMPRESSIBLE = /^(application\/([\w.-]+\+)?json|text\/(?!event-stream))/i;

export function compression(): Koa.Middleware {
  const compressing = compress({
    threshold: COMPRESSION_THRESHOLD_BYTES,
    filter: (type) => COMPRESSIBLE.test(type),
    deflate: false,
    zstd: false,
  });
  // A client that accepts no encoding (most server-to-server clients) gets identity whatever the body: skip
  // the negotiation, but keep the Vary header a cache needs.
  return (koa, next) => {
    if (koa.get('accept-encoding')) return compressing(koa, next);
    koa.vary('Accept-Encoding');
    return next();
  };
}
