// Valid ("positive") inputs for an operation: the contract's examples first, then values json-schema-faker
// generates from the inlined schemas under the seeded PRNG. Every candidate is checked with the contract's
// own validators before it is used, so a positive request is valid by construction.
import { JSONSchemaFaker } from 'json-schema-faker';
import type { Json, JsonObject, OpSpec, ParamSpec } from './contract.js';
import { uuidFrom, withSeededRandom, type Rng } from './random.js';

/** An operation's inputs as values (not yet on the wire). `undefined` body: none sent. */
export interface Inputs {
  path: Record<string, Json>;
  query: Record<string, Json>;
  header: Record<string, Json>;
  body?: Json;
}

JSONSchemaFaker.option({
  alwaysFakeOptionals: false,
  optionalsProbability: 0.5,
  fillProperties: false, // an extra property would make a body with additionalProperties:false invalid
  useExamplesValue: false,
  useDefaultValue: false,
  failOnInvalidFormat: false,
  maxItems: 3,
  maxLength: 40,
  refDepthMax: 3,
});

export function fake(schema: JsonObject, rng: Rng): Json {
  return withSeededRandom(rng, () => JSONSchemaFaker.generate(nearBounds(schema) as never) as Json);
}

/**
 * Unbounded numbers get a soft upper bound for generation only: a page of 61968582 is valid but always
 * empty, while pages 1-100 exercise real data. (Values beyond any bound are the negative cases' job.)
 */
function nearBounds(node: Json): Json {
  if (Array.isArray(node)) return node.map(nearBounds);
  if (!node || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, nearBounds(v)])) as JsonObject;
  const types = ([] as Json[]).concat(out.type ?? []);
  if (
    (types.includes('integer') || types.includes('number')) &&
    out.maximum === undefined &&
    out.exclusiveMaximum === undefined
  ) {
    const low =
      typeof out.minimum === 'number'
        ? out.minimum
        : typeof out.exclusiveMinimum === 'number'
          ? out.exclusiveMinimum
          : 0;
    out.maximum = low + 100;
  }
  return out;
}

/** How a parameter value is written in a URL or header; `undefined` means leave the parameter out. */
export function wireValue(value: Json): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.flatMap((v) => wireValue(v) ?? []);
  if (typeof value === 'object') return [JSON.stringify(value)];
  return [String(value)];
}

/** One location's values as the server sees them: strings, or arrays of strings when repeated. */
export function serverView(values: Record<string, Json>, lowerCase = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const wire = wireValue(value);
    if (!wire) continue;
    out[lowerCase ? name.toLowerCase() : name] = wire.length === 1 ? wire[0] : wire;
  }
  return out;
}

/** Why the inputs are invalid, per the contract (empty when valid). */
export function inputErrors(op: OpSpec, inputs: Inputs): string[] {
  const errors: string[] = [];
  for (const location of ['path', 'query', 'header'] as const) {
    for (const e of op.validateParams(location, serverView(inputs[location], location === 'header')))
      errors.push(`${location}${e.instancePath} ${e.message}`);
  }
  if (op.body) {
    if (inputs.body === undefined) {
      if (op.body.required) errors.push('body is required');
    } else if (!op.body.validate(inputs.body)) {
      for (const e of op.body.validate.errors ?? []) errors.push(`body${e.instancePath} ${e.message}`);
    }
  }
  return errors;
}

/** Drops optional members that fail validation (faker's uris and long arrays often do), innermost first. */
function repairBody(op: OpSpec, body: Json): Json {
  const current = structuredClone(body);
  for (let round = 0; round < 8; round++) {
    if (!op.body || op.body.validate(current)) return current;
    const errors = op.body.validate.errors ?? [];
    let changed = false;
    for (const error of errors) {
      const pointer = error.instancePath.split('/').slice(1);
      if (error.keyword === 'additionalProperties')
        pointer.push(String((error.params as { additionalProperty: string }).additionalProperty));
      changed = removeOptional(op.body.schema, current, pointer) || changed;
    }
    if (!changed) return current;
  }
  return current;
}

/** Removes the deepest optional property on `pointer` (an array element: the element). */
function removeOptional(schema: JsonObject, root: Json, pointer: string[]): boolean {
  for (let depth = pointer.length; depth >= 1; depth--) {
    const parentPath = pointer.slice(0, depth - 1);
    const key = pointer[depth - 1]!;
    const parent = parentPath.reduce<Json | undefined>((node, k) => (node as never)?.[k], root);
    const parentSchema = schemaAt(schema, parentPath);
    if (Array.isArray(parent)) {
      parent.splice(Number(key), 1);
      return true;
    }
    if (parent && typeof parent === 'object' && key in parent) {
      const required = (parentSchema?.required as string[] | undefined) ?? [];
      if (!required.includes(key)) {
        delete (parent as JsonObject)[key];
        return true;
      }
    }
  }
  return false;
}

