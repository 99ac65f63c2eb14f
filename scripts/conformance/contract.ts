// Everything the suite knows about the API, read from generated/openapi.json: operations, their inputs
// (schemas inlined, for generating data), their documented responses (compiled Ajv 2020 validators,
// through the generator's own `newAjv`/`toAjvSchema`, so the suite checks with the contract's exact rules).
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import {
  loadContract,
  deref,
  jsonMediaType,
  type Json,
  type JsonObject,
  type WhoMayCall,
} from '../generate/contract.js';
import { newAjv, toAjvSchema } from '../generate/validators.js';

export type { Json, JsonObject };

export interface ValidateFn {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export type ParamLocation = 'path' | 'query' | 'header' | 'cookie';

export interface ParamSpec {
  name: string;
  in: ParamLocation;
  required: boolean;
  /** The parameter's schema with every $ref inlined. */
  schema: JsonObject;
  description: string;
  examples: Json[];
}

export interface HeaderSpec {
  name: string;
  required: boolean;
  /** Validates the header's value, coerced from its string form. */
  validate?: ValidateFn;
}

export interface ResponseSpec {
  status: string;
  /** Documented media types; empty when the response has no body. */
  mediaTypes: string[];
  /** The body's validator (for an event stream: each event's `data`). */
  validate?: ValidateFn;
  /** The body's schema, $refs inlined. */
  schema?: JsonObject;
  eventStream: boolean;
  headers: HeaderSpec[];
}

export interface BodySpec {
  mediaType: string;
  required: boolean;
  schema: JsonObject;
  validate: ValidateFn;
  examples: Json[];
}

export interface OpSpec {
  id: string;
  method: string;
  path: string;
  description: string;
  /** The text after "**Who may call:**" in the description (empty when there is none). */
  whoMayCall: string;
  /** The same as a class (`x-who-may-call`): what the authorization matrix tries against it. */
  callers: WhoMayCall;
  params: ParamSpec[];
  body?: BodySpec;
  responses: Record<string, ResponseSpec>;
  /** `none`: no security; `optional`: an empty requirement is listed; `required`: a caller is needed. */
  auth: 'none' | 'optional' | 'required';
  /** A DELETE the contract marks `x-soft-delete`: what it deletes stays readable (archived). */
  softDelete: boolean;
  schemes: string[];
  roles: string[];
  /** Validates one location's values the way a server would see them (strings, coerced). */
  validateParams(location: 'path' | 'query' | 'header', values: Record<string, unknown>): ErrorObject[];
}

export interface SecurityScheme {
  name: string;
  kind: 'bearer' | 'header' | 'cookie';
  /** Header or cookie name for `header`/`cookie` schemes. */
  param?: string;
}

export interface ContractModel {
  ops: OpSpec[];
  schemes: SecurityScheme[];
  doc: JsonObject;
  /** The operation at this method and path template, if any. */
  find(method: string, path: string): OpSpec | undefined;
}

/** OpenAPI-only keywords that are noise to a data generator. */
const OPENAPI_ONLY = new Set(['example', 'xml', 'externalDocs', 'discriminator']);

/** The schema with every $ref replaced by its target (a recursive ref becomes `{}`, i.e. anything). */
export function inlineRefs(doc: JsonObject, node: Json, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(doc, item, seen));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (seen.includes(ref)) return {};
    const { $ref: _ref, description: _description, ...siblings } = node;
    const target = inlineRefs(doc, deref<Json>(doc, { $ref: ref }), [...seen, ref]) as JsonObject;
    return { ...target, ...(inlineRefs(doc, siblings, seen) as JsonObject) };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (OPENAPI_ONLY.has(key) || key.startsWith('x-')) continue;
    if (key === 'examples' && !Array.isArray(value)) continue;
    out[key] =
      key === 'properties' || key === '$defs' || key === 'patternProperties'
        ? Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, inlineRefs(doc, v, seen)]))
        : inlineRefs(doc, value, seen);
  }
  return out;
}

function examplesOf(holder: { example?: Json; examples?: Record<string, { value?: Json }> } | undefined): Json[] {
  if (!holder) return [];
  const out: Json[] = [];
  if (holder.example !== undefined) out.push(holder.example);
  for (const entry of Object.values(holder.examples ?? {}))
    if (entry && entry.value !== undefined) out.push(entry.value);
  return out;
}

