import type { HandlersOf } from '../http/context.js';
import { audioUrl } from '../media/index.js';
import type { ConversationChat } from './chat.js';
import type { ConversationsService } from './service.js';

export const conversationsHandlers = (conversations: ConversationsService, chat: ConversationChat) => ({
  listConversationMessages: async ({ path, query }, ctx) => ({ status: 200, body: await conversations.messages(ctx.principal, path.conversation_id, query, audioUrl(ctx.baseUrl)) }),

  sendConversationMessage: async ({ path, body }, ctx) => ({ status: 201, body: await conversations.send(ctx.principal, path.conversation_id, body.content, audioUrl(ctx.baseUrl)) }),

  chatInConversation: async ({ path, body }, ctx) => ({
    status: 200,
    stream: await chat.start(ctx.principal, path.conversation_id, body.content, { log: ctx.log, audioUrl: audioUrl(ctx.baseUrl) }),
  }),
}) satisfies HandlersOf<'conversations'>;
