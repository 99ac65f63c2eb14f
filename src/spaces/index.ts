// The spaces area's public interface: its handlers and its service, for the composition root.
export { spacesHandlers } from './handlers.js';
export { SpacesService } from './service.js';