/** The subschema at a JSON pointer of the instance (through properties and items only). */
export function schemaAt(schema: JsonObject | undefined, pointer: string[]): JsonObject | undefined {
  let node = schema;
  for (const key of pointer) {
    if (!node) return undefined;
    if (/^\d+$/.test(key) && node.items && typeof node.items === 'object') node = node.items as JsonObject;
    else node = (node.properties as Record<string, JsonObject> | undefined)?.[key];
  }
  return node;
}

function fakeParam(p: ParamSpec, rng: Rng): Json {
  if (p.schema.format === 'uuid') return uuidFrom(rng);
  return fake(p.schema, rng);
}

/** One candidate: example number `exampleIndex` where the contract has one, generated values elsewhere. */
function candidate(op: OpSpec, rng: Rng, exampleIndex: number | undefined): Inputs {
  const inputs: Inputs = { path: {}, query: {}, header: {} };
  for (const p of op.params) {
    if (p.in === 'cookie') continue;
    const example = exampleIndex !== undefined ? (p.examples[exampleIndex] ?? p.examples[0]) : undefined;
    // Optional parameters are sent about half the time, so both "left out" and "given" are exercised.
    if (!p.required && example === undefined && rng() < 0.5) continue;
    const value = example !== undefined ? example : fakeParam(p, rng);
    if (value !== null) inputs[p.in][p.name] = value;
  }
  if (op.body) {
    const example = exampleIndex !== undefined ? op.body.examples[exampleIndex] : undefined;
    if (example !== undefined) inputs.body = structuredClone(example);
    else if (op.body.required || rng() < 0.8) inputs.body = repairBody(op, fake(op.body.schema, rng));
  }
  return inputs;
}

/** Only what is required: required parameters, and a body of its required members (from the example). */
function minimal(op: OpSpec, rng: Rng): Inputs {
  const inputs: Inputs = { path: {}, query: {}, header: {} };
  for (const p of op.params) {
    if (p.in === 'cookie' || !p.required) continue;
    inputs[p.in][p.name] = p.examples[0] ?? fakeParam(p, rng);
  }
  if (op.body) {
    const required = (op.body.schema.required as string[] | undefined) ?? [];
    const example = op.body.examples[0];
    if (example && typeof example === 'object' && !Array.isArray(example)) {
      inputs.body = Object.fromEntries(Object.entries(example).filter(([k]) => required.includes(k)));
    } else if (op.body.required) {
      inputs.body = withSeededRandom(rng, () => {
        JSONSchemaFaker.option({ requiredOnly: true });
        try {
          return JSONSchemaFaker.generate(op.body!.schema as never) as Json;
        } finally {
          JSONSchemaFaker.option({ requiredOnly: false });
        }
      });
    }
  }
  return inputs;
}

export interface Positive {
  name: string;
  inputs: Inputs;
}

/**
 * Up to `budget` valid inputs: each of the contract's examples, then generated ones. A candidate the
 * contract's validators refuse is retried with new values, never sent as "valid".
 */
export function positiveInputs(op: OpSpec, rng: Rng, budget: number): Positive[] {
  const out: Positive[] = [];
  const add = (name: string, inputs: Inputs) => {
    if (out.length < budget && inputErrors(op, inputs).length === 0) out.push({ name, inputs });
  };
  // The first example, then the smallest valid request (optional ids pointing at nothing are a common
  // reason for an example to be refused), then the other examples.
  const exampleCount = Math.max(op.body?.examples.length ?? 0, ...op.params.map((p) => p.examples.length), 0);
  if (exampleCount) add('example#1', candidate(op, rng, 0));
  add('minimal', minimal(op, rng));
  for (let i = 1; i < exampleCount; i++) add(`example#${i + 1}`, candidate(op, rng, i));
  let attempts = 0;
  while (out.length < Math.max(1, budget) && attempts < budget * 10 + 10) {
    attempts++;
    const inputs = candidate(op, rng, undefined);
    if (inputErrors(op, inputs).length === 0) out.push({ name: `generated#${out.length + 1}`, inputs });
  }
  return out;
}
