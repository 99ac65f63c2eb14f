import type { HandlersOf } from '../http/context.js';
import type { OfficialService } from './service.js';

export const officialHandlers = (official: OfficialService) =>
  ({
    startOfficialChat: async ({ path }, ctx) => {
      const { created, body } = await official.startChat(ctx.principal, path.id);
      return { status: created ? 201 : 200, body };
    },

    requestHumanTransfer: async ({ path, body }, ctx) => ({
      status: 200,
      body: await official.requestHuman(ctx.principal, path.id, body?.conversationId),
    }),

    acceptTransfer: async ({ path, body }, ctx) => ({
      status: 200,
      body: await official.accept(ctx.principal, path.id, body.conversationId),
    }),

    resolveConversation: async ({ path, body }, ctx) => ({
      status: 200,
      body: await official.resolve(ctx.principal, path.id, body.conversationId),
    }),

    getCsStatus: async ({ path, query }, ctx) => ({
      status: 200,
      body: await official.status(ctx.principal, path.id, query.conversationId),
    }),

    getCsQueue: async ({ path, query }, ctx) => ({
      status: 200,
      body: await official.queue(ctx.principal, path.id, query),
    }),

    inviteCsAgent: async ({ path, body }, ctx) => {
      await official.inviteCs(ctx.principal, path.id, body.userId);
      return { status: 200, body: { success: true } };
    },

    requestVerification: async ({ path, body }, ctx) => ({
      status: 201,
      body: await official.requestVerification(ctx.principal, path.id, body ?? {}),
    }),
  }) satisfies HandlersOf<'official'>;
