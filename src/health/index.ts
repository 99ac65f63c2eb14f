// The health area's public interface: its handlers and the readiness checks, for the composition root.
export { healthHandlers } from './handlers.js';
export { databaseChecks, Readiness, ReadinessFailure, shutdownCheck, type Check } from './readiness.js';
