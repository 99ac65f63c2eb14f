// Named mutations of a valid request. Whether each one is truly invalid is not guessed: the mutated input
// is run through the contract's own validators (as the server would see it after decoding), and only a
// refused one is expected to be refused. The rest are robustness cases: valid, but hostile (NUL, control
// characters, lone surrogates), which may be accepted but never crash the server or be stored altered.
// A few rules are the suite's own, stated where they are made: a number written in a notation other than
// plain decimal is not a number; an integer a JavaScript server cannot hold exactly must be refused; an
// empty value of an optional enum filter means "no filter" when the parameter is nullable or says so.
import { unescape as unescapeQuery } from 'node:querystring';
import type { Json, JsonObject, OpSpec, ParamSpec } from './contract.js';
import { inputErrors, serverView, wireValue, type Inputs } from './generate.js';

export type Expect =
  /** Must be refused with a 4xx (never 2xx, never reach the handler's 501). */
  | { kind: 'invalid'; why: string }
  /** Valid or not, anything but a crash, an undocumented answer, or altered data. */
  | { kind: 'robust' }
  /** An integer outside ±2^53: the server cannot hold it exactly, so it must refuse it. */
  | { kind: 'precision' }
  /** An empty value of an optional enum parameter: answered like leaving the parameter out. */
  | { kind: 'absent'; param: string; strict: boolean };

/** Pre-encoded pieces that replace what the inputs would produce. */
export interface RawParts {
  /** Path parameter values, percent-encoded. */
  path?: Record<string, string>;
  /** The whole query string as name/value pairs, percent-encoded. */
  query?: Array<[string, string]>;
  /** The body text; `null`: send no body at all. */
  body?: string | null;
  /** The Content-Type to send; `null`: none. */
  contentType?: string | null;
  curlData?: string;
}

export interface Case {
  name: string;
  inputs: Inputs;
  raw: RawParts;
  expect: Expect;
}

const NUL = 'fuzz\u0000nul';
const CONTROL = 'fuzz\u0001\u0007\u001b\u007fctl';
const SURROGATE = 'fuzz\ud800x';
const UNKNOWN = 'fuzzUnknownField';
const OVERSIZE_BYTES = 1024 * 1024 + 1024;
const LONG = 8000;
/** Levels of arrays and objects a JSON body may nest (docs/guides/errors.md), and far more than that. */
const MAX_DEPTH = 64;
const VERY_DEEP = 20_000;

const clone = <T>(value: T): T => structuredClone(value);
const typesOf = (schema: JsonObject): string[] => {
  if (Array.isArray(schema.type)) return schema.type as string[];
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.enum)) return [...new Set((schema.enum as Json[]).map(jsonType))];
  return [];
};
const jsonType = (v: Json): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

/** A value of a type the schema does not allow. */
function wrongTypeValue(schema: JsonObject): Json | undefined {
  const types = typesOf(schema);
  if (!types.length) return undefined;
  const allows = (v: Json) => types.includes(jsonType(v)) || (jsonType(v) === 'integer' && types.includes('number'));
  return ([12345, 'fuzz', true, [], {}] as Json[]).find((v) => !allows(v));
}

/** Strings that break a format, per format. */
const MALFORMED: Record<string, string[]> = {
  uuid: ['not-a-uuid', '00000000-0000-0000-0000-00000000000g'],
  email: ['not-an-email'],
  'date-time': ['2024-13-45T25:61:00Z', 'yesterday'],
  date: ['2024-02-30'],
  uri: ['not a uri'],
  'uri-reference': ['http://[bad'],
};

/**
 * Values at the edges of a format, valid or not (the validators decide): each must either work or be refused
 * with a 4xx, never crash. Date-times: what JavaScript's Date or PostgreSQL cannot read as written.
 */
