// CORS, for browser apps on the origins CORS_ORIGINS lists (none by default: no CORS header is ever sent).
// What a path allows comes from the contract: its methods (HEAD wherever GET), the request headers its
// operations read (header parameters, the security schemes' headers, Content-Type when one takes a body),
// and the response headers they document, which are exposed to scripts. Credentials (the session cookie) are
// allowed for listed origins only, never for `*`. A request from any other origin gets no CORS header, so
// the browser keeps the response from the page.
import FindMyWay from 'find-my-way';
import type Koa from 'koa';
import type { OpenAPIBackend, Operation } from 'openapi-backend';
import { operations as metadata } from '../../generated/server/index.js';
import { routePath, withHead } from './router.js';

interface PathRules {
  methods: string;
  allowHeaders: string;
  exposeHeaders: string;
}

/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** Read and written on every path, outside the contract's parameters (middleware.ts). */
const EVERY_PATH = ['X-Request-Id'];
/** Response headers scripts see without being listed (CORS-safelisted), or may never see (Set-Cookie). */
const NOT_EXPOSABLE = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
  'set-cookie',
]);

/** What is read of an operation and of a security scheme (openapi-backend dereferenced the document). */
interface OperationParts {
  operationId?: string;
  parameters?: Array<{ in?: string; name?: string }>;
  requestBody?: unknown;
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}
interface SecurityScheme {
  type?: string;
  in?: string;
  name?: string;
}

/** The schemes each operation accepts: from the metadata, since openapi-backend routes without them (security.ts). */
const schemesOf = new Map<string, readonly string[]>(metadata.map((op) => [op.operationId, op.schemes]));

/** The headers each security scheme is sent in; cookie schemes need credentials instead. */
function schemeHeaders(api: OpenAPIBackend): Map<string, string> {
  const schemes = (api.definition.components?.securitySchemes ?? {}) as Record<string, SecurityScheme>;
  const headers = new Map<string, string>();
  for (const [name, scheme] of Object.entries(schemes)) {
    if (scheme.type === 'http') headers.set(name, 'Authorization');
    else if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name) headers.set(name, scheme.name);
  }
  return headers;
}

function rulesOf(operations: Operation[], headersOfScheme: Map<string, string>): PathRules {
  const methods = withHead(operations.map((op) => op.method.toUpperCase()));
  const allow = new Set(EVERY_PATH);
  const expose = new Set(EVERY_PATH);
  for (const op of operations as OperationParts[]) {
    for (const parameter of op.parameters ?? [])
      if (parameter.in === 'header' && parameter.name) allow.add(parameter.name);
    for (const scheme of schemesOf.get(op.operationId ?? '') ?? []) {
      const header = headersOfScheme.get(scheme);
      if (header) allow.add(header);
    }
    if (op.requestBody) allow.add('Content-Type');
    for (const response of Object.values(op.responses ?? {})) {
      for (const header of Object.keys(response.headers ?? {}))
        if (!NOT_EXPOSABLE.has(header.toLowerCase())) expose.add(header);
    }
  }
  return { methods: methods.join(', '), allowHeaders: [...allow].join(', '), exposeHeaders: [...expose].join(', ') };
}

/**
 * `origins`: exact origins (credentials allowed) and/or `*` (any other origin, without credentials).
 * `extraPaths`: paths served outside the contract (the docs, the bundled contract), GET and HEAD only.
 */
export function cors(api: OpenAPIBackend, origins: readonly string[], extraPaths: readonly string[]): Koa.Middleware {
  const listed = new Set(origins.filter((o) => o !== '*'));
  const anyOrigin = origins.includes('*');
  if (!listed.size && !anyOrigin) return (_koa, next) => next();

  const tree = FindMyWay({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true });
  const byPath = new Map<string, Operation[]>();
  for (const op of api.getOperations()) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
  const headersOfScheme = schemeHeaders(api);
  for (const [path, operations] of byPath)
    tree.on('OPTIONS', routePath(path), () => undefined, rulesOf(operations, headersOfScheme));
  const siteRules: PathRules = {
    methods: 'GET, HEAD',
    allowHeaders: EVERY_PATH.join(', '),
    exposeHeaders: [...EVERY_PATH, 'ETag'].join(', '),
  };
  for (const path of extraPaths) tree.on('OPTIONS', path, () => undefined, siteRules);
  const rulesFor = (path: string) => tree.find('OPTIONS', path)?.store as PathRules | undefined;

  return async (koa, next) => {
    koa.vary('Origin');
    const origin = koa.get('Origin');
    const credentials = listed.has(origin);
    if (!origin || !(credentials || anyOrigin)) return next();
    const rules = rulesFor(koa.path);

    const preflight = koa.method === 'OPTIONS' && koa.get('Access-Control-Request-Method') !== '';
    if (preflight && rules) {
      koa.set({
        'Access-Control-Allow-Origin': credentials ? origin : '*',
        ...(credentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
        'Access-Control-Allow-Methods': rules.methods,
        'Access-Control-Allow-Headers': rules.allowHeaders,
        'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
      });
      koa.vary('Access-Control-Request-Method');
      koa.vary('Access-Control-Request-Headers');
      koa.status = 204;
      return;
    }
    // Set before the request runs, so that errors (401, 404, 429...) are readable by the page too.
    koa.set({
      'Access-Control-Allow-Origin': credentials ? origin : '*',
      ...(credentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
      'Access-Control-Expose-Headers': rules?.exposeHeaders ?? EVERY_PATH.join(', '),
    });
    await next();
  };
}
