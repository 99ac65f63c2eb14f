// The rooms area's public interface: its handlers, and its services composed over one database. Everything
// else in this folder is private to it.
export { roomsHandlers } from './handlers.js';
export { createRoomsArea, type LiveSettings, type RoomsArea } from './area.js';
