// Operations that are in the contract but whose area is not built yet. Each is registered explicitly and
// answers 501 problem+json (`NOT_IMPLEMENTED`): never a crash, never a silent 404. Building an area means
// removing its operations from this list and adding its handler module in ./index.ts.
import type { Handler, OperationId } from '../../generated/server/index.js';
import { ApiError } from '../errors/api-error.js';
import type { RequestContext } from '../http/context.js';

export const NOT_IMPLEMENTED = [
  // Communities
  'listCommunities',
  'createCommunity',
  'listMyCommunities',
  'listJoinedCommunities',
  'getCommunity',
  'updateCommunity',
  'deleteCommunity',
  'joinCommunity',
  'leaveCommunity',
  'listCommunityMembers',
  'listCommunityAgents',
  'addCommunityAgent',
  'removeCommunityAgent',
  'listCommunityMessages',
  'sendCommunityMessage',
  'chatWithCommunityAgent',
  // Official CS
  'startOfficialChat',
  'requestHumanTransfer',
  'acceptTransfer',
  'resolveConversation',
  'getCsStatus',
  'getCsQueue',
  'inviteCsAgent',
  'requestVerification',
  // Lounge
  'createLounge',
  'getLounge',
  'startLoungeChat',
  'getLoungeDashboard',
  // Admin
  'listVerificationRequests',
  'reviewVerificationRequest',
  // Wallet
  'getWallet',
  'listLedgerEntries',
  'creditWallet',
  // Agent Listings
  'listAgentListings',
  'createAgentListing',
  'getAgentListing',
  'updateAgentListing',
  'deleteAgentListing',
  // Conversations
  'listConversationMessages',
  'sendConversationMessage',
  'chatInConversation',
  // Rooms
  'listRooms',
  'createRoom',
  'getRoom',
  'archiveRoom',
  'streamRoomEvents',
  'updateRoomRules',
  // Room Documents
  'listAgentRoles',
  'createAgentRoleDocument',
  'listRulesDocuments',
  'createRulesDocument',
  'getDocument',
  'createDocumentVersion',
  // Room Events
  'listRoomEvents',
  'listRoomTimeline',
  // Room Invitations
  'listRoomInvitations',
  'createRoomInvitation',
  'acceptRoomInvitation',
  'listRoomInviteCandidates',
  // Room Participants
  'leaveRoom',
  'listRoomParticipants',
  'removeRoomParticipant',
  'updateRoomAgentRole',
  // Room Messages
  'postRoomMessage',
  'editRoomMessage',
  'deleteRoomMessage',
  // Room Runs
  'getRoomRun',
  'listRoomRunToolEvents',

] as const satisfies readonly OperationId[];

export type NotImplementedId = (typeof NOT_IMPLEMENTED)[number];

export function notImplementedHandlers(): { [Op in NotImplementedId]: Handler<Op, RequestContext> } {
  const handler = async (): Promise<never> => {
    throw new ApiError(501, 'NOT_IMPLEMENTED', 'This operation is part of the contract but is not implemented yet.');
  };
  return Object.fromEntries(NOT_IMPLEMENTED.map((id) => [id, handler])) as unknown as { [Op in NotImplementedId]: Handler<Op, RequestContext> };
}
