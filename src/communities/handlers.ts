import type { HandlersOf } from '../http/context.js';
import type { CommunityAgentChat } from './agent-chat.js';
import type { CommunitiesService } from './service.js';

const SUCCESS = { success: true } as const;

export const communitiesHandlers = (communities: CommunitiesService, chat: CommunityAgentChat) =>
  ({
    listCommunities: async ({ query }) => ({ status: 200, body: await communities.list(query) }),

    createCommunity: async ({ body }, ctx) => ({ status: 201, body: await communities.create(ctx.principal, body) }),

    listMyCommunities: async ({ query }, ctx) => ({ status: 200, body: await communities.mine(ctx.principal, query) }),

    listJoinedCommunities: async ({ query }, ctx) => ({
      status: 200,
      body: await communities.joined(ctx.principal, query),
    }),

    getCommunity: async ({ path }) => ({ status: 200, body: await communities.get(path.id) }),

    updateCommunity: async ({ path, body }, ctx) => {
      await communities.update(ctx.principal, path.id, body);
      return { status: 200, body: SUCCESS };
    },

    deleteCommunity: async ({ path }, ctx) => {
      await communities.archive(ctx.principal, path.id);
      return { status: 200, body: SUCCESS };
    },

    joinCommunity: async ({ path, body }, ctx) => {
      await communities.join(ctx.principal, path.id, body);
      return { status: 200, body: SUCCESS };
    },

    leaveCommunity: async ({ path }, ctx) => {
      await communities.leave(ctx.principal, path.id);
      return { status: 200, body: SUCCESS };
    },

    listCommunityMembers: async ({ path, query }) => ({ status: 200, body: await communities.members(path.id, query) }),

    updateCommunityMemberRole: async ({ path, body }, ctx) => ({
      status: 200,
      body: await communities.setMemberRole(ctx.principal, path.id, path.user_id, body.role),
    }),

    listCommunityAgents: async ({ path, query }) => ({
      status: 200,
      body: await communities.agentList(path.id, query),
    }),

    addCommunityAgent: async ({ path, body }, ctx) => {
      await communities.addAgent(ctx.principal, path.id, body.listingId);
      return { status: 201, body: SUCCESS };
    },

    removeCommunityAgent: async ({ path }, ctx) => {
      await communities.removeAgent(ctx.principal, path.id, path.listing_id);
      return { status: 200, body: SUCCESS };
    },

    listCommunityMessages: async ({ path, query }, ctx) => ({
      status: 200,
      body: await communities.messages(ctx.principal, path.id, query, ctx.baseUrl),
    }),

    sendCommunityMessage: async ({ path, body }, ctx) => ({
      status: 201,
      body: await communities.send(ctx.principal, path.id, body.content, ctx.baseUrl),
    }),

    chatWithCommunityAgent: async ({ path, body }, ctx) => ({
      status: 200,
      stream: await chat.start(ctx.principal, path.id, body, {
        baseUrl: ctx.baseUrl,
        unexpected: (err, about) => ctx.log.error({ err, ...about }, 'agent reply failed unexpectedly'),
      }),
    }),
  }) satisfies HandlersOf<'communities'>;
