// AJV standalone validators for every operation's inputs and documented responses, compiled here so the
// server compiles no schema at start-up. Three Ajv instances because their options differ:
//   params:    path, query and header values arrive as strings and are coerced (and defaulted);
//   bodies:    JSON request bodies, defaulted but never coerced ("1" is not a number);
//   responses: what the server sends, checked as-is.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { _ } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { DATE_TIME } from '../../src/platform/date-time.js';
import {
  type Contract,
  type Json,
  type JsonObject,
  type Operation,
  GENERATED_HEADER,
  isEventStream,
  jsonMediaType,
} from './contract.js';

const CONTRACT_ID = 'contract';
/** ajv-formats' uuid also accepts a `urn:uuid:` prefix, which PostgreSQL rejects: only the bare form is valid. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ajv-formats' date-time (its calendar checks) narrowed to RFC 3339's syntax: src/platform/date-time.ts. */
const rfc3339 = fullFormats['date-time'] as {
  validate: (s: string) => boolean;
  compare: (a: string, b: string) => number | undefined;
};
const DATE_TIME_FORMAT = {
  validate: (s: string) => DATE_TIME.test(s) && rfc3339.validate(s),
  compare: rfc3339.compare,
};
/** Keys OpenAPI allows in a schema that are not JSON Schema keywords Ajv knows (strict mode rejects them). */
const DROPPED_KEYS = new Set(['example', 'xml', 'externalDocs', 'discriminator']);
/** Keywords whose object value maps names (not keywords) to schemas: never filter those names. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** Makes an OpenAPI schema acceptable to Ajv's strict mode and points its refs at the contract schema. */
export function toAjvSchema(node: Json, isNameMap = false): Json {
  if (Array.isArray(node)) return node.map((item) => toAjvSchema(item));
  if (!node || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (!isNameMap && (DROPPED_KEYS.has(key) || key.startsWith('x-'))) continue;
    if (!isNameMap && key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace(/^#\/components\/schemas\//, `${CONTRACT_ID}#/$defs/`);
    } else if (!isNameMap && key === 'examples' && !Array.isArray(value)) {
      // an OpenAPI examples map, not JSON Schema's examples array: left out
    } else {
      out[key] = toAjvSchema(value, !isNameMap && NAME_MAPS.has(key));
    }
  }
  return out;
}

/** An Ajv with the contract's options and formats; the tests compile with the same one. */
export function newAjv(options: { coerce: boolean; defaults: boolean }) {
  const ajv = new Ajv2020.default({
    strict: true,
    allErrors: true,
    allowUnionTypes: true,
    multipleOfPrecision: 9, // money is multipleOf 0.01: 4.35 / 0.01 is not an integer in floating point
    inlineRefs: false, // each component compiles once and is shared, instead of being inlined into every user
    coerceTypes: options.coerce ? 'array' : false,
    useDefaults: options.defaults,
    code: { source: true, lines: true, formats: _`require("./formats.cjs").formats` },
  });
  addFormats.default(ajv);
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('date-time', DATE_TIME_FORMAT);
  return ajv;
}

/** Export names in the generated modules: `<operationId>_<part>`. */
export const validatorName = (operationId: string, part: string) => `${operationId}_${part}`;

interface Plan {
  params: Array<[string, JsonObject]>;
  bodies: Array<[string, JsonObject]>;
  responses: Array<[string, JsonObject]>;
  index: Array<{
    op: Operation;
    parts: string[];
    body?: string;
    bodyRequired: boolean;
    responses: Array<[string, string]>;
  }>;
}

/** Object schema for one parameter location. Header names are matched lower-cased, as Node delivers them. */
function parameterSchema(op: Operation, location: 'path' | 'query' | 'header'): JsonObject | undefined {
  const params = op.parameters.filter((p) => p.in === location);
  if (params.length === 0 && location !== 'query') return undefined;
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const p of params) {
    const name = location === 'header' ? p.name.toLowerCase() : p.name;
    properties[name] = toAjvSchema((p.schema ?? {}) as Json);
    if (p.required) required.push(name);
  }
  // Unknown query parameters are rejected (a misspelt filter must not be silently ignored); other headers
  // are none of our business.
  return { type: 'object', properties, required, additionalProperties: location === 'header' };
}

function plan(contract: Contract): Plan {
  const result: Plan = { params: [], bodies: [], responses: [], index: [] };
  const sharedResponses = new Map<string, string>();
  for (const op of contract.operations) {
    const parts: string[] = [];
    for (const location of ['path', 'query', 'header'] as const) {
      const schema = parameterSchema(op, location);
      if (!schema) continue;
      result.params.push([validatorName(op.operationId, location), schema]);
      parts.push(location);
    }
    const body = jsonMediaType(op.requestBody?.content);
    let bodyName: string | undefined;
    if (body?.[1].schema) {
      bodyName = validatorName(op.operationId, 'body');
      result.bodies.push([bodyName, toAjvSchema(body[1].schema) as JsonObject]);
    }
    const responses: Array<[string, string]> = [];
    for (const [status, response] of Object.entries(op.responses)) {
      const media =
        jsonMediaType(response.content) ??
        (isEventStream(op)
          ? Object.entries(response.content ?? {}).find(([type]) => type === 'text/event-stream')
          : undefined);
      if (!media?.[1].schema) continue;
      // Identical schemas (most problem responses: the same codes) share one compiled validator.
      const schema = toAjvSchema(media[1].schema) as JsonObject;
      const key = JSON.stringify(schema);
      let name = sharedResponses.get(key);
      if (!name) {
        name = validatorName(op.operationId, status);
        sharedResponses.set(key, name);
        result.responses.push([name, schema]);
      }
      responses.push([status, name]);
    }
    result.index.push({ op, parts, body: bodyName, bodyRequired: Boolean(op.requestBody?.required), responses });
  }
  return result;
}

