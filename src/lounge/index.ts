// The lounge area's public interface: its handlers and its service, for the composition root.
export { loungeHandlers } from './handlers.js';
export { LoungeService } from './service.js';
