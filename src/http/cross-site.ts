// Cookie callers and other sites (OWASP's CSRF cheat sheet: Fetch Metadata, then the Origin header). A browser
// sends the session cookie with requests another site makes it send; SameSite=Lax stops most of them, not all
// (top-level POST navigations within two minutes of the cookie being set in some browsers, same-site
// subdomains, a body sent with no Content-Type). So a state-changing request the server would trust because of
// a cookie (authenticated by the `session` or `vai_token` cookie, or one that signs a browser in or out) is
// accepted only:
// - from this server's own pages or an origin in CORS_ORIGINS: `Sec-Fetch-Site: same-origin` (or `none`, the
//   user's own action), else an `Origin` that is this host or listed; neither header (not a browser) passes;
// - with `Content-Type: application/json` (or another JSON type) when it has a body, which no page of another
//   site can send without a CORS preflight this server would refuse.
// Otherwise 403 CROSS_SITE_REQUEST. Bearer and API-key callers send no cookie and are not concerned.
import type Koa from 'koa';
import type { OperationMeta } from '../../generated/server/index.js';
import { ApiError } from '../platform/errors.js';
import type { Principal } from '../platform/principal.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

const refused = (why: string) =>
  new ApiError(
    403,
    'CROSS_SITE_REQUEST',
    `${why} A request authenticated by a cookie is accepted only from this server's pages or an origin in its CORS_ORIGINS, and with Content-Type: application/json; from elsewhere, send a Bearer token or an API key.`,
  );

/** Throws 403 CROSS_SITE_REQUEST when a cookie-trusting write comes from another site; `allowed`: CORS_ORIGINS. */
export function guardCrossSite(
  meta: OperationMeta,
  koa: Koa.Context,
  principal: Principal | undefined,
  allowed: readonly string[],
): void {
  if (!WRITES.has(koa.method)) return;
  const byCookie = principal?.scheme === 'sessionCookie' || principal?.scheme === 'vaiTokenCookie';
  if (!byCookie && !meta.setsCookie) return;
  const origin = koa.get('origin');
  const listed = origin !== '' && allowed.includes(origin);
  const site = koa.get('sec-fetch-site');
  if (site) {
    if (site !== 'same-origin' && site !== 'none' && !listed)
      throw refused(`This request came from another site (${origin || site}).`);
  } else if (origin && !listed && !isThisHost(origin, koa.host)) {
    throw refused(`This request came from another origin (${origin}).`);
  }
  const hasBody = Number(koa.get('content-length') || 0) > 0 || koa.get('transfer-encoding') !== '';
  if (hasBody && !JSON_TYPE.test(koa.get('content-type')))
    throw refused('Its body was not sent as Content-Type: application/json.');
}

/**
 * Whether an `Origin` names this server: the same host and port, whatever the scheme (behind a TLS-terminating
 * proxy that is not trusted, the server sees http where the browser saw https). `null` never does.
 */
function isThisHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
