// The routing measurement's building blocks, shared by routing-server.ts (served and load-tested) and
// routing-micro.ts (timed in-process): openapi-backend over the full contract or over its first 10
// operations, routed either by openapi-backend's stock matchOperation or by the platform's installRouter,
// with one trivial handler for every operation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAPIBackend } from 'openapi-backend';
import { installRouter } from '../../src/http/router.js';
import { withoutSecurity } from '../../src/http/security.js';
import { repoRoot } from './common.js';

export type OperationSet = '10' | 'full';
export type RouterKind = 'stock' | 'ours';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** The contract, or a copy keeping only its first `limit` operations (document order; components kept). */
export function contractDocument(set: OperationSet): { document: any; operations: number } {
  const document = JSON.parse(readFileSync(join(repoRoot, 'generated', 'openapi.json'), 'utf8'));
  const limit = set === 'full' ? Infinity : 10;
  const paths: Record<string, Record<string, unknown>> = {};
  let count = 0;
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
      if (!METHODS.includes(key)) kept[key] = value;
      else if (count < limit) {
        kept[key] = value;
        count += 1;
      }
    }
    if (Object.keys(kept).some((k) => METHODS.includes(k))) paths[path] = kept;
  }
  document.paths = paths;
  return { document, operations: count };
}

/** The templated path routed in both sets: GET /api/spaces/{id} (the 10th operation of the contract). */
export const ROUTED_PATH = '/api/spaces/7c3e4b0e-2f7a-4b8e-9d51-3c1f0e6a9b42';
/** A templated path near the end of the full contract (stock routing tries every operation's RegExp). */
export const LATE_PATH =
  '/api/v1/rooms/7c3e4b0e-2f7a-4b8e-9d51-3c1f0e6a9b42/runs/5d0b1f8e-1c2a-4e3b-8f4d-6a7b8c9d0e1f/tool-events';

export const trivialHandler = (_c: unknown, koa: { body: unknown }) => {
  koa.body = { ok: true };
};

/** An initialised openapi-backend as buildApp configures it, every operation answered by the trivial handler. */
export async function routingBackend(
  set: OperationSet,
  router: RouterKind,
): Promise<{ api: OpenAPIBackend; operations: number; initMs: number }> {
  const { document, operations } = contractDocument(set);
  const started = performance.now();
  const api = new OpenAPIBackend({
    definition: withoutSecurity(document),
    quick: true,
    validate: false,
    strict: true,
    ignoreTrailingSlashes: false,
  });
  api.register({ notFound: trivialHandler, methodNotAllowed: trivialHandler });
  for (const operation of Object.values(
    document.paths as Record<string, Record<string, { operationId?: string }>>,
  ).flatMap((item) => Object.values(item))) {
    if (operation?.operationId) api.register(operation.operationId, trivialHandler);
  }
  await api.init();
  if (router === 'ours') installRouter(api);
  return { api, operations, initMs: performance.now() - started };
}
