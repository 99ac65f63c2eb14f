// Thin: each operation of the rooms area calls its service.
import type { HandlersOf } from '../http/context.js';
import { validationFailed } from '../platform/errors.js';
import type { RoomsArea } from './area.js';
import type { SeqPage } from './timeline.js';

/** `beforeSeq` and `afterSeq` together are a 422 naming both. */
function seqPage(query: SeqPage): SeqPage {
  if (query.beforeSeq != null && query.afterSeq != null) {
    const message = 'beforeSeq and afterSeq cannot be combined';
    throw validationFailed([
      { in: 'query', field: 'beforeSeq', message, type: 'value_error' },
      { in: 'query', field: 'afterSeq', message, type: 'value_error' },
    ]);
  }
  return query;
}

export const roomsHandlers = (area: RoomsArea) =>
  ({
    listRooms: async ({ query }, ctx) => ({ status: 200, body: await area.rooms.list(ctx.principal, query) }),
    createRoom: async ({ body }, ctx) => ({ status: 201, body: await area.rooms.create(ctx.principal, body) }),
    getRoom: async ({ path }, ctx) => ({ status: 200, body: await area.rooms.get(ctx.principal, path.room_id) }),
    archiveRoom: async ({ path }, ctx) => ({
      status: 200,
      body: await area.rooms.archive(ctx.principal, path.room_id),
    }),
    updateRoomRules: async ({ path, body }, ctx) => ({
      status: 200,
      body: await area.rooms.updateRules(ctx.principal, path.room_id, body.rulesDocumentId),
    }),

    listRoomParticipants: async ({ path, query }, ctx) => ({
      status: 200,
      body: await area.participants.list(ctx.principal, path.room_id, query),
    }),
    leaveRoom: async ({ path }, ctx) => ({
      status: 200,
      body: await area.participants.leave(ctx.principal, path.room_id),
    }),
    removeRoomParticipant: async ({ path }, ctx) => ({
      status: 200,
      body: await area.participants.remove(ctx.principal, path.room_id, path.participant_id),
    }),
    updateRoomAgentRole: async ({ path, body }, ctx) => ({
      status: 200,
      body: await area.participants.updateAgentRole(
        ctx.principal,
        path.room_id,
        path.participant_id,
        body.roleDocumentId,
      ),
    }),

    listRoomInvitations: async ({ path, query }, ctx) => ({
      status: 200,
      body: await area.invitations.list(ctx.principal, path.room_id, query),
    }),
    createRoomInvitation: async ({ path, body }, ctx) => ({
      status: 201,
      body: await area.invitations.create(ctx.principal, path.room_id, body),
    }),
    acceptRoomInvitation: async ({ path }, ctx) => ({
      status: 200,
      body: await area.invitations.accept(ctx.principal, path.room_id, path.invitation_id),
    }),
    revokeRoomInvitation: async ({ path }, ctx) => ({
      status: 200,
      body: await area.invitations.revoke(ctx.principal, path.room_id, path.invitation_id),
    }),
    listRoomInviteCandidates: async ({ path }, ctx) => ({
      status: 200,
      body: await area.invitations.candidates(ctx.principal, path.room_id),
    }),
    lookupRoomInvitee: async ({ path, body }, ctx) => ({
      status: 200,
      body: await area.invitations.lookup(ctx.principal, path.room_id, body.email),
    }),

    // x-idempotency: the pipeline claims the key in ctx.trx; the message, its event and its runs are written in it.
    postRoomMessage: async ({ path, body }, ctx) => ({
      status: 201,
      body: await area.messages.post(ctx.principal, path.room_id, body.body, ctx.trx),
    }),
    editRoomMessage: async ({ path, body }, ctx) => ({
      status: 200,
      body: await area.messages.edit(ctx.principal, path.room_id, path.message_id, body.body, ctx.trx),
    }),
    deleteRoomMessage: async ({ path }, ctx) => ({
      status: 200,
      body: await area.messages.delete(ctx.principal, path.room_id, path.message_id),
    }),

    listRoomEvents: async ({ path, query }, ctx) => ({
      status: 200,
      body: await area.timeline.events(ctx.principal, path.room_id, seqPage(query)),
    }),
    listRoomTimeline: async ({ path, query }, ctx) => ({
      status: 200,
      body: await area.timeline.timeline(ctx.principal, path.room_id, seqPage(query)),
    }),

    listAgentRoles: async ({ query }) => ({ status: 200, body: await area.documents.list('agent_role', query) }),
    createAgentRoleDocument: async ({ body }, ctx) => ({
      status: 201,
      body: await area.documents.create(ctx.principal, 'agent_role', body),
    }),
    listRulesDocuments: async ({ query }) => ({ status: 200, body: await area.documents.list('rules', query) }),
    createRulesDocument: async ({ body }, ctx) => ({
      status: 201,
      body: await area.documents.create(ctx.principal, 'rules', body),
    }),
    getDocument: async ({ path }) => ({ status: 200, body: await area.documents.get(path.document_id) }),
    listDocumentVersions: async ({ path, query }) => ({
      status: 200,
      body: await area.documents.versions(path.document_id, query),
    }),
    createDocumentVersion: async ({ path, body }, ctx) => ({
      status: 201,
      body: await area.documents.addVersion(ctx.principal, path.document_id, body),
    }),

    getRoomRun: async ({ path }, ctx) => ({
      status: 200,
      body: await area.runReads.get(ctx.principal, path.room_id, path.run_id),
    }),
    listRoomRunToolEvents: async ({ path, query }, ctx) => ({
      status: 200,
      body: await area.runReads.toolEvents(ctx.principal, path.room_id, path.run_id, query),
    }),

    // Last-Event-ID (an EventSource's reconnect) wins over afterSeq.
    streamRoomEvents: async ({ path, query, headers }, ctx) => ({
      status: 200,
      stream: await area.streams.open(
        ctx.principal,
        path.room_id,
        headers?.['last-event-id'] ?? query?.afterSeq ?? undefined,
        { unnamed: query?.eventName === 'message' },
      ),
    }),
    createRoomStreamTicket: async ({ path }, ctx) => ({
      status: 201,
      body: await area.streams.ticket(ctx.principal, path.room_id),
    }),
  }) satisfies HandlersOf<'rooms'>;