const EDGES: Record<string, Array<[string, string]>> = {
  'date-time': [
    ['leap_second', '2026-12-31T23:59:60Z'],
    ['leap_second_fraction', '2026-12-31T23:59:60.5Z'],
    ['leap_second_offset', '2027-01-01T00:59:60+01:00'],
    ['leap_second_hour_24', '2026-12-31T24:59:60+01:00'],
    ['year_0000', '0000-01-01T00:00:00Z'],
    ['year_9999_to_10000_utc', '9999-12-31T23:59:59-12:00'],
    ['year_10000', '+10000-01-01T00:00:00Z'],
    ['offset_+14', '2026-01-01T00:00:00+14:00'],
    ['offset_-12', '2026-01-01T00:00:00-12:00'],
    ['offset_+23:59', '2026-01-01T00:00:00+23:59'],
    ['offset_no_colon', '2026-01-01T00:00:00+0100'],
    ['nanoseconds', '2026-01-01T00:00:00.1234567Z'],
    ['lower_case', '2026-01-01t00:00:00z'],
    ['space_separator', '2026-01-01 00:00:00Z'],
  ],
};

/** A string that fails `pattern` (while keeping a length the schema allows, when possible). */
function patternBreaker(schema: JsonObject): string | undefined {
  const pattern = new RegExp(schema.pattern as string, 'u');
  const min = (schema.minLength as number | undefined) ?? 0;
  for (const base of ['   ', 'http://example.com', 'ftp://x', '-', '0', 'A', 'a b']) {
    const candidate = base.length >= min ? base : base.padEnd(min, base.slice(-1) || ' ');
    if (!pattern.test(candidate)) return candidate;
  }
  return undefined;
}

/** Value-level mutations for one schema: [name, value, forcedExpectation?]. */
function valueMutations(schema: JsonObject): Array<[string, Json, Expect?]> {
  const out: Array<[string, Json, Expect?]> = [];
  const types = typesOf(schema);
  const wrong = wrongTypeValue(schema);
  if (wrong !== undefined) out.push(['wrong_type', wrong]);
  if (Array.isArray(schema.enum)) {
    const first = (schema.enum as Json[]).find((v) => typeof v === 'string') as string | undefined;
    out.push(['enum_outside', typeof first === 'string' || types.includes('string') ? 'fuzz-not-in-enum' : 987654]);
    if (first && first.toUpperCase() !== first) out.push(['enum_wrong_case', first.toUpperCase()]);
  }
  if (schema.const !== undefined)
    out.push(['const_other', typeof schema.const === 'string' ? 'fuzz-not-const' : 987654]);
  if (types.includes('string')) {
    const min = schema.minLength as number | undefined;
    const max = schema.maxLength as number | undefined;
    if (min && min > 0) out.push([`minLength-1`, 'a'.repeat(min - 1)]);
    if (max !== undefined) out.push([`maxLength+1`, 'a'.repeat(max + 1)]);
    if (typeof schema.pattern === 'string') {
      const breaker = patternBreaker(schema);
      if (breaker !== undefined) out.push(['pattern_mismatch', breaker]);
    }
    for (const [i, bad] of (MALFORMED[schema.format as string] ?? []).entries())
      out.push([`malformed_${schema.format}${i ? `#${i + 1}` : ''}`, bad]);
    for (const [name, value] of EDGES[schema.format as string] ?? []) out.push([`${schema.format}_${name}`, value]);
    out.push(['nul', NUL], ['control_chars', CONTROL], ['lone_surrogate', SURROGATE]);
  }
  if (types.includes('integer') || types.includes('number')) {
    const integer = types.includes('integer') && !types.includes('number');
    const step = integer ? 1 : 0.5;
    if (typeof schema.minimum === 'number') out.push(['minimum-1', schema.minimum - step]);
    if (typeof schema.maximum === 'number') out.push(['maximum+1', schema.maximum + step]);
    if (typeof schema.exclusiveMinimum === 'number') out.push(['exclusiveMinimum', schema.exclusiveMinimum]);
    if (typeof schema.exclusiveMaximum === 'number') out.push(['exclusiveMaximum', schema.exclusiveMaximum]);
    if (typeof schema.multipleOf === 'number')
      out.push(['not_multipleOf', ((schema.minimum as number | undefined) ?? 0) + schema.multipleOf * 1.5]);
    if (integer) out.push(['not_integer', 1.5]);
  }
  if (types.includes('array')) {
    const items = (schema.items ?? {}) as JsonObject;
    // Distinct items, so maxItems+1 breaks only maxItems (not uniqueItems as well).
    const sample = (i: number): Json => (typesOf(items).includes('integer') ? i : `item${i}`);
    if (typeof schema.maxItems === 'number')
      out.push(['maxItems+1', Array.from({ length: schema.maxItems + 1 }, (_, i) => sample(i))]);
    if (typeof schema.minItems === 'number' && schema.minItems > 0)
      out.push(['minItems-1', Array.from({ length: schema.minItems - 1 }, (_, i) => sample(i))]);
    if (schema.uniqueItems === true) out.push(['duplicate_items', [sample(1), sample(1)]]);
  }
  return out;
}

/** Where a body can be mutated: every property reachable through properties/items, a few levels deep. */
interface Slot {
  pointer: string[];
  schema: JsonObject;
  required: boolean;
}

function slotsOf(schema: JsonObject, pointer: string[] = [], depth = 0): Slot[] {
  if (depth > 3) return [];
  const out: Slot[] = [];
  const required = (schema.required as string[] | undefined) ?? [];
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonObject>)) {
    const here = [...pointer, key];
    out.push({ pointer: here, schema: sub, required: required.includes(key) });
    out.push(...slotsOf(sub, here, depth + 1));
  }
  if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
    const here = [...pointer, '0'];
    out.push({ pointer: here, schema: schema.items as JsonObject, required: false });
    out.push(...slotsOf(schema.items as JsonObject, here, depth + 1));
  }
  return out;
}

