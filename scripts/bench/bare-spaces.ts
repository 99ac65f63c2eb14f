// The bare server's spaces endpoints: list, get and create, running the spaces area's own statements and JSON
// mapping (src/spaces/queries.ts, the code SpacesService runs) behind a few string comparisons.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import { insertSpace, listPublicSpaces, spaceDetail } from '../../src/spaces/index.js';
import type { Answer } from './bare-communities.js';

const SPACE_PATH = /^\/api\/spaces\/([^/]+)$/;

/** Routes the three endpoints; undefined for any other path. The validator's defaults are applied here. */
export async function routeSpaces(
  db: Knex,
  method: string,
  path: string,
  query: Record<string, unknown>,
  body: () => Promise<unknown>,
  userId: () => Promise<string | undefined>,
): Promise<Answer | undefined> {
  if (path === '/api/spaces') {
    if (method === 'GET') {
      const search = typeof query.search === 'string' ? query.search : undefined;
      const category = typeof query.category === 'string' ? query.category : undefined;
      return {
        status: 200,
        body: await listPublicSpaces(db, {
          page: Number(query.page ?? 1),
          limit: Number(query.limit ?? 20),
          search,
          category,
        }),
      };
    }
    if (method !== 'POST') return undefined;
    const owner = await userId();
    if (!owner) return { status: 401 };
    // The contract's defaults, which the platform's validator fills in.
    const input = { tags: [], isPublic: true, ...((await body()) as T.SpaceCreateRequest) };
    return { status: 201, body: await insertSpace(db, owner, input) };
  }
  const match = method === 'GET' ? SPACE_PATH.exec(path) : null;
  if (!match) return undefined;
  const viewer = await userId();
  if (!viewer) return { status: 401 };
  const space = await spaceDetail(db, viewer, match[1]!);
  return space ? { status: 200, body: space } : { status: 404 };
}
