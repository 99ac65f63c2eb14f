// The communities area's public interface: what the composition root and other areas may use. Everything
// else in this folder is private to it.
export { communitiesHandlers } from './handlers.js';
export { CommunitiesService, type NewMessage, type StaffExitListener } from './service.js';
export { AgentCalls } from './agent-calls.js';
export { CommunityAgentChat } from './agent-chat.js';
export { RenewalJob, type MonthlyPrice } from './renewals.js';
export { findCommunity, findMember } from './reads.js';
// The message page's statement, for the benchmark's bare server (the same code the service runs).
export { communityMessagePage } from './queries.js';
export {
  addMember,
  communityNames,
  countMembers,
  markVerified,
  setMemberRole,
  updateSubscription,
} from './memberships.js';
export type { Community, CommunityMember, MemberRole, SubscriptionStatus } from './models.js';
export { archived, communityNotFound } from './errors.js';
