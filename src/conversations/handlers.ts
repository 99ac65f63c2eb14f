import type { HandlersOf } from '../http/context.js';
import type { ConversationChat } from './chat.js';
import type { ConversationsService } from './service.js';

export const conversationsHandlers = (conversations: ConversationsService, chat: ConversationChat) =>
  ({
    listConversationMessages: async ({ path, query }, ctx) => ({
      status: 200,
      body: await conversations.messages(ctx.principal, path.conversation_id, query, ctx.baseUrl),
    }),

    sendConversationMessage: async ({ path, body }, ctx) => ({
      status: 201,
      body: await conversations.send(ctx.principal, path.conversation_id, body.content, ctx.baseUrl),
    }),

    chatInConversation: async ({ path, body }, ctx) => ({
      status: 200,
      stream: await chat.start(ctx.principal, path.conversation_id, body.content, {
        baseUrl: ctx.baseUrl,
        unexpected: (err, about) => ctx.log.error({ err, ...about }, 'AI reply failed unexpectedly'),
      }),
    }),
  }) satisfies HandlersOf<'conversations'>;
