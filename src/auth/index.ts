// The auth area's public interface: what the composition root and other areas may use. Everything else in
// this folder is private to it.
export { authHandlers } from './handlers.js';
export { AuthService } from './service.js';
export { TicketHolds } from './stream-tickets.js';
export { AdminAccounts, NoSuchAccount, type AdminLog } from './admins.js';
export {
  findUserProfile,
  findUserProfileByEmail,
  USER_PROFILES_SQL,
  userProfiles,
  type UserProfile,
} from './queries.js';
export { findSessionUser, SESSION_USER_STATEMENT, type SessionUser } from './queries.js';
