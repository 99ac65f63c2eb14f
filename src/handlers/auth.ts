import type { Handlers } from '../../generated/server/index.js';
import { principalOf, type RequestContext } from '../http/context.js';
import { invalidCredentials, normalizeEmail } from '../services/auth.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

/** `session` cookie: HttpOnly, SameSite=Lax, Secure over https, lasting as long as the session. */
function sessionCookie(ctx: RequestContext, token: string, expiresAt: string): string {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  return `session=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${ctx.secure ? '; Secure' : ''}`;
}

const clearedCookies = (ctx: RequestContext) => ['session', 'vai_token'].map((name) =>
  `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${ctx.secure ? '; Secure' : ''}`);

export const authHandlers = {
  signUp: async ({ body }, ctx) => {
    ctx.services.limits.signUp.hit(ctx.clientIp);
    const result = await ctx.services.auth.signUp(body);
    return { status: 201, body: result, headers: { ...NO_STORE, 'Set-Cookie': sessionCookie(ctx, result.token, result.expiresAt) } };
  },

  signIn: async ({ body }, ctx) => {
    const { signIn, signInFailures } = ctx.services.limits;
    const email = normalizeEmail(body.email);
    signIn.hit(ctx.clientIp);
    signInFailures.check(email);
    const result = await ctx.services.auth.signIn(body);
    if (!result) {
      signInFailures.hit(email);
      throw invalidCredentials();
    }
    return { status: 200, body: result, headers: { ...NO_STORE, 'Set-Cookie': sessionCookie(ctx, result.token, result.expiresAt) } };
  },

  signOut: async (_request, ctx) => {
    await ctx.services.auth.signOut(ctx.credentials);
    return { status: 204, headers: { 'Set-Cookie': clearedCookies(ctx) } };
  },

  getSession: async (_request, ctx) => ({ status: 200, body: ctx.services.auth.sessionInfo(principalOf(ctx)) }),

  createApiKey: async ({ body }, ctx) => ({
    status: 201,
    body: await ctx.services.auth.createApiKey(principalOf(ctx), body),
    headers: NO_STORE,
  }),

  listApiKeys: async (_request, ctx) => ({ status: 200, body: await ctx.services.auth.listApiKeys(principalOf(ctx)) }),

  deleteApiKey: async ({ path }, ctx) => {
    await ctx.services.auth.deleteApiKey(principalOf(ctx), path.id);
    return { status: 204 };
  },
} satisfies Partial<Handlers<RequestContext>>;
