// The admin area's public interface: its handlers and its service, for the composition root.
export { adminHandlers } from './handlers.js';
export { VerificationReviewService } from './service.js';
