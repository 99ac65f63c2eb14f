import type { Handlers } from '../../generated/server/index.js';
import { principalOf, type RequestContext } from '../http/context.js';

export const spacesHandlers = {
  listSpaces: async ({ query }, ctx) => ({ status: 200, body: await ctx.services.spaces.list(query ?? {}) }),

  createSpace: async ({ body }, ctx) => ({ status: 201, body: await ctx.services.spaces.create(principalOf(ctx), body) }),

  getSpace: async ({ path }, ctx) => ({ status: 200, body: await ctx.services.spaces.get(principalOf(ctx), path.id) }),

  deleteSpace: async ({ path }, ctx) => {
    await ctx.services.spaces.delete(principalOf(ctx), path.id);
    return { status: 204 };
  },

  listSpaceSessions: async ({ path }, ctx) => ({ status: 200, body: await ctx.services.spaces.listSessions(principalOf(ctx), path.id) }),

  createSpaceSession: async ({ path }, ctx) => ({ status: 201, body: await ctx.services.spaces.createSession(principalOf(ctx), path.id) }),

  joinSpaceSession: async ({ path, body }, ctx) => {
    const { created, participant } = await ctx.services.spaces.join(principalOf(ctx), path.id, path.session_id, body);
    return { status: created ? 201 : 200, body: participant };
  },

  leaveSpaceSession: async ({ path, body }, ctx) => {
    await ctx.services.spaces.leave(principalOf(ctx), path.id, path.session_id, body);
    return { status: 204 };
  },
} satisfies Partial<Handlers<RequestContext>>;