export function readContract(root: string): ContractModel {
  const { doc, operations } = loadContract(join(root, 'generated', 'openapi.json'));
  const components = ((doc.components as JsonObject)?.schemas ?? {}) as JsonObject;
  // Inputs arrive as strings and are coerced, like the server's own parameter validators; bodies and
  // responses are checked as-is. Defaults are never applied: the suite must not mutate what it checks.
  const paramsAjv = newAjv({ coerce: true, defaults: false });
  const plainAjv = newAjv({ coerce: false, defaults: false });
  for (const ajv of [paramsAjv, plainAjv])
    ajv.addSchema({ $id: 'contract', $defs: toAjvSchema(components, true) } as never);
  // Compiled on first use: a filtered run (`--operation`) then pays only for what it checks.
  const compile = (ajv: typeof plainAjv, schema: Json): ValidateFn => {
    let compiled: ValidateFn | undefined;
    const validate: ValidateFn = (data) => {
      compiled ??= ajv.compile(toAjvSchema(schema) as never) as ValidateFn;
      const ok = compiled(data);
      validate.errors = compiled.errors;
      return ok;
    };
    return validate;
  };

  // A scheme sent in the query (the room stream's ticket) is derived from a session or key for one resource by
  // its own operation; the suite cannot make one from a token, so it leaves it out (test/contract/rooms/stream-tickets.test.ts).
  const rawSchemes = Object.entries(
    ((doc.components as JsonObject)?.securitySchemes ?? {}) as Record<string, JsonObject>,
  );
  const derived = new Set(rawSchemes.filter(([, s]) => s.in === 'query').map(([name]) => name));
  const schemes: SecurityScheme[] = rawSchemes
    .filter(([name]) => !derived.has(name))
    .map(([name, s]) =>
      s.type === 'http'
        ? { name, kind: 'bearer' as const }
        : { name, kind: s.in === 'cookie' ? ('cookie' as const) : ('header' as const), param: s.name as string },
    );

  const ops: OpSpec[] = operations.map((op) => {
    const raw = ((doc.paths as JsonObject)[op.path] as JsonObject)[op.method] as JsonObject;
    const description = (raw.description as string | undefined) ?? '';
    const params: ParamSpec[] = op.parameters.map((p) => ({
      name: p.name,
      in: p.in,
      required: Boolean(p.required),
      schema: inlineRefs(doc, (p.schema ?? {}) as Json) as JsonObject,
      description: (p as { description?: string }).description ?? '',
      examples: [...examplesOf(p), ...(((p.schema as JsonObject | undefined)?.examples as Json[] | undefined) ?? [])],
    }));

    // One object schema per location, as the server validates them: header names lower-cased (as Node
    // delivers them), unknown query parameters refused, other headers ignored.
    const locationValidators = new Map<string, ValidateFn>();
    for (const location of ['path', 'query', 'header'] as const) {
      const own = op.parameters.filter((p) => p.in === location);
      const properties: JsonObject = {};
      const required: string[] = [];
      for (const p of own) {
        const name = location === 'header' ? p.name.toLowerCase() : p.name;
        properties[name] = (p.schema ?? {}) as Json;
        if (p.required) required.push(name);
      }
      locationValidators.set(
        location,
        compile(paramsAjv, { type: 'object', properties, required, additionalProperties: location === 'header' }),
      );
    }

    let body: BodySpec | undefined;
    const media = jsonMediaType(op.requestBody?.content);
    if (media?.[1].schema) {
      body = {
        mediaType: media[0],
        required: Boolean(op.requestBody?.required),
        schema: inlineRefs(doc, media[1].schema) as JsonObject,
        validate: compile(plainAjv, media[1].schema),
        examples: [...examplesOf(media[1]), ...examplesOf(deref(doc, media[1].schema) as never)],
      };
    }

    const responses: Record<string, ResponseSpec> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      const content = response.content ?? {};
      const mediaTypes = Object.keys(content);
      const json = jsonMediaType(content);
      const stream = content['text/event-stream'];
      const schema = json?.[1].schema ?? stream?.schema;
      const headers: HeaderSpec[] = Object.entries((response.headers ?? {}) as Record<string, Json>).map(
        ([name, h]) => {
          const header = deref<JsonObject>(doc, h);
          return {
            name,
            required: header.required === true,
            validate: header.schema
              ? compile(paramsAjv, { type: 'object', properties: { value: header.schema } })
              : undefined,
          };
        },
      );
      responses[status] = {
        status,
        mediaTypes,
        validate: schema ? compile(plainAjv, schema) : undefined,
        schema: schema ? (inlineRefs(doc, schema) as JsonObject) : undefined,
        eventStream: !json && Boolean(stream),
        headers,
      };
    }

    const auth: OpSpec['auth'] =
      op.security.length === 0
        ? 'none'
        : op.security.some((req) => Object.keys(req).length === 0)
          ? 'optional'
          : 'required';
    const who =
      /\*\*Who may call:\*\*\s*([^\n]*(?:\n(?!\n)[^\n]*)*)/.exec(description)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
    return {
      id: op.operationId,
      method: op.method.toUpperCase(),
      path: op.path,
      description,
      whoMayCall: who,
      callers: op.whoMayCall,
      params,
      body,
      responses,
      auth,
      softDelete: op.softDelete,
      schemes: [...new Set(op.security.flatMap((req) => Object.keys(req)))].filter((name) => !derived.has(name)),
      roles: op.whoMayCall === 'admin' ? ['admin'] : [],
      validateParams(location, values) {
        const validate = locationValidators.get(location)!;
        return validate(structuredClone(values)) ? [] : [...(validate.errors ?? [])];
      },
    } satisfies OpSpec;
  });

  const byRoute = new Map(ops.map((op) => [`${op.method} ${op.path}`, op]));
  return { ops, schemes, doc, find: (method, path) => byRoute.get(`${method.toUpperCase()} ${path}`) };
}

/** The documented response for a status: exact, then `4XX`-style ranges, then `default`. */
export function responseFor(op: OpSpec, status: number): ResponseSpec | undefined {
  return op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
}

/** Template segments of a path: `/api/spaces/{id}` -> ['api', 'spaces', '{id}']. */
export const segments = (path: string) => path.split('/').filter(Boolean);
export const paramNames = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
