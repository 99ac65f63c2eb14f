import type { HandlersOf } from '../http/context.js';
import type { AgentListingsService } from './service.js';

export const agentsHandlers = (listings: AgentListingsService) =>
  ({
    listAgentListings: async ({ query }, ctx) => ({ status: 200, body: await listings.list(ctx.principal, query) }),

    createAgentListing: async ({ body }, ctx) => ({ status: 201, body: await listings.create(ctx.principal, body) }),

    getAgentListing: async ({ path }, ctx) => ({ status: 200, body: await listings.get(ctx.principal, path.id) }),

    updateAgentListing: async ({ path, body }, ctx) => ({
      status: 200,
      body: await listings.update(ctx.principal, path.id, body),
    }),

    deleteAgentListing: async ({ path }, ctx) => {
      await listings.delete(ctx.principal, path.id);
      return { status: 204 };
    },
  }) satisfies HandlersOf<'agents'>;