const getAt = (root: Json | undefined, pointer: string[]): Json | undefined =>
  pointer.reduce<Json | undefined>(
    (node, key) => (node && typeof node === 'object' ? (node as JsonObject)[key] : undefined),
    root,
  );

/**
 * A copy of `root` with the value at `pointer` replaced (or removed). Missing parents are created empty,
 * so a member the valid request left out can still be mutated; the validators then judge the whole body.
 */
function setAt(root: Json, pointer: string[], value: Json | undefined): Json | undefined {
  const copy = clone(root);
  let parent: Json | undefined = copy;
  for (const [i, key] of pointer.slice(0, -1).entries()) {
    if (!parent || typeof parent !== 'object') return undefined;
    const container = parent as Record<string, Json>;
    if (container[key] === undefined) {
      if (value === undefined) return undefined; // nothing to remove
      container[key] = /^\d+$/.test(pointer[i + 1]!) ? [] : {};
    }
    parent = container[key];
  }
  if (!parent || typeof parent !== 'object') return undefined;
  const key = pointer[pointer.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete (parent as JsonObject)[key];
  } else if (Array.isArray(parent)) {
    parent[Math.min(Number(key), parent.length)] = value;
  } else {
    (parent as JsonObject)[key] = value;
  }
  return copy;
}

let emailCounter = 0;

/** A copy with every `format: email` string replaced by an address not used before. */
function freshen(schema: JsonObject, value: Json): Json {
  if (typeof value === 'string') return schema.format === 'email' ? `fuzz-${++emailCounter}@example.com` : value;
  if (Array.isArray(value)) return value.map((v) => freshen((schema.items ?? {}) as JsonObject, v));
  if (value && typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, freshen(properties[k] ?? {}, v)]));
  }
  return value;
}

/** Is `body` valid for the operation, all else equal? */
const bodyValid = (op: OpSpec, base: Inputs, body: Json) => inputErrors(op, { ...base, body }).length === 0;
const byValidity = (valid: boolean, why: string): Expect => (valid ? { kind: 'robust' } : { kind: 'invalid', why });

