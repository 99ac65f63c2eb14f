// The rooms area's public interface: its handlers, and its services composed over one database. Everything
// else in this folder is private to it.
export { roomsHandlers } from './handlers.js';
export { createRoomsArea, type LiveSettings, type RoomsArea } from './area.js';
// The timeline's statements, for the benchmark's bare server (the same code the services run).
export { findAccess, isCurrent } from './access.js';
export { timelinePage } from './timeline.js';
export { timelinePageQuery } from './queries.js';
