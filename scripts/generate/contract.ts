// Reading the bundled contract: the one place that knows how operations are laid out in it.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { withItemSchemas } from './event-streams.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
  example?: Json;
  examples?: Record<string, { value?: Json }>;
}

export interface MediaType {
  schema?: JsonObject;
  example?: Json;
  examples?: Record<string, { value?: Json }>;
}

/** `x-rate-limits` on an operation: counted per key in a window; the limit itself comes from configuration. */
export interface RateLimitPolicy {
  name: string;
  /** `ip` (the client address), `body.<field>` (compared trimmed and lower-cased), or several joined by `+`. */
  key: string;
  windowSeconds: number;
  /** `all`: every validated request counts; `rejected`: only requests the handler refuses with a 4xx. */
  counts: 'all' | 'rejected';
}

/** `x-idempotency` on an operation: where its key is, and which path parameter scopes it. */
export interface IdempotencyPolicy {
  /** `body.<field>` */
  key: string;
  /** `path.<name>` */
  target: string;
}

/**
 * `x-paging` on a list operation: how a client walks it page by page (the client's `paginate` reads it).
 * - `page`: `page` and `limit`; the answer has `page` and `totalPages`.
 * - `offset`: `offset` and `limit`; a page with fewer than `limit` items is the last.
 * - `cursor`: an opaque cursor: pass the answer's `next` field as the query parameter `param`; `null` ends.
 * - `keyset`: pass the `from` field of the page's last item as `param` (`before`, `afterSeq`, ...); the page is
 *   the last when the answer's boolean `more` is false or, without `more`, when it has fewer than `limit` items.
 *   `start` is `param`'s value for the first page when the caller gives none (`afterSeq: 0`: from the start).
 * `items` names the answer's array of items; `defaultLimit` is `limit`'s default (added from the parameter).
 */
export type Paging =
  | { style: 'page'; items: string; defaultLimit: number }
  | { style: 'offset'; items: string; defaultLimit: number }
  | { style: 'cursor'; items: string; defaultLimit: number; param: string; next: string }
  | {
      style: 'keyset';
      items: string;
      defaultLimit: number;
      param: string;
      from: string;
      more?: string;
      start?: number | string;
    };

export interface Operation {
  operationId: string;
  /** The folder of its path file, `openapi/paths/<area>/`. */
  area: string;
  method: string;
  path: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType>; headers?: Record<string, unknown> }>;
  rateLimits: RateLimitPolicy[];
  idempotency?: IdempotencyPolicy;
  /** `x-soft-delete`: a DELETE that archives; what it deletes stays readable. */
  softDelete: boolean;
  /** `x-who-may-call`: its "Who may call", as a class the conformance suite's authorization matrix checks. */
  whoMayCall: WhoMayCall;
  /** `x-paging`: present exactly on the lists that page (a GET with a `limit`). */
  paging?: Paging;
  /** `x-sample`: how its docs sample differs from what the examples give (scripts/generate/samples.ts). */
  sample?: SampleHints;
}

/**
 * `x-sample` on an operation: the demo account its sample calls as (`nobody`: no credential), and values that
 * replace the parameter and body examples for this operation only (a shared `{id}` that must name another
 * demo object here, e.g. a spare one for a delete; `null` leaves a parameter out).
 */
export interface SampleHints {
  caller?: string;
  path?: JsonObject;
  query?: JsonObject;
  headers?: JsonObject;
  body?: Json;
}

/**
 * Who may call an operation (`x-who-may-call`), beside its prose "Who may call": `anyone`; `signed-in` (any
 * signed-in user); `admin`; `owner` (whoever owns or takes part in the resource its path names, no one else);
 * `community-member` (members of the community `{id}`); `room-participant` (current participants of the room
 * `{room_id}`: former ones get 403, others 404); `room-owner` (its owner, or the author of the message named: other
 * participants and former ones 403, others 404); `room-visible` (current and former participants: others 404).
 */
export const WHO_MAY_CALL = [
  'anyone',
  'signed-in',
  'admin',
  'owner',
  'community-member',
  'room-participant',
  'room-owner',
  'room-visible',
] as const;
export type WhoMayCall = (typeof WHO_MAY_CALL)[number];

export interface Contract {
  doc: JsonObject;
  operations: Operation[];
}