function bodyCases(op: OpSpec, base: Inputs): Case[] {
  if (!op.body) return [];
  const cases: Case[] = [];
  const text = JSON.stringify(base.body ?? {});
  const add = (name: string, raw: RawParts, expect: Expect, inputs: Inputs = base) =>
    cases.push({ name: `body.${name}`, inputs, raw, expect });

  add(
    'missing',
    { body: null, contentType: null },
    op.body.required ? { kind: 'invalid', why: 'the body is required' } : { kind: 'robust' },
    { ...base, body: undefined },
  );
  add('malformed_json', { body: text.slice(0, -1) || '{' }, { kind: 'invalid', why: 'not JSON' });
  add('trailing_garbage', { body: `${text} x` }, { kind: 'invalid', why: 'not JSON' });
  add(
    'wrong_content_type',
    { body: text, contentType: 'text/plain' },
    { kind: 'invalid', why: `only ${op.body.mediaType} is documented` },
  );
  const pad = OVERSIZE_BYTES;
  add(
    'oversized',
    {
      body: JSON.stringify({ fuzzPad: 'x'.repeat(pad) }),
      curlData: `@<(node -e 'process.stdout.write(JSON.stringify({fuzzPad:"x".repeat(${pad})}))')`,
    },
    { kind: 'invalid', why: 'larger than 1 MiB' },
  );
  for (const [name, value] of [
    ['array', []],
    ['string', 'fuzz'],
    ['null', null],
    ['number', 0],
    ['empty_object', {}],
  ] as Array<[string, Json]>) {
    add(
      name === 'empty_object' ? name : `not_object.${name}`,
      { body: JSON.stringify(value) },
      byValidity(bodyValid(op, base, value), `a JSON ${name} body`),
      { ...base, body: value },
    );
  }
  // Each case gets new email addresses, so a valid one is not refused just because the address is taken.
  const fresh = () => freshen(op.body!.schema, base.body ?? {});
  const root = fresh();
  // Unknown and hostile members of the body object itself (and of any object that is free-form).
  const objectSlots: Slot[] = [
    { pointer: [], schema: op.body.schema, required: true },
    ...slotsOf(op.body.schema).filter((s) => typesOf(s.schema).includes('object')),
  ];
  for (const slot of objectSlots) {
    if (slot.pointer.includes('0')) continue; // objects inside arrays: their members are mutated as slots
    const where = slot.pointer.length ? slot.pointer.join('.') : '(root)';
    const withMember = (key: string, value: Json) => setAt(fresh(), [...slot.pointer, key], value)!;
    const variants: Array<[string, string, Json]> = [['unknown_field', UNKNOWN, 1]];
    if (slot.schema.additionalProperties !== false) {
      variants.push(
        ['member_nul', 'fuzz', NUL],
        ['member_control_chars', 'fuzz', CONTROL],
        ['member_lone_surrogate', 'fuzz', SURROGATE],
        ['key_nul', 'fu\u0000zz', 1],
      );
    }
    for (const [name, key, value] of variants) {
      const body = withMember(key, value);
      add(
        `${where}.${name}`,
        { body: JSON.stringify(body) },
        byValidity(bodyValid(op, base, body), `${where} gets an unknown member`),
        { ...base, body },
      );
    }
  }
  cases.push(...nestingCases(op, base, objectSlots, fresh));
  for (const slot of slotsOf(op.body.schema)) {
    const field = slot.pointer.join('.');
    if (slot.required && getAt(root, slot.pointer) !== undefined) {
      const body = setAt(fresh(), slot.pointer, undefined);
      if (body !== undefined)
        add(
          `${field}.missing`,
          { body: JSON.stringify(body) },
          byValidity(bodyValid(op, base, body), `${field} is required`),
          { ...base, body },
        );
    }
    for (const [name, value] of valueMutations(slot.schema)) {
      const body = setAt(fresh(), slot.pointer, value);
      if (body === undefined) continue;
      add(
        `${field}.${name}`,
        { body: JSON.stringify(body) },
        byValidity(bodyValid(op, base, body), `${field}: ${name}`),
        { ...base, body },
      );
    }
    // 1e400 is valid JSON text but no finite number: whatever a parser makes of it, it is not the value sent.
    const types = typesOf(slot.schema);
    if (types.includes('integer') || types.includes('number')) {
      const body = setAt(fresh(), slot.pointer, '__RAW_NUMBER__');
      if (body !== undefined)
        add(
          `${field}.huge_number`,
          { body: JSON.stringify(body).replace('"__RAW_NUMBER__"', '1e400') },
          { kind: 'invalid', why: '1e400 is not a finite number' },
        );
    }
  }
  return cases;
}

/**
 * Arrays nested inside the body, in its first free-form object (else as an unknown member of the body), so
 * that the body is `depth` levels deep: at the limit the validators decide; past it the body must be refused
 * before anything recurses over it (20,000 levels overflow a recursive walk's stack).
 */
