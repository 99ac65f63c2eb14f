// Turns Ajv errors into field errors that name the input, with a message for people and, for the Rooms API,
// pydantic's error type and wording (FastAPI's 422 `detail`).
import type { ErrorObject } from 'ajv';
import type { FieldError } from '../platform/errors.js';

type Location = FieldError['in'];

/** `/definition/iframeUrl` -> `definition.iframeUrl`; for parameters the first segment is the name. */
function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') parts.push(String(params.missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(String(params.additionalProperty));
  return parts.join('.');
}

function describe(error: ErrorObject, style: 'problem' | 'fastapi'): { message: string; type: string } {
  // biome-ignore lint/suspicious/noExplicitAny: Ajv's params differ per keyword; the switch below reads each keyword's own
  const p = error.params as Record<string, any>;
  const fast = style === 'fastapi';
  switch (error.keyword) {
    case 'required':
      return { message: fast ? 'Field required' : 'is required', type: 'missing' };
    case 'additionalProperties':
      return { message: fast ? 'Extra inputs are not permitted' : 'is not an accepted field', type: 'extra_forbidden' };
    case 'maxLength':
      return {
        message: fast ? `String should have at most ${p.limit} characters` : `must be at most ${p.limit} characters`,
        type: 'string_too_long',
      };
    case 'minLength':
      return {
        message: fast ? `String should have at least ${p.limit} characters` : `must be at least ${p.limit} characters`,
        type: 'string_too_short',
      };
    case 'maximum':
      return {
        message: fast ? `Input should be less than or equal to ${p.limit}` : `must be at most ${p.limit}`,
        type: 'less_than_equal',
      };
    case 'minimum':
      return {
        message: fast ? `Input should be greater than or equal to ${p.limit}` : `must be at least ${p.limit}`,
        type: 'greater_than_equal',
      };
    case 'exclusiveMinimum':
      return {
        message: fast ? `Input should be greater than ${p.limit}` : `must be more than ${p.limit}`,
        type: 'greater_than',
      };
    case 'exclusiveMaximum':
      return {
        message: fast ? `Input should be less than ${p.limit}` : `must be less than ${p.limit}`,
        type: 'less_than',
      };
    case 'maxItems':
      return {
        message: fast ? `List should have at most ${p.limit} items` : `must have at most ${p.limit} items`,
        type: 'too_long',
      };
    case 'minItems':
      return {
        message: fast ? `List should have at least ${p.limit} items` : `must have at least ${p.limit} items`,
        type: 'too_short',
      };
    case 'uniqueItems':
      return { message: 'must not contain duplicates', type: 'value_error' };
    case 'multipleOf':
      return {
        message: fast ? `Input should be a multiple of ${p.multipleOf}` : `must be a multiple of ${p.multipleOf}`,
        type: 'multiple_of',
      };
    case 'minProperties':
      return { message: 'must contain at least one field', type: 'value_error' };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return {
        message: fast ? `Input should be ${allowed.join(' or ')}` : `must be one of ${allowed.join(', ')}`,
        type: 'enum',
      };
    }
    case 'const':
      return { message: `must be ${JSON.stringify(p.allowedValue)}`, type: 'literal_error' };
    case 'pattern':
      return {
        message: fast ? `String should match pattern '${p.pattern}'` : `must match pattern "${p.pattern}"`,
        type: 'string_pattern_mismatch',
      };
    case 'format': {
      const format = String(p.format);
      const fastTypes: Record<string, string> = {
        uuid: 'uuid_parsing',
        'date-time': 'datetime_parsing',
        uri: 'url_parsing',
        email: 'value_error',
      };
      const names: Record<string, string> = {
        uuid: 'a UUID',
        'date-time': 'an RFC 3339 date-time',
        uri: 'an absolute URL',
        email: 'an email address',
      };
      return {
        message: fast
          ? `Input should be a valid ${format === 'uuid' ? 'UUID' : format}`
          : `must be ${names[format] ?? `a valid ${format}`}`,
        type: fastTypes[format] ?? 'value_error',
      };
    }
    case 'type': {
      const type = String(p.type).split(',')[0];
      const fastTypes: Record<string, string> = {
        integer: 'int_parsing',
        number: 'float_parsing',
        boolean: 'bool_parsing',
        string: 'string_type',
        object: 'model_type',
        array: 'list_type',
      };
      const article = /^[aeiou]/.test(type ?? '') ? 'an' : 'a';
      return {
        message: fast ? `Input should be a valid ${type}` : `must be ${article} ${type}`,
        type: fastTypes[type ?? ''] ?? 'type_error',
      };
    }
    default:
      return { message: error.message ?? 'is invalid', type: 'value_error' };
  }
}

/** Keywords that only say "a sub-schema failed": their sub-errors say what is wrong. */
const WRAPPERS = new Set(['anyOf', 'oneOf', 'allOf', 'if', 'not', '$ref']);

export function toFieldErrors(
  errors: ErrorObject[] | null | undefined,
  location: Location,
  style: 'problem' | 'fastapi',
): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors ?? []) {
    if (WRAPPERS.has(error.keyword)) continue;
    const field = fieldOf(error);
    const { message, type } = describe(error, style);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ in: location, field, message, type });
  }
  return out;
}
