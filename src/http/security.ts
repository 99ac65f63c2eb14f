// Security handlers for the contract's four schemes, plus the admin role. A request's credentials are
// resolved once: the first one present, in the order Bearer, X-API-Key, `session` cookie, `vai_token`
// cookie, decides; an invalid one is a 401 with no fallback to the others.
import type Koa from 'koa';
import type { OpenAPIBackend } from 'openapi-backend';
import type { Authenticator, Credential, CredentialScheme, Principal } from '../platform/principal.js';

const PRECEDENCE: Array<[CredentialScheme, (koa: Koa.Context) => string | undefined]> = [
  ['bearerAuth', (koa) => /^Bearer\s+(\S+)\s*$/i.exec(koa.get('authorization'))?.[1]],
  ['apiKeyHeader', (koa) => koa.get('x-api-key') || undefined],
  ['sessionCookie', (koa) => koa.cookies.get('session') || undefined],
  ['vaiTokenCookie', (koa) => koa.cookies.get('vai_token') || undefined],
];

export function presentedCredentials(koa: Koa.Context): Credential[] {
  const credentials: Credential[] = [];
  for (const [scheme, read] of PRECEDENCE) {
    const token = read(koa);
    if (token) credentials.push({ scheme, token });
  }
  return credentials;
}

interface AuthState {
  credentials?: Credential[];
  principal?: Promise<Principal | undefined>;
}

export function credentialsOf(koa: Koa.Context): Credential[] {
  const state = koa.state as AuthState;
  return (state.credentials ??= presentedCredentials(koa));
}

/** The request's principal, looked up at most once whatever the number of schemes an operation lists. */
export function resolvePrincipal(koa: Koa.Context, auth: Authenticator): Promise<Principal | undefined> {
  const state = koa.state as AuthState;
  if (!state.principal) {
    const first = credentialsOf(koa)[0];
    state.principal = first ? auth.authenticate(first) : Promise.resolve(undefined);
  }
  return state.principal;
}

export function registerSecurityHandlers(api: OpenAPIBackend, auth: Authenticator): void {
  for (const [scheme] of PRECEDENCE) {
    api.registerSecurityHandler(scheme, async (_c: unknown, koa: Koa.Context) => {
      const principal = await resolvePrincipal(koa, auth);
      return principal?.scheme === scheme ? principal : false;
    });
  }
}