function nestingCases(op: OpSpec, base: Inputs, objectSlots: Slot[], fresh: () => Json): Case[] {
  const slot =
    objectSlots.find((s) => s.pointer.length && !s.pointer.includes('0') && s.schema.additionalProperties !== false) ??
    objectSlots[0]!;
  const pointer = [...slot.pointer, 'fuzzNested'];
  const body = setAt(fresh(), pointer, '__NESTED__');
  if (body === undefined) return [];
  const [prefix, suffix] = JSON.stringify(body).split('"__NESTED__"') as [string, string];
  // The slot's object is level pointer.length (the body is level 1); the arrays make up the rest.
  const arrays = (depth: number) => depth - pointer.length;
  const text = (depth: number) => `${prefix}${'['.repeat(arrays(depth))}${']'.repeat(arrays(depth))}${suffix}`;
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  let atLimit: Json = [];
  for (let i = 1; i < arrays(MAX_DEPTH); i++) atLimit = [atLimit];
  const inLimit = setAt(fresh(), pointer, atLimit)!;
  const tooDeep: Expect = { kind: 'invalid', why: `nested more than ${MAX_DEPTH} levels deep` };
  return [
    {
      name: `body.nested_${MAX_DEPTH}_levels`,
      inputs: { ...base, body: inLimit },
      raw: { body: text(MAX_DEPTH) },
      expect: byValidity(bodyValid(op, base, inLimit), 'an unknown member at the limit of nesting'),
    },
    { name: `body.nested_${MAX_DEPTH + 1}_levels`, inputs: base, raw: { body: text(MAX_DEPTH + 1) }, expect: tooDeep },
    {
      name: `body.nested_${VERY_DEEP}_levels`,
      inputs: base,
      raw: {
        body: text(VERY_DEEP),
        curlData: `@<(node -e 'process.stdout.write(process.argv[1] + "[".repeat(${arrays(VERY_DEEP)}) + "]".repeat(${arrays(VERY_DEEP)}) + process.argv[2])' ${quote(prefix)} ${quote(suffix)})`,
      },
      expect: tooDeep,
    },
  ];
}

/** A small in-range integer to write in other notations (16 when allowed, so 0x10 reads as sixteen). */
function notationTarget(schema: JsonObject): number {
  const min =
    typeof schema.minimum === 'number'
      ? schema.minimum
      : typeof schema.exclusiveMinimum === 'number'
        ? schema.exclusiveMinimum + 1
        : 0;
  const max =
    typeof schema.maximum === 'number'
      ? schema.maximum
      : typeof schema.exclusiveMaximum === 'number'
        ? schema.exclusiveMaximum - 1
        : Infinity;
  for (const t of [16, 3, min]) if (t >= min && t <= max && Number.isInteger(t)) return t;
  return min;
}

/** Plain decimal, as JSON writes it: anything else in an integer or number parameter is not a number. */
function notations(schema: JsonObject, allowWhitespace: boolean): Array<[string, string]> {
  const t = notationTarget(schema);
  const out: Array<[string, string]> = [
    ['hex', `0x${t.toString(16)}`],
    ['binary', `0b${t.toString(2)}`],
    ['octal', `0o${t.toString(8)}`],
    ['plus_sign', `+${t}`],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['NaN', 'NaN'],
    ['1e400', '1e400'],
    ['underscore', `1_${t}`],
  ];
  // fetch trims header values, so padded values can only be sent in URLs.
  if (allowWhitespace) out.push(['leading_space', ` ${t}`], ['trailing_space', `${t} `]);
  return out;
}

// 2^53+1; ~2^63/20 (page * limit overflows bigint); 2^63; 5e19 (offset 1e21, printed "1e+21"); ~1e20.
const HUGE = [
  '9007199254740993',
  '461168601842738791',
  '9223372036854775808',
  '50000000000000000000',
  '99999999999999999999',
  '-99999999999999999999',
];

/**
 * One mutation of a parameter: its value in plain text (`wire`, to be encoded) or already percent-encoded
 * (`encoded`); neither means "left out". `expect` overrides what the validators would decide.
 */
