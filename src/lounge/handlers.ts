import type { HandlersOf } from '../http/context.js';
import type { LoungeService } from './service.js';

export const loungeHandlers = (lounges: LoungeService) =>
  ({
    createLounge: async ({ body }, ctx) => ({ status: 201, body: await lounges.create(ctx.principal, body) }),

    getLounge: async ({ path }) => ({ status: 200, body: await lounges.get(path.id) }),

    startLoungeChat: async ({ path }, ctx) => {
      const { created, body } = await lounges.startChat(ctx.principal, path.id);
      return { status: created ? 201 : 200, body };
    },

    getLoungeDashboard: async ({ path }, ctx) => ({
      status: 200,
      body: await lounges.dashboard(ctx.principal, path.id),
    }),

    subscribeToLounge: async ({ path }, ctx) => ({
      status: 200,
      body: await lounges.subscribe(ctx.principal, path.id),
    }),

    cancelLoungeSubscription: async ({ path }, ctx) => ({
      status: 200,
      body: await lounges.cancel(ctx.principal, path.id),
    }),
  }) satisfies HandlersOf<'lounge'>;
