// The spaces area's public interface: its handlers and its service, for the composition root.
export { spacesHandlers } from './handlers.js';
export { SpacesService } from './service.js';
// The hot-path statements: rendered by PostgreSQL for the service and the benchmark's limit server, in plain knex
// for its bare server (the hand-written baseline).
export {
  insertSpace,
  listPublicSpaces,
  SPACE_DETAIL_STATEMENT,
  spaceDetail,
  spaceListQuery,
  type SpaceListQuery,
} from './queries.js';
