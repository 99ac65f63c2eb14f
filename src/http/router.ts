// Routing for openapi-backend. Its own matchOperation rebuilds the operation list and a RegExp per
// templated path on every request (about 1.3 ms per request at 60 paths, growing with each path added).
// This replaces it with a radix tree (find-my-way) built once, indexed by method and path segments, that
// returns openapi-backend's own operation objects: routing cost no longer depends on the number of operations.
// HEAD is answered wherever GET is, by the GET operation (Koa sends its headers without the body).
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { OpenAPIBackend } from 'openapi-backend';
import type { Operation, ParsedRequest, Request } from 'openapi-backend';

interface Match {
  operation: Operation;
  params: Record<string, string>;
}

/** The request shape we hand to openapi-backend; the match is cached on it so we route once. */
export interface RoutedRequest extends Request {
  match?: Match | null;
  /** Methods the path accepts, when it exists but not for this method (for the 405's Allow header). */
  allowedMethods?: string[];
}

/** An OpenAPI path template (`/api/spaces/{id}`) as a find-my-way route (`/api/spaces/:id`). */
export const routePath = (template: string) => template.replace(/\{([^}]+)\}/g, ':$1');

/** The methods a path accepts, given the contract's: HEAD wherever GET is. */
export const withHead = (methods: readonly string[]) =>
  methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : [...methods];

const routedMethod = (method: string) => {
  const upper = method.toUpperCase();
  return (upper === 'HEAD' ? 'GET' : upper) as HTTPMethod;
};

export function installRouter(api: OpenAPIBackend): void {
  const tree = FindMyWay({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true });
  const methods = new Set<string>();
  for (const operation of api.getOperations()) {
    const method = operation.method.toUpperCase();
    methods.add(method);
    tree.on(method as HTTPMethod, routePath(operation.path), () => undefined, { operation });
  }

  const find = (req: RoutedRequest): Match | null => {
    if (req.match !== undefined) return req.match;
    const found = tree.find(routedMethod(req.method), req.path);
    req.match = found
      ? {
          operation: (found.store as { operation: Operation }).operation,
          params: found.params as Record<string, string>,
        }
      : null;
    return req.match;
  };

  api.router.matchOperation = ((req: RoutedRequest, strict?: boolean) => {
    const match = find(req);
    if (match) return match.operation;
    if (!strict) return undefined;
    const allowed = [...methods].filter((m) => tree.find(m as HTTPMethod, req.path));
    if (allowed.length) {
      req.allowedMethods = withHead(allowed);
      throw new Error('405-methodNotAllowed: this path does not accept this method');
    }
    throw new Error('404-notFound: no route matches request');
  }) as typeof api.router.matchOperation;

  // openapi-backend parses the request twice per request (before and after routing) and compiles a path
  // RegExp each time; we already have everything it needs.
  api.router.parseRequest = ((req: RoutedRequest, operation?: Operation): ParsedRequest => ({
    method: req.method.toLowerCase(),
    path: req.path,
    headers: req.headers,
    query: {}, // dispatch parses the raw query string itself, strictly (inputs.ts)
    params: operation ? (find(req)?.params ?? {}) : {},
    cookies: {},
    requestBody: undefined,
  })) as typeof api.router.parseRequest;
}