/** Follows a local `#/components/...` ref (the bundle has no other kind). */
export function deref<T>(doc: JsonObject, node: unknown): T {
  let current = node as { $ref?: string };
  while (current && typeof current === 'object' && typeof current.$ref === 'string') {
    const parts = current.$ref.replace(/^#\//, '').split('/');
    current = parts.reduce<any>((acc, key) => acc?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return current as T;
}

const ROOT_DOCUMENT = join(import.meta.dirname, '..', '..', 'openapi', 'openapi.yaml');

/** Each path's area: the folder of the file the root document's `paths` map points it to. */
export function areasByPath(rootDocument = ROOT_DOCUMENT): Map<string, string> {
  const root = parse(readFileSync(rootDocument, 'utf8')) as { paths: Record<string, { $ref: string }> };
  const areas = new Map<string, string>();
  for (const [path, item] of Object.entries(root.paths)) {
    const area = /^paths\/([a-z]+)\//.exec(item.$ref)?.[1];
    if (!area) throw new Error(`${path}: its $ref must point into paths/<area>/, not ${item.$ref}`);
    areas.set(path, area);
  }
  return areas;
}

/**
 * Fails, naming the file, when a file in openapi/paths/ is not in the root document's `paths` map: the
 * bundler would silently leave its operations out.
 */
export function checkPathFilesReferenced(rootDocument = ROOT_DOCUMENT): void {
  const root = parse(readFileSync(rootDocument, 'utf8')) as { paths: Record<string, { $ref: string }> };
  const referenced = new Set(Object.values(root.paths).map((item) => item.$ref));
  const pathsDir = join(dirname(rootDocument), 'paths');
  const files = readdirSync(pathsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml') && !e.name.startsWith('_scratch'))
    .map((e) => relative(dirname(rootDocument), join(e.parentPath, e.name)).split(sep).join('/'));
  const missing = files.filter((file) => !referenced.has(file));
  if (missing.length) {
    throw new Error(
      `openapi/openapi.yaml does not reference ${missing.join(', ')}: add each under \`paths:\` as\n` +
        missing.map((file) => `  /api/<its path>:\n    $ref: ${file}`).join('\n'),
    );
  }
}

/**
 * The bundled contract as our generators read it: event streams with their item schemas as `schema`
 * (event-streams.ts). `published` is the file as written, what other tools read.
 */
export function loadContract(bundlePath: string, rootDocument?: string): Contract {
  const doc = withItemSchemas(JSON.parse(readFileSync(bundlePath, 'utf8')) as JsonObject);
  const areas = areasByPath(rootDocument);
  const operations: Operation[] = [];
  const paths = (doc.paths ?? {}) as Record<string, JsonObject>;
  for (const [path, rawItem] of Object.entries(paths)) {
    const area = areas.get(path);
    if (!area) throw new Error(`${path} is in the bundle but not in openapi/openapi.yaml`);
    const item = deref<JsonObject>(doc, rawItem);
    const shared = ((item.parameters ?? []) as Json[]).map((p) => deref<Parameter>(doc, p));
    for (const method of HTTP_METHODS) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const own = ((op.parameters ?? []) as Json[]).map((p) => deref<Parameter>(doc, p));
      const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const responses: Operation['responses'] = {};
      for (const [status, response] of Object.entries((op.responses ?? {}) as JsonObject)) {
        responses[status] = deref(doc, response);
      }
      const security = (op.security as Array<Record<string, string[]>>) ?? (doc.security as any) ?? [];
      const operation: Operation = {
        operationId: op.operationId as string,
        area,
        method,
        path,
        summary: (op.summary as string) ?? '',
        tags: (op.tags as string[]) ?? [],
        security,
        parameters,
        requestBody: op.requestBody ? deref(doc, op.requestBody) : undefined,
        responses,
        rateLimits: rateLimitsOf(op, security),
        idempotency: op['x-idempotency'] as unknown as IdempotencyPolicy | undefined,
        softDelete: op['x-soft-delete'] === true,
        whoMayCall: whoMayCallOf(op),
        sample: op['x-sample'] as SampleHints | undefined,
      };
      const paging = pagingOf(doc, operation, op['x-paging']);
      if (paging) operation.paging = paging;
      operations.push(operation);
    }
  }
  return { doc, operations };
}

/**
 * `x-rate-limits`, checked: every key is `ip`, `user` or `body.<field>` (or several joined by `+`), and `user`
 * only where a caller is required (an anonymous request has none to count).
 */
function rateLimitsOf(op: JsonObject, security: Array<Record<string, string[]>>): RateLimitPolicy[] {
  const limits = (op['x-rate-limits'] ?? []) as unknown as RateLimitPolicy[];
  const callerRequired = security.length > 0 && security.every((r) => Object.keys(r).length > 0);
  for (const limit of limits) {
    for (const part of limit.key.split('+')) {
      if (part === 'user' ? !callerRequired : part !== 'ip' && !/^body\.[A-Za-z0-9_]+$/.test(part)) {
        throw new Error(
          `${op.operationId as string}: x-rate-limits ${limit.name} has key part "${part}": use ip, body.<field>, or user (only where a caller is required)`,
        );
      }
    }
  }
  return limits;
}

function whoMayCallOf(op: JsonObject): WhoMayCall {
  const value = op['x-who-may-call'];
  if (!(WHO_MAY_CALL as readonly unknown[]).includes(value)) {
    throw new Error(
      `${op.operationId as string}: x-who-may-call must be one of ${WHO_MAY_CALL.join(', ')}, not ${JSON.stringify(value)}`,
    );
  }
  return value as WhoMayCall;
}

const PAGING_FIELDS: Record<Paging['style'], { required: string[]; optional: string[] }> = {
  page: { required: [], optional: [] },
  offset: { required: [], optional: [] },
  cursor: { required: ['param', 'next'], optional: [] },
  keyset: { required: ['param', 'from'], optional: ['more', 'start'] },
};

/**
 * `x-paging`, checked against the operation it describes: every GET with a `limit` query parameter (a list
 * that pages) must have one, nothing else may, and every parameter and field it names must exist with the
 * right type, so the client's `paginate` can walk the list. Throws naming the operation and what is wrong.
 */
export function pagingOf(doc: JsonObject, op: Operation, raw: unknown): Paging | undefined {
  const fail = (why: string): never => {
    throw new Error(`${op.operationId}: ${why} (x-paging, see docs/contract-conventions.md "Pagination")`);
  };
  const query = new Map(op.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  const limit = query.get('limit');
  const isList = op.method === 'get' && limit !== undefined && !isEventStream(op);
  if (raw === undefined) return isList ? fail('a list with a `limit` parameter must say how it pages') : undefined;
  if (!isList) fail('only a GET list with a `limit` query parameter pages');
  const paging = raw as Record<string, unknown>;
  const style = paging.style as Paging['style'];
  const fields =
    PAGING_FIELDS[style] ??
    fail(`style must be one of ${Object.keys(PAGING_FIELDS).join(', ')}, not ${JSON.stringify(style)}`);
  for (const key of Object.keys(paging)) {
    if (!['style', 'items', ...fields.required, ...fields.optional].includes(key))
      fail(`${style} paging has no \`${key}\``);
  }
  for (const key of ['items', ...fields.required])
    if (typeof paging[key] !== 'string') fail(`${style} paging needs \`${key}\``);
  const defaultLimit = (limit!.schema as { default?: unknown } | undefined)?.default;
  if (typeof defaultLimit !== 'number') fail('`limit` needs a default');
  const body = deref<JsonObject | undefined>(doc, op.responses['200']?.content?.['application/json']?.schema);
  const props = (body?.properties ?? {}) as Record<string, JsonObject>;
  const typeOf = (schema: JsonObject | undefined) =>
    ([] as unknown[]).concat(deref<JsonObject | undefined>(doc, schema)?.type ?? []);
  const items = deref<JsonObject | undefined>(doc, props[paging.items as string]);
  if (
    !items ||
    !typeOf(items).includes('array') ||
    !((body?.required ?? []) as string[]).includes(paging.items as string)
  ) {
    fail(`\`items\`: the 200 answer has no required array \`${String(paging.items)}\``);
  }
  const needQuery = (name: string) => query.has(name) || fail(`needs the query parameter \`${name}\``);
  const needField = (name: string, types: string[]) =>
    types.some((t) => typeOf(props[name]).includes(t)) ||
    fail(`the 200 answer has no ${types.join(' or ')} field \`${name}\``);
  if (style === 'page') {
    needQuery('page');
    needField('page', ['integer']);
    needField('totalPages', ['integer']);
  } else if (style === 'offset') {
    needQuery('offset');
  } else if (style === 'cursor') {
    needQuery(paging.param as string);
    needField(paging.next as string, ['string']);
  } else {
    needQuery(paging.param as string);
    const item = (deref<JsonObject | undefined>(doc, items!.items as JsonObject)?.properties ?? {}) as Record<
      string,
      JsonObject
    >;
    if (!item[paging.from as string]) fail(`the items have no field \`${String(paging.from)}\` to page from`);
    if (paging.more !== undefined) needField(paging.more as string, ['boolean']);
  }
  return { ...paging, defaultLimit } as Paging;
}

/** The name hey-api gives an operation's types: `listSpaces` -> `ListSpaces` (`ListSpacesData`, ...). */
export function typeBaseName(operationId: string): string {
  return operationId.charAt(0).toUpperCase() + operationId.slice(1);
}

export function isEventStream(op: Operation): boolean {
  return Object.values(op.responses).some((r) => r.content && 'text/event-stream' in r.content);
}

/** The VirtuousAI Rooms API (everything under /api/v1/) answers validation errors the FastAPI way. */
export function errorStyle(op: Operation): 'fastapi' | 'problem' {
  return op.path.startsWith('/api/v1/') ? 'fastapi' : 'problem';
}

/** JSON media types we validate: application/json and any +json type. */
export function jsonMediaType(content: Record<string, MediaType> | undefined): [string, MediaType] | undefined {
  if (!content) return undefined;
  return Object.entries(content).find(([type]) => type === 'application/json' || /\+json$/.test(type));
}

export const GENERATED_HEADER = '// This file is generated by `npm run generate` from openapi/. DO NOT EDIT.\n';
