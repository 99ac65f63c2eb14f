// The official area's public interface: its handlers, its service, and the verification requests that other
// areas (communities, admin) read and review.
export { officialHandlers } from './handlers.js';
export { OfficialService } from './service.js';
export { hasPendingVerification, listVerificationRequests, reviewVerificationRequest } from './queries.js';
// The queue page's statement, for the benchmark's bare server (the same code the service runs).
export { csQueuePage } from './queries.js';
export { decodeQueueCursor } from './queue-cursor.js';
