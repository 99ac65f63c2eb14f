// Authentication, from each operation's generated metadata (`auth`, `schemes`). A request's credentials are
// resolved once: the first one present, in the order `ticket` query parameter (a stream ticket, which only the
// room stream accepts: a browser's EventSource can send nothing else), Bearer, X-API-Key, `session` cookie,
// `vai_token` cookie, decides; an invalid one is a 401 with no fallback to the others.
//
// openapi-backend routes a copy of the contract without its security requirements, and this step, the first
// of dispatch, enforces them instead: its own security step runs one handler per scheme an operation lists
// (four here, each a promise chain) to reach the same single lookup, a visible cost per request
// (docs/benchmarks.md, "Why the hot paths look as they do"). The contract served at /openapi.json and in the docs is unchanged.
import type Koa from 'koa';
import type { OperationMeta } from '../../generated/server/index.js';
import { unauthenticated } from '../platform/errors.js';
import type { Authenticator, Credential, CredentialScheme, Principal } from '../platform/principal.js';

/** Credentials sent as query parameters, by scheme: not inputs of the operation (dispatch.ts leaves them out of validation). */
export const QUERY_CREDENTIALS: Partial<Record<CredentialScheme, string>> = { streamTicket: 'ticket' };

const fromQuery = (koa: Koa.Context, name: string) => {
  const value = koa.query[name];
  return typeof value === 'string' && value ? value : undefined;
};

const PRECEDENCE: Array<[CredentialScheme, (koa: Koa.Context) => string | undefined]> = [
  ['streamTicket', (koa) => fromQuery(koa, QUERY_CREDENTIALS.streamTicket!)],
  ['bearerAuth', (koa) => /^Bearer\s+(\S+)\s*$/i.exec(koa.get('authorization'))?.[1]],
  ['apiKeyHeader', (koa) => koa.get('x-api-key') || undefined],
  ['sessionCookie', (koa) => koa.cookies.get('session') || undefined],
  ['vaiTokenCookie', (koa) => koa.cookies.get('vai_token') || undefined],
];

function presentedCredentials(koa: Koa.Context): Credential[] {
  const credentials: Credential[] = [];
  for (const [scheme, read] of PRECEDENCE) {
    const token = read(koa);
    if (token) credentials.push({ scheme, token });
  }
  return credentials;
}

interface AuthState {
  credentials?: Credential[];
}

export function credentialsOf(koa: Koa.Context): Credential[] {
  const state = koa.state as AuthState;
  return (state.credentials ??= presentedCredentials(koa));
}

/**
 * The caller, by the operation's security: `none` never looks; `optional` is the caller when a valid credential
 * of an accepted scheme is sent, else anonymous; `required` is a 401 without one.
 */
export async function authenticate(
  meta: OperationMeta,
  koa: Koa.Context,
  auth: Authenticator,
): Promise<Principal | undefined> {
  if (meta.auth === 'none') return undefined;
  const first = credentialsOf(koa)[0];
  const principal = first && meta.schemes.includes(first.scheme) ? await auth.authenticate(first) : undefined;
  if (!principal && meta.auth === 'required') throw unauthenticated();
  return principal;
}

/**
 * The contract as openapi-backend routes it: every security requirement removed (authenticate enforces them).
 * Only an operation can carry `security` in a path item, and one without its own inherits the top level's, cleared.
 */
export function withoutSecurity<T extends { security?: unknown; paths?: Record<string, Record<string, unknown>> }>(
  document: T,
): T {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    paths[path] = Object.fromEntries(
      Object.entries(item).map(([key, value]) => [
        key,
        value && typeof value === 'object' && 'security' in value ? { ...value, security: [] } : value,
      ]),
    );
  }
  return { ...document, security: [], paths };
}