interface ParamMutation {
  name: string;
  wire?: string;
  encoded?: string;
  expect?: Expect;
  /** Send the parameter twice. */
  repeat?: boolean;
}

function paramMutations(p: ParamSpec, location: 'path' | 'query' | 'header'): ParamMutation[] {
  const s = p.schema;
  const types = typesOf(s);
  const out: ParamMutation[] = [];
  if (p.required && location !== 'path') out.push({ name: 'missing' });
  for (const [name, value] of valueMutations(s)) {
    // Hostile strings are sent percent-encoded below; a number is no "wrong type" for a string in a URL.
    if (['nul', 'control_chars', 'lone_surrogate'].includes(name) || value === null || typeof value === 'object')
      continue;
    if (name === 'wrong_type' && types.includes('string')) continue;
    out.push({ name, wire: String(value) });
  }
  if (types.includes('boolean')) out.push({ name: 'not_boolean', wire: 'maybe' });
  if (location !== 'header') {
    // Hostile bytes, percent-encoded exactly: NUL, control characters, an encoded lone surrogate (not
    // valid UTF-8), a stray 0xFF byte.
    out.push(
      { name: 'nul', encoded: 'a%00b' },
      { name: 'control_chars', encoded: 'a%01%07%1B%7Fb' },
      { name: 'lone_surrogate', encoded: 'a%ED%A0%80b' },
      { name: 'invalid_utf8', encoded: 'a%FFb' },
      { name: 'very_long', wire: 'a'.repeat(location === 'path' ? 2000 : LONG) },
    );
  }
  if (types.includes('integer') || types.includes('number')) {
    for (const [name, wire] of notations(s, location !== 'header'))
      out.push({
        name: `notation_${name}`,
        wire,
        expect: { kind: 'invalid', why: `"${wire}" is not a number in plain decimal notation` },
      });
    // An empty value is null for a nullable parameter: the validators decide, like for any other input.
    out.push({ name: 'empty_value', wire: '' });
    // JSON Schema counts 16.0 and 16e0 as the integer 16: accepting them is fine, crashing is not.
    out.push(
      { name: 'notation_decimal_point', wire: `${notationTarget(s)}.0`, expect: { kind: 'robust' } },
      { name: 'notation_exponent', wire: `${notationTarget(s)}e0`, expect: { kind: 'robust' } },
    );
    for (const wire of HUGE) out.push({ name: `huge_${wire}`, wire, expect: { kind: 'precision' } });
  }
  if (location === 'query') {
    const example =
      p.examples[0] ??
      (Array.isArray(s.enum) ? (s.enum as Json[]).find((v) => v !== null) : undefined) ??
      (types.includes('integer') ? notationTarget(s) : 'a');
    if (!types.includes('array')) out.push({ name: 'repeated', wire: String(example), repeat: true });
    if (!p.required && Array.isArray(s.enum)) {
      // "" is how a query string spells null, and a filter left empty in a form: treat it as no filter
      // when the parameter is nullable or says so; otherwise refusing it is fine too.
      const strict = (s.enum as Json[]).includes(null) || /empty/i.test(p.description);
      out.push({ name: 'empty_enum_value', wire: '', expect: { kind: 'absent', param: p.name, strict } });
    }
  }
  return out;
}

const enc = encodeURIComponent;

function queryPairs(inputs: Inputs): Array<[string, string]> {
  return Object.entries(inputs.query).flatMap(([name, value]) =>
    (wireValue(value) ?? []).map((v) => [enc(name), enc(v)] as [string, string]),
  );
}

