// generated/server: the operation table, the schema types and the handler types. The request and response
// types come from the client's own generated `<Op>Data` / `<Op>Responses` / `<Op>Errors`, so there is one
// type generator, not two; what the client types cannot say (defaults already applied, documented response
// headers, who is calling, the area) is added here from the contract.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Contract,
  type JsonObject,
  type Operation,
  GENERATED_HEADER,
  deref,
  errorStyle,
  isEventStream,
  jsonMediaType,
  typeBaseName,
} from './contract.js';

function authOf(op: Operation): 'none' | 'optional' | 'required' {
  if (op.security.length === 0) return 'none';
  return op.security.some((req) => Object.keys(req).length === 0) ? 'optional' : 'required';
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const union = (values: string[]) => (values.length ? values.map(quote).join(' | ') : 'never');
const areasOf = (contract: Contract) => [...new Set(contract.operations.map((op) => op.area))].sort();

function emitOperations(contract: Contract): string {
  const rows = contract.operations.map((op) => {
    const statuses = Object.keys(op.responses)
      .map(Number)
      .sort((a, b) => a - b);
    const schemes = [...new Set(op.security.flatMap((req) => Object.keys(req)))];
    // The admin role is `x-who-may-call: admin` (scopes belong to OAuth schemes, which the contract has none of).
    const roles = op.whoMayCall === 'admin' ? ['admin'] : [];
    const contentTypes = Object.entries(op.responses).flatMap(([status, r]) => {
      const type = Object.keys(r.content ?? {})[0];
      return type ? [`${status}: '${type}'`] : [];
    });
    const parameters = op.parameters
      .filter((p) => p.in === 'query' || p.in === 'header')
      .map((p) => {
        const types = ([] as unknown[]).concat((p.schema as JsonObject | undefined)?.type ?? 'string') as string[];
        const type = types.find((t) => t !== 'null') ?? 'string';
        const nullable = types.includes('null') || (Array.isArray(p.schema?.enum) && p.schema.enum.includes(null));
        return `{ name: ${quote(p.in === 'header' ? p.name.toLowerCase() : p.name)}, in: '${p.in}', type: '${type}', nullable: ${nullable} }`;
      });
    const setsCookie = Object.entries(op.responses).some(
      ([status, r]) =>
        status.startsWith('2') &&
        Object.keys((r as { headers?: Record<string, unknown> }).headers ?? {}).some(
          (h) => h.toLowerCase() === 'set-cookie',
        ),
    );
    const limits = op.rateLimits.map(
      (l) =>
        `{ name: ${quote(l.name)}, key: ${quote(l.key)}, windowSeconds: ${l.windowSeconds}, counts: ${quote(l.counts)} }`,
    );
    return [
      `  {`,
      `    operationId: '${op.operationId}',`,
      `    area: '${op.area}',`,
      `    method: '${op.method.toUpperCase()}',`,
      `    path: '${op.path}',`,
      `    tag: '${op.tags[0] ?? ''}',`,
      `    auth: '${authOf(op)}',`,
      `    schemes: [${schemes.map((s) => `'${s}'`).join(', ')}],`,
      `    roles: [${roles.map((r) => `'${r}'`).join(', ')}],`,
      `    setsCookie: ${setsCookie},`,
      `    eventStream: ${isEventStream(op)},`,
      `    errorStyle: '${errorStyle(op)}',`,
      `    statuses: [${statuses.join(', ')}],`,
      `    contentTypes: { ${contentTypes.join(', ')} },`,
      `    parameters: [${parameters.join(', ')}],`,
      `    rateLimits: [${limits.join(', ')}],`,
      `    idempotency: ${op.idempotency ? `{ key: ${quote(op.idempotency.key)}, target: ${quote(op.idempotency.target)} }` : 'null'},`,
      `  },`,
    ].join('\n');
  });
  const rateLimitNames = [...new Set(contract.operations.flatMap((op) => op.rateLimits.map((l) => l.name)))].sort();
  return `${GENERATED_HEADER}
/** The areas of the contract: the folders of \`openapi/paths/\`. Each is one folder of \`src/\`. */
export const areas = [${areasOf(contract).map(quote).join(', ')}] as const;
export type Area = (typeof areas)[number];

/** The names of the contract's rate limits (\`x-rate-limits\`); their limits come from configuration. */
export type RateLimitName = ${union(rateLimitNames)};

/** A rate limit of an operation (\`x-rate-limits\`). */
export interface RateLimitPolicy {
  readonly name: RateLimitName;
  /** \`ip\`, \`user\` (the caller), \`body.<field>\` (compared trimmed and lower-cased), or several joined by \`+\`. */
  readonly key: string;
  readonly windowSeconds: number;
  /** \`all\`: every validated request counts; \`rejected\`: only requests the handler refuses with a 4xx. */
  readonly counts: 'all' | 'rejected';
}

/** Where an idempotent operation's key is (\`body.<field>\`) and which path parameter scopes it (\`x-idempotency\`). */
export interface IdempotencyPolicy {
  readonly key: string;
  readonly target: string;
}

/** A query or header parameter, as the server parses it before validation (header names lower-cased). */
export interface ParameterMeta {
  readonly name: string;
  readonly in: 'query' | 'header';
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  /** The schema allows null: an empty value means the parameter is left out. */
  readonly nullable: boolean;
}

/** What the server needs to know about each operation, straight from the contract. */
export interface OperationMeta {
  readonly operationId: string;
  readonly area: Area;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS' | 'TRACE';
  /** The OpenAPI path template, e.g. \`/api/spaces/{id}\`. */
  readonly path: string;
  readonly tag: string;
  /** \`none\`: public; \`optional\`: public, but credentials are used when sent; \`required\`: 401 without. */
  readonly auth: 'none' | 'optional' | 'required';
  /** Security schemes accepted (any one suffices). */
  readonly schemes: readonly string[];
  /** Roles required on top of authentication, e.g. \`admin\`. */
  readonly roles: readonly string[];
  /** A success response documents \`Set-Cookie\` (it signs a browser in or out). */
  readonly setsCookie: boolean;
  /** The success response is \`text/event-stream\`. */
  readonly eventStream: boolean;
  /** How validation errors are answered: FastAPI's 422 \`detail\` (Rooms) or 400 problem+json. */
  readonly errorStyle: 'fastapi' | 'problem';
  /** Every documented status code. */
  readonly statuses: readonly number[];
  /** The media type of each documented response body, by status. */
  readonly contentTypes: Readonly<Partial<Record<number, string>>>;
  readonly parameters: readonly ParameterMeta[];
  readonly rateLimits: readonly RateLimitPolicy[];
  readonly idempotency: IdempotencyPolicy | null;
}

export const operations = [
${rows.join('\n')}
] as const satisfies readonly OperationMeta[];

export type OperationId = (typeof operations)[number]['operationId'];
`;
}

/** Top-level fields with a default: query parameters, and properties of an object request body. */
function defaultedFields(contract: Contract, op: Operation): { query: string[]; body: string[] } {
  const query = op.parameters.filter((p) => p.in === 'query' && p.schema && 'default' in p.schema).map((p) => p.name);
  const schema = deref<JsonObject | undefined>(contract.doc, jsonMediaType(op.requestBody?.content)?.[1].schema);
  const properties = (schema?.properties ?? {}) as Record<string, JsonObject>;
  const body = Object.entries(properties)
    // A `default` beside a `$ref` counts too (OpenAPI 3.1): Ajv fills it in from the property either way.
    .filter(([, s]) => 'default' in s || 'default' in (deref<JsonObject>(contract.doc, s) ?? {}))
    .map(([name]) => name);
  return { query, body };
}

/** The TypeScript type of a documented response header's value. */
function headerType(name: string, header: JsonObject): string {
  const schema = (header.schema ?? {}) as JsonObject;
  if (typeof schema.const === 'string') return quote(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map(String));
  // HTTP repeats Set-Cookie for each cookie; OpenAPI has no way to say so.
  return name.toLowerCase() === 'set-cookie' ? 'string | string[]' : 'string';
}

function emitHeaders(contract: Contract, op: Operation): string {
  const statuses = Object.entries(op.responses).flatMap(([status, response]) => {
    const headers = Object.entries(response.headers ?? {}).map(([name, raw]) => {
      const header = deref<JsonObject>(contract.doc, raw);
      return `${quote(name)}${header.required ? '' : '?'}: ${headerType(name, header)}`;
    });
    return headers.length ? [`${status}: { ${headers.join('; ')} }`] : [];
  });
  return statuses.length ? `{ ${statuses.join('; ')} }` : '{}';
}

function emitHandlers(contract: Contract): string {
  const entries = contract.operations.map((op) => {
    const t = typeBaseName(op.operationId);
    const streams = isEventStream(op)
      ? `{ ${Object.entries(op.responses)
          .filter(([, r]) => r.content && 'text/event-stream' in r.content)
          .map(([status]) => `${status}: T.${t}Responses[${status}]`)
          .join('; ')} }`
      : '{}';
    const defaults = defaultedFields(contract, op);
    // Statuses whose body is bytes (e.g. audio/mpeg): the client types them as Blob, handlers return bytes.
    const binary = Object.entries(op.responses)
      .filter(([, r]) => Object.keys(r.content ?? {}).some((type) => !/json|event-stream/.test(type)))
      .map(([status]) => status);
    return [
      `  ${op.operationId}: {`,
      `    area: '${op.area}';`,
      `    auth: '${authOf(op)}';`,
      `    idempotent: ${Boolean(op.idempotency)};`,
      `    request: WithDefaults<Omit<T.${t}Data, 'url'>, ${union(defaults.query)}, ${union(defaults.body)}>;`,
      `    responses: T.${t}Responses & T.${t}Errors;`,
      `    streams: ${streams};`,
      `    binary: ${binary.length ? binary.join(' | ') : 'never'};`,
      `    headers: ${emitHeaders(contract, op)};`,
      `  };`,
    ].join('\n');
  });
  return `${GENERATED_HEADER}
import type * as T from '../client/src/gen/types.gen.js';
import type { Area, OperationId } from './operations.gen.js';

/** \`T\` with the fields \`K\` required (and never undefined): the validators fill in their defaults. */
type Defaulted<T, K extends PropertyKey> = [K] extends [never] ? T : Omit<T, K & keyof T> & { [P in K & keyof T]-?: Exclude<T[P], undefined> };

/** Header parameters by the names Node gives them (lower-cased), as the validators see and coerce them. */
type LowerCaseKeys<H> = { [K in keyof H as K extends string ? Lowercase<K> : K]: H[K] };

/** A request with defaulted query parameters (\`Q\`) and body fields (\`B\`) no longer optional. */
type WithDefaults<D extends { query?: unknown; body?: unknown }, Q extends string, B extends string> =
  Omit<D, 'query' | 'body' | 'headers'>
  & (D extends { headers?: infer H } ? { headers?: LowerCaseKeys<NonNullable<H>> } : {})
  & ([Q] extends [never] ? Pick<D, 'query'> : { query: Defaulted<NonNullable<D['query']>, Q> })
  & ([B] extends [never] ? Pick<D, 'body'> : undefined extends D['body'] ? { body?: Defaulted<NonNullable<D['body']>, B> } : { body: Defaulted<NonNullable<D['body']>, B> });

/**
 * Per operation: its area; whether a caller is required; whether it runs under the idempotency facility;
 * the validated request; every documented response body by status; which are streams; documented headers.
 */
export interface OperationTypes {
${entries.join('\n')}
}

/**
 * The context a handler receives, by kind of operation: public (\`none\`), public but caller-aware
 * (\`optional\`), caller required (\`required\`), and idempotent (a caller and the facility's transaction).
 */
export interface ContextKinds {
  none: unknown;
  optional: unknown;
  required: unknown;
  idempotent: unknown;
}

export type ContextOf<Op extends OperationId, C extends ContextKinds> =
  OperationTypes[Op]['idempotent'] extends true ? C['idempotent'] : C[OperationTypes[Op]['auth']];

/** The documented response headers of one status; none documented means none may be set. */
type HeadersOf<Op extends OperationId, S extends number> =
  S extends keyof OperationTypes[Op]['headers'] ? OperationTypes[Op]['headers'][S] : never;

type HeadersField<H> = [H] extends [never] ? { headers?: never } : {} extends H ? { headers?: H } : { headers: H };

/** A JSON (or empty) reply with one documented status. */
export type BodyReply<S extends number, B, H = never> = ([B] extends [void]
  ? { status: S; body?: undefined }
  : { status: S; body: B }) & HeadersField<H>;

declare const renderedBody: unique symbol;

/**
 * A JSON body already serialized, as text in the shape of \`B\` (rendered by PostgreSQL: src/platform/rendered.ts).
 * The pipeline writes the text as it is and checks it against the contract like any other body, by parsing it.
 */
export interface Rendered<B> {
  readonly json: string;
  /** Type only: the body this text is the JSON of. */
  readonly [renderedBody]: B;
}

/** A documented JSON body, as a value or as its rendered text. */
type JsonBody<B> = [B] extends [void] ? B : B | Rendered<B>;

/** Bytes (audio, images) and their media type: one the contract lists for the status, or within its range (\`audio/*\`). */
export interface BinaryBody {
  contentType: string;
  data: Uint8Array;
}

/** A \`text/event-stream\` reply: each item is one event's data (the SSE \`event:\` name is its \`type\`). */
export type StreamReply<S extends number, E, H = never> = { status: S; stream: AsyncIterable<StreamEvent<E>> } & HeadersField<H>;

/** One server-sent event: its data, and optionally its \`id:\` (e.g. a room event's \`seq\`). */
export interface StreamEvent<E> {
  data: E;
  id?: string | number;
}

type Replies<Op extends OperationId, R, Streams> = {
  [S in keyof R & number]: S extends keyof Streams ? StreamReply<S, Streams[S], HeadersOf<Op, S>>
    : S extends OperationTypes[Op]['binary'] ? BodyReply<S, BinaryBody, HeadersOf<Op, S>>
    : BodyReply<S, JsonBody<R[S]>, HeadersOf<Op, S>>;
}[keyof R & number];

/** Everything a handler may return for \`Op\`: exactly the statuses, bodies and headers the contract documents. */
export type HandlerResult<Op extends OperationId> = Replies<Op, OperationTypes[Op]['responses'], OperationTypes[Op]['streams']>;

/** A handler's input: path, query, headers and body, already validated (coerced, defaults filled in). */
export type HandlerRequest<Op extends OperationId> = OperationTypes[Op]['request'];

export type Handler<Op extends OperationId, C extends ContextKinds> = (request: HandlerRequest<Op>, ctx: ContextOf<Op, C>) => Promise<HandlerResult<Op>>;

/** The operations of one area. */
export type AreaOperationId<A extends Area> = { [Op in OperationId]: OperationTypes[Op]['area'] extends A ? Op : never }[OperationId];

/** One handler for each operation of area \`A\`, and no other: a missing or mistyped handler is a compile error. */
export type AreaHandlers<A extends Area, C extends ContextKinds> = { [Op in AreaOperationId<A>]: Handler<Op, C> };

/** One handler per operationId. */
export type Handlers<C extends ContextKinds> = { [Op in OperationId]: Handler<Op, C> };
`;
}

/**
 * The contract's named schemas, for handlers and services (never imported from the client's internals),
 * under the names the client gives them (hey-api turns `HTTPValidationError` into `HttpValidationError`).
 */
function emitSchemas(contract: Contract, clientTypes: string): string {
  const exported = new Map(
    [...clientTypes.matchAll(/^export type (\w+) =/gm)].map(([, name]) => [name!.toLowerCase(), name!]),
  );
  const names = Object.keys(((contract.doc.components as JsonObject)?.schemas ?? {}) as JsonObject)
    .map((component) => {
      const name = exported.get(component.toLowerCase());
      if (!name) throw new Error(`the client has no type for schema ${component}`);
      return name;
    })
    .sort();
  return `${GENERATED_HEADER}
// The contract's named schemas (components/schemas), as TypeScript types.
export type {
${names.map((name) => `  ${name},`).join('\n')}
} from '../client/src/gen/types.gen.js';
`;
}

export function generateServerTypes(contract: Contract, outDir: string, clientTypesFile: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'operations.gen.ts'), emitOperations(contract));
  writeFileSync(join(outDir, 'handlers.gen.ts'), emitHandlers(contract));
  writeFileSync(join(outDir, 'schemas.gen.ts'), emitSchemas(contract, readFileSync(clientTypesFile, 'utf8')));
  writeFileSync(
    join(outDir, 'index.ts'),
    `${GENERATED_HEADER}export * from './operations.gen.js';\nexport * from './handlers.gen.js';\nexport type * as Schemas from './schemas.gen.js';\n`,
  );
}
