// What is served beside the operations: the docs at /docs, the bundled contract at /openapi.json, and `/`
// pointing to the docs. GET and HEAD only; any other method falls through to the router (404).
import type Koa from 'koa';
import { staticFile } from './static-file.js';

/** The paths served here, for CORS (cors.ts). */
export const SITE_PATHS = ['/', '/docs', '/docs/', '/openapi.json'] as const;

export function site(files: { contract: Buffer; docs: Buffer }): Koa.Middleware {
  const contract = staticFile(files.contract, 'application/json');
  const docs = staticFile(files.docs, 'text/html; charset=utf-8');
  return async (koa, next) => {
    if (koa.method !== 'GET' && koa.method !== 'HEAD') return next();
    switch (koa.path) {
      case '/openapi.json': return contract.serve(koa);
      case '/docs': case '/docs/': return docs.serve(koa);
      // Temporary (302), so that `/` can become something else without browsers remembering this.
      case '/': return koa.redirect('/docs');
      default: return next();
    }
  };
}
