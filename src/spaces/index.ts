// The spaces area's public interface: its handlers and its service, for the composition root.
export { spacesHandlers } from './handlers.js';
export { SpacesService } from './service.js';
// The hot-path statements, for the benchmark's bare server (the same code the service runs).
export { insertSpace, listPublicSpaces, spaceDetail, type SpaceListQuery } from './queries.js';
