import type { HandlersOf, RequestContext } from '../http/context.js';
import { invalidCredentials } from './errors.js';
import type { AuthService } from './service.js';

const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/** `session` cookie: HttpOnly, SameSite=Lax, Secure over https, lasting as long as the session. */
function sessionCookie(ctx: RequestContext, token: string, expiresAt: string): string {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  return `session=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${ctx.secure ? '; Secure' : ''}`;
}

const clearedCookies = (ctx: RequestContext) =>
  ['session', 'vai_token'].map(
    (name) => `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${ctx.secure ? '; Secure' : ''}`,
  );

// Rate limits (sign-up and sign-in) are applied by the HTTP pipeline from the contract's `x-rate-limits`.
export const authHandlers = (auth: AuthService) =>
  ({
    signUp: async ({ body }, ctx) => {
      const result = await auth.signUp(body);
      return {
        status: 201,
        body: result,
        headers: { ...NO_STORE, 'Set-Cookie': sessionCookie(ctx, result.token, result.expiresAt) },
      };
    },

    signIn: async ({ body }, ctx) => {
      const result = await auth.signIn(body);
      if (!result) throw invalidCredentials();
      return {
        status: 200,
        body: result,
        headers: { ...NO_STORE, 'Set-Cookie': sessionCookie(ctx, result.token, result.expiresAt) },
      };
    },

    signOut: async (_request, ctx) => {
      await auth.signOut(ctx.credentials);
      return { status: 204, headers: { 'Set-Cookie': clearedCookies(ctx) } };
    },

    getSession: async (_request, ctx) => ({ status: 200, body: auth.sessionInfo(ctx.principal) }),

    createApiKey: async ({ body }, ctx) => ({
      status: 201,
      body: await auth.createApiKey(ctx.principal, body),
      headers: NO_STORE,
    }),

    listApiKeys: async (_request, ctx) => ({ status: 200, body: await auth.listApiKeys(ctx.principal) }),

    deleteApiKey: async ({ path }, ctx) => {
      await auth.deleteApiKey(ctx.principal, path.id);
      return { status: 204 };
    },
  }) satisfies HandlersOf<'auth'>;