function emitModule(
  contract: Contract,
  entries: Array<[string, JsonObject]>,
  options: { coerce: boolean; defaults: boolean },
): string {
  const ajv = newAjv(options);
  const schemas = ((contract.doc.components as JsonObject)?.schemas ?? {}) as JsonObject;
  ajv.addSchema({ $id: CONTRACT_ID, $defs: toAjvSchema(schemas, true) } as any);
  const exportsMap: Record<string, string> = {};
  for (const [name, schema] of entries) {
    ajv.addSchema({ ...schema, $id: name } as any);
    exportsMap[name] = name;
  }
  const code = standaloneCode.default(ajv, exportsMap);
  return `${GENERATED_HEADER.replace('//', '/*').replace(/\n$/, ' */\n')}${code}\n`;
}

const FORMATS_MODULE = `/* This file is generated by \`npm run generate\` from openapi/. DO NOT EDIT. */
"use strict";
// ajv-formats' formats, with a uuid that PostgreSQL also accepts (no "urn:uuid:" prefix) and a date-time
// that is RFC 3339's exactly (src/platform/date-time.ts).
const { fullFormats } = require("ajv-formats/dist/formats");
const DATE_TIME = ${DATE_TIME.toString()};
const rfc3339 = fullFormats["date-time"];
exports.formats = {
  ...fullFormats,
  uuid: ${UUID.toString()},
  "date-time": { validate: (s) => DATE_TIME.test(s) && rfc3339.validate(s), compare: rfc3339.compare },
};
`;

function emitIndex(p: Plan): string {
  const lines: string[] = [
    GENERATED_HEADER,
    `import { createRequire } from 'node:module';`,
    `import type { ErrorObject } from 'ajv';`,
    `import type { OperationId } from '../server/operations.gen.js';`,
    ``,
    `/** A compiled validator: returns whether \`data\` is valid; on failure \`errors\` says why. */`,
    `export interface ValidateFunction {`,
    `  (data: unknown): boolean;`,
    `  errors?: ErrorObject[] | null;`,
    `}`,
    ``,
    `export interface OperationValidators {`,
    `  /** Path parameters, coerced from strings. */`,
    `  path?: ValidateFunction;`,
    `  /** Query parameters, coerced from strings, defaults applied; unknown names are rejected. */`,
    `  query?: ValidateFunction;`,
    `  /** Header parameters, keyed by lower-cased name, coerced from strings. */`,
    `  header?: ValidateFunction;`,
    `  /** The JSON request body, defaults applied, never coerced. */`,
    `  body?: ValidateFunction;`,
    `  bodyRequired: boolean;`,
    `  /** Documented response bodies by status; for event streams, each event's data. */`,
    `  responses: Partial<Record<number, ValidateFunction>>;`,
    `}`,
    ``,
    `const require = createRequire(import.meta.url);`,
    `const params = require('./params.gen.cjs') as Record<string, ValidateFunction>;`,
    `const bodies = require('./bodies.gen.cjs') as Record<string, ValidateFunction>;`,
    `const responses = require('./responses.gen.cjs') as Record<string, ValidateFunction>;`,
    ``,
    `export const validators: Record<OperationId, OperationValidators> = {`,
  ];
  for (const entry of p.index) {
    const id = entry.op.operationId;
    lines.push(`  ${id}: {`);
    for (const part of entry.parts) lines.push(`    ${part}: params.${validatorName(id, part)},`);
    if (entry.body) lines.push(`    body: bodies.${entry.body},`);
    lines.push(`    bodyRequired: ${entry.bodyRequired},`);
    lines.push(
      `    responses: {${entry.responses.map(([status, name]) => ` ${status}: responses.${name}`).join(',')}${entry.responses.length ? ' ' : ''}},`,
    );
    lines.push(`  },`);
  }
  lines.push(`};`, ``);
  return lines.join('\n');
}

export function generateValidators(contract: Contract, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const p = plan(contract);
  writeFileSync(join(outDir, 'formats.cjs'), FORMATS_MODULE);
  writeFileSync(join(outDir, 'params.gen.cjs'), emitModule(contract, p.params, { coerce: true, defaults: true }));
  writeFileSync(join(outDir, 'bodies.gen.cjs'), emitModule(contract, p.bodies, { coerce: false, defaults: true }));
  writeFileSync(
    join(outDir, 'responses.gen.cjs'),
    emitModule(contract, p.responses, { coerce: false, defaults: false }),
  );
  writeFileSync(join(outDir, 'index.gen.ts'), emitIndex(p));
}
