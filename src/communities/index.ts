// The communities area's public interface: what the composition root and other areas may use. Everything
// else in this folder is private to it.
export { communitiesHandlers } from './handlers.js';
export { CommunitiesService, type NewMessage, type StaffExitListener } from './service.js';
export { AgentCalls } from './agent-calls.js';
export { CommunityAgentChat } from './agent-chat.js';
export { RenewalJob, type MonthlyPrice } from './renewals.js';
// The community and membership reads and the message page's statement are also the benchmark's bare server's
// (the same code the service runs).
export {
  COMMUNITIES_SQL,
  MEMBER_ROLES_SQL,
  communityMessagePage,
  communityMessagePageQuery,
  communityNames,
  findCommunity,
  findMember,
  markVerified,
} from './queries.js';
export { addMember, countMembers, setMemberRole, updateSubscription } from './memberships.js';
export type { Community, CommunityMember, MemberRole, SubscriptionStatus } from './models.js';
export { archived, communityNotFound } from './errors.js';