/** What the server's query parser makes of pre-encoded pairs. */
function decodeQuery(pairs: Array<[string, string]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [n, v] of pairs) {
    const name = unescapeQuery(n.replace(/\+/g, ' '));
    const value = unescapeQuery(v.replace(/\+/g, ' '));
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function paramCases(op: OpSpec, base: Inputs): Case[] {
  const cases: Case[] = [];
  // Query mutations go out alone (next to the required parameters only), so the answer is about them.
  const required = new Set(op.params.filter((p) => p.in === 'query' && p.required).map((p) => p.name));
  const basePairs = queryPairs({
    ...base,
    query: Object.fromEntries(Object.entries(base.query).filter(([n]) => required.has(n))),
  });
  const valid = (location: 'path' | 'query' | 'header', values: Record<string, unknown>) =>
    op.validateParams(location, values).length === 0;
  for (const p of op.params) {
    if (p.in === 'cookie') continue;
    const location = p.in;
    for (const m of paramMutations(p, location)) {
      const name = `${location}.${p.name}.${m.name}`;
      if (location === 'query') {
        const others = basePairs.filter(([n]) => n !== enc(p.name));
        const value = m.encoded ?? (m.wire !== undefined ? enc(m.wire) : undefined);
        const pairs: Array<[string, string]> = value === undefined ? others : [...others, [enc(p.name), value]];
        if (m.repeat && value !== undefined) pairs.push([enc(p.name), value]);
        const ok = valid('query', decodeQuery(pairs));
        cases.push({
          name,
          inputs: base,
          raw: { query: pairs },
          expect:
            m.expect && (ok || m.expect.kind === 'absent') ? m.expect : byValidity(ok, `query ${p.name}: ${m.name}`),
        });
      } else if (location === 'path') {
        const encoded = m.encoded ?? enc(m.wire ?? '');
        let decoded: string | undefined;
        try {
          decoded = decodeURIComponent(encoded);
        } catch {
          decoded = undefined;
        }
        const ok =
          decoded !== undefined && decoded !== '' && valid('path', { ...serverView(base.path), [p.name]: decoded });
        cases.push({
          name,
          inputs: base,
          raw: { path: { [p.name]: encoded } },
          expect: m.expect && ok ? m.expect : byValidity(ok, `path ${p.name}: ${m.name}`),
        });
      } else {
        const header = { ...base.header };
        if (m.wire === undefined) delete header[p.name];
        else header[p.name] = m.wire;
        const inputs = { ...base, header };
        const ok = valid('header', serverView(header, true));
        cases.push({
          name,
          inputs,
          raw: {},
          expect: m.expect && ok ? m.expect : byValidity(ok, `header ${p.name}: ${m.name}`),
        });
      }
    }
  }
  // Parameters the contract does not declare, and a query string long enough to hurt.
  for (const [name, value] of [
    ['unknown_param', '1'],
    ['very_long_unknown_param', 'a'.repeat(LONG)],
  ] as const) {
    const pairs: Array<[string, string]> = [...basePairs, ['fuzzUnknown', value]];
    cases.push({
      name: `query.${name}`,
      inputs: base,
      raw: { query: pairs },
      expect: byValidity(valid('query', decodeQuery(pairs)), 'an undeclared query parameter'),
    });
  }
  return cases;
}

/** Every negative and robustness case for an operation, built on one valid input. */
export function negativeCases(op: OpSpec, base: Inputs): Case[] {
  return [...paramCases(op, base), ...bodyCases(op, base)];
}

/** The wire request for a case, on top of the base request the inputs make. */
export function applyRaw(
  op: OpSpec,
  request: { method: string; target: string; headers: Record<string, string>; body?: string; curlData?: string },
  raw: RawParts,
) {
  let [path, query = ''] = request.target.split(/\?(.*)/s) as [string, string?];
  if (raw.path) {
    const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const parts = path.split('/');
    const templateParts = op.path.split('/');
    for (const name of names) {
      const index = templateParts.indexOf(`{${name}}`);
      if (raw.path[name] !== undefined && index >= 0) parts[index] = raw.path[name]!;
    }
    path = parts.join('/');
  }
  if (raw.query) query = raw.query.map(([n, v]) => `${n}=${v}`).join('&');
  const headers = { ...request.headers };
  let body = request.body;
  if (raw.body !== undefined) {
    body = raw.body ?? undefined;
    if (raw.body === null) delete headers['Content-Type'];
    else headers['Content-Type'] = op.body?.mediaType ?? 'application/json';
  }
  if (raw.contentType !== undefined) {
    if (raw.contentType === null) delete headers['Content-Type'];
    else headers['Content-Type'] = raw.contentType;
  }
  return { ...request, target: query ? `${path}?${query}` : path, headers, body, curlData: raw.curlData };
}
