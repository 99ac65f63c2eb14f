// The official area's public interface: its handlers, its service, and the verification requests that other
// areas (communities, admin) read and review.
export { officialHandlers } from './handlers.js';
export { OfficialService } from './service.js';
export { hasPendingVerification, listVerificationRequests, reviewVerificationRequest } from './queries.js';
// The queue page's knex read and statement, for the benchmark's bare and limit servers (the code the service runs).
export { csQueuePage, csQueuePageQuery } from './queries.js';
export { decodeQueueCursor } from './queue-cursor.js';
