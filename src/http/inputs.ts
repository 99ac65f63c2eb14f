// Reading query, header and body inputs strictly, before the generated validators see them. The validators
// coerce strings with Number(), which takes "0x10", "1e400", "Infinity", " 5" and "+5" for integers; and
// PostgreSQL cannot store U+0000 in text nor an unpaired UTF-16 surrogate in jsonb, while Node would silently
// turn malformed UTF-8 into U+FFFD. The rule at the edge: what the client sent is taken exactly or refused
// with a 4xx naming the input, never rewritten and never a 500 from the database.
import type { ParameterMeta } from '../../generated/server/index.js';
import type { FieldError } from '../platform/errors.js';

type Style = 'problem' | 'fastapi';

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const NUL = '\u0000';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const error = (
  location: FieldError['in'],
  field: string,
  style: Style,
  problem: string,
  fastapi: string,
  type: string,
): FieldError => ({ in: location, field, message: style === 'fastapi' ? fastapi : problem, type });

/** What in `text` PostgreSQL could not store as sent, or undefined. */
function unstorable(text: string): { problem: string; fastapi: string } | undefined {
  if (text.includes(NUL))
    return {
      problem: 'must not contain the NUL character (U+0000)',
      fastapi: 'String should not contain the NUL character (U+0000)',
    };
  if (LONE_SURROGATE.test(text))
    return {
      problem: 'must not contain an unpaired UTF-16 surrogate',
      fastapi: 'String should not contain an unpaired UTF-16 surrogate',
    };
  return undefined;
}

/** Every string (object keys included) in a parsed JSON body that could not be stored as sent. */
export function unstorableStrings(value: unknown, style: Style, path: string[] = []): FieldError[] {
  const found: FieldError[] = [];
  const visit = (node: unknown, at: string[]) => {
    if (typeof node === 'string') {
      const bad = unstorable(node);
      if (bad) found.push(error('body', at.join('.'), style, bad.problem, bad.fastapi, 'value_error'));
    } else if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) visit(item, [...at, String(i)]);
    } else if (node && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        const bad = unstorable(key);
        if (bad)
          found.push(
            error(
              'body',
              [...at, JSON.stringify(key).slice(1, -1)].join('.'),
              style,
              `has a field name that ${bad.problem}`,
              bad.fastapi,
              'value_error',
            ),
          );
        visit(item, [...at, key]);
      }
    }
  };
  visit(value, path);
  return found;
}

/** An operation's query parameters by name: built once per operation, read on each of its requests. */
export type QueryParameters = ReadonlyMap<string, ParameterMeta>;

export const queryParameters = (parameters: readonly ParameterMeta[]): QueryParameters =>
  new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));

/** A name or value of the query string, `+` meaning a space; throws URIError on malformed percent-encoding. */
const decoded = (raw: string) =>
  raw.includes('%') || raw.includes('+') ? decodeURIComponent(raw.replace(/\+/g, ' ')) : raw;

/**
 * The query string, decoded strictly: malformed percent-encoding and repeated parameters are errors; an
 * empty value of a nullable parameter means it is left out; numbers must be written in plain decimal.
 */
export function parseQuery(
  querystring: string,
  byName: QueryParameters,
  style: Style,
): { query: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const values = new Map<string, string[]>();
  for (const pair of querystring ? querystring.split('&') : []) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const [rawName, rawValue] = at === -1 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    let name: string;
    let value: string;
    try {
      name = decoded(rawName);
      value = decoded(rawValue);
    } catch {
      errors.push(
        error(
          'query',
          rawName,
          style,
          'is not valid percent-encoded UTF-8',
          'Input should be valid percent-encoded UTF-8',
          'value_error',
        ),
      );
      continue;
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const query: Record<string, unknown> = {};
  for (const [name, given] of values) {
    const param = byName.get(name);
    if (!param) {
      query[name] = given.length === 1 ? given[0] : given;
      continue;
    } // the validator names it unknown
    if (param.type !== 'array' && given.length > 1) {
      errors.push(
        error(
          'query',
          name,
          style,
          `must be given once, not ${given.length} times`,
          'Input should be given once',
          'value_error',
        ),
      );
      continue;
    }
    const value = given[0]!;
    if (param.nullable && value === '') continue;
    const bad = checkScalar('query', name, param, value, style);
    if (bad) errors.push(bad);
    else query[name] = param.type === 'array' ? given : value;
  }
  return { query, errors };
}

/** Header parameters: numbers in plain decimal; the rest is left to the validator. */
export function checkHeaders(
  headers: Record<string, unknown>,
  parameters: readonly ParameterMeta[],
  style: Style,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const param of parameters) {
    const value = headers[param.name];
    if (param.in !== 'header' || typeof value !== 'string') continue;
    const bad = checkScalar('header', param.name, param, value.trim(), style);
    if (bad) errors.push(bad);
  }
  return errors;
}

function checkScalar(
  location: 'query' | 'header',
  name: string,
  param: ParameterMeta,
  value: string,
  style: Style,
): FieldError | undefined {
  const bad = unstorable(value);
  if (bad) return error(location, name, style, bad.problem, bad.fastapi, 'value_error');
  if (param.type === 'integer') {
    if (!INTEGER.test(value))
      return error(
        location,
        name,
        style,
        'must be an integer written in decimal digits',
        'Input should be a valid integer, unable to parse string as an integer',
        'int_parsing',
      );
    if (!Number.isSafeInteger(Number(value)))
      return error(
        location,
        name,
        style,
        `must be at most ${Number.MAX_SAFE_INTEGER}`,
        `Input should be less than or equal to ${Number.MAX_SAFE_INTEGER}`,
        'less_than_equal',
      );
  }
  if (param.type === 'number' && (!NUMBER.test(value) || !Number.isFinite(Number(value)))) {
    return error(
      location,
      name,
      style,
      'must be a number written in decimal notation',
      'Input should be a valid number, unable to parse string as a number',
      'float_parsing',
    );
  }
  return undefined;
}
