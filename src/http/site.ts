// What is served beside the operations: the docs at /docs, the bundled contract at /openapi.json, and `/`
// pointing to the docs. GET and HEAD only; any other method falls through to the router (404).
import type Koa from 'koa';
import { DEFAULT_BASE_URL } from '../demo/fixtures.js';
import { staticFile, type StaticFile } from './static-file.js';

/** The paths served here, for CORS (cors.ts). */
export const SITE_PATHS = ['/', '/docs', '/docs/', '/openapi.json'] as const;

/** A scheme, a host name or an IP address, and a port: nothing that could close a string or a tag. */
const PLAIN_ORIGIN = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Origins whose copy of the docs is kept (each is compressed once): a server answers to a few names at most. */
const MAX_ORIGINS = 8;

export function site(files: { contract: Buffer; docs: Buffer }): Koa.Middleware {
  const contract = staticFile(files.contract, 'application/json');
  const docs = docsByOrigin(files.docs);
  return async (koa, next) => {
    if (koa.method !== 'GET' && koa.method !== 'HEAD') return next();
    switch (koa.path) {
      case '/openapi.json':
        return contract.serve(koa);
      case '/docs':
      case '/docs/':
        // Its samples name the origin the request came to: caches must keep one copy per origin.
        koa.vary(koa.app.proxy ? ['Host', 'X-Forwarded-Host', 'X-Forwarded-Proto'] : 'Host');
        return docs(`${koa.protocol}://${koa.host}`).serve(koa);
      // Temporary (302), so that `/` can become something else without browsers remembering this.
      case '/':
        return koa.redirect('/docs');
      default:
        return next();
    }
  };
}

/**
 * The docs' samples call `npm start`'s address (what docs/index.html shows from file://); served, they call the
 * origin the reader reached the server at (the Host header, or what TRUST_PROXY believes), so a sample copied
 * from a sandbox's docs runs against that sandbox. An origin that is not plain, or one past the few kept, gets
 * the file as it is.
 */
function docsByOrigin(html: Buffer): (origin: string) => StaticFile {
  const asFile = staticFile(html, 'text/html; charset=utf-8');
  const copies = new Map<string, StaticFile>([[DEFAULT_BASE_URL, asFile]]);
  return (origin) => {
    let copy = copies.get(origin);
    if (copy) return copy;
    if (!PLAIN_ORIGIN.test(origin) || copies.size > MAX_ORIGINS) return asFile;
    copy = staticFile(
      Buffer.from(html.toString('utf8').split(DEFAULT_BASE_URL).join(origin)),
      'text/html; charset=utf-8',
    );
    copies.set(origin, copy);
    return copy;
  };
}
