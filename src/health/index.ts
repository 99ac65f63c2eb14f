// The health area's public interface: its handlers, for the composition root.
export { healthHandlers } from './handlers.js';
