// Files served as they are: the docs (3 MB of HTML) and the bundled contract (0.6 MB of JSON). Each has a
// weak ETag, so a revalidation costs a 304 and no bytes; each encoding is compressed once, on the first
// request that asks for it, and kept (compressing the docs takes 0.3-0.7 s of CPU: far too much per request).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type Koa from 'koa';

type Encoding = 'br' | 'gzip';
const compressors: Record<Encoding, (data: Buffer) => Promise<Buffer>> = {
  // Quality 4, as koa-compress uses for API responses: 25% of the size at a twentieth of quality 11's time.
  br: (data) =>
    promisify(brotliCompress)(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }),
  gzip: (data) => promisify(gzip)(data),
};

/**
 * Cached for five minutes, then revalidated against the ETag: a new deployment reaches readers within five
 * minutes, and every revalidation in between is a 304.
 */
const CACHE_CONTROL = 'public, max-age=300';

export interface StaticFile {
  /** Answers GET and HEAD with the file (or 304 when the client's copy is current). */
  serve(koa: Koa.Context): Promise<void>;
}

export function staticFile(data: Buffer, contentType: string): StaticFile {
  // Weak: the same ETag stands for every encoding of the same bytes, as nginx does for gzipped files.
  const etag = `W/"${createHash('sha256').update(data).digest('base64url').slice(0, 27)}"`;
  const encoded = new Map<Encoding, Promise<Buffer>>();
  const encode = (encoding: Encoding) => {
    let pending = encoded.get(encoding);
    if (!pending) {
      pending = compressors[encoding](data);
      pending.catch(() => encoded.delete(encoding)); // retried by the next request
      encoded.set(encoding, pending);
    }
    return pending;
  };

  return {
    async serve(koa) {
      koa.status = 200;
      koa.type = contentType;
      koa.set({ ETag: etag, 'Cache-Control': CACHE_CONTROL });
      koa.vary('Accept-Encoding');
      if (koa.fresh) {
        koa.status = 304;
        return;
      }
      const encoding = koa.acceptsEncodings('br', 'gzip', 'identity');
      if (encoding === 'br' || encoding === 'gzip') {
        koa.body = await encode(encoding);
        koa.set('Content-Encoding', encoding);
      } else {
        koa.body = data;
      }
    },
  };
}
