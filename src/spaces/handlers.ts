import type { HandlersOf } from '../http/context.js';
import type { SpacesService } from './service.js';

export const spacesHandlers = (spaces: SpacesService) =>
  ({
    listSpaces: async ({ query }) => ({ status: 200, body: await spaces.list(query) }),

    createSpace: async ({ body }, ctx) => ({ status: 201, body: await spaces.create(ctx.principal, body) }),

    getSpace: async ({ path }, ctx) => ({ status: 200, body: await spaces.get(ctx.principal, path.id) }),

    deleteSpace: async ({ path }, ctx) => {
      await spaces.delete(ctx.principal, path.id);
      return { status: 204 };
    },

    listSpaceSessions: async ({ path, query }, ctx) => ({
      status: 200,
      body: await spaces.listSessions(ctx.principal, path.id, query),
    }),

    createSpaceSession: async ({ path }, ctx) => ({
      status: 201,
      body: await spaces.createSession(ctx.principal, path.id),
    }),

    joinSpaceSession: async ({ path, body }, ctx) => {
      const { created, participant } = await spaces.join(ctx.principal, path.id, path.session_id, body);
      return { status: created ? 201 : 200, body: participant };
    },

    leaveSpaceSession: async ({ path, body }, ctx) => {
      await spaces.leave(ctx.principal, path.id, path.session_id, body);
      return { status: 204 };
    },
  }) satisfies HandlersOf<'spaces'>;
