// The named checks, and the bookkeeping of their outcomes per operation. Response checks look at one
// exchange against the contract; expectation checks compare an exchange with what its case expects.
import type { Json, JsonObject, OpSpec } from './contract.js';
import { responseFor } from './contract.js';
import type { Exchange } from './http.js';

export const CHECKS = [
  'not_server_error',
  'status_documented',
  'content_type',
  'schema',
  'headers',
  'negative_rejected',
  'integer_precision',
  'empty_enum_value',
  'auth_enforced',
  'authorization_matrix',
  'auth_schemes',
  'write_refused_wrote_nothing',
  'use_after_free',
  'resource_available',
  'round_trip',
  'server_alive',
] as const;

export type CheckName = (typeof CHECKS)[number];

/** `unbuilt`: evaluated on a 501 of an operation that is not built yet, so there was nothing to judge. */
export type Outcome = 'pass' | 'unbuilt' | { fail: string };

/** What the runner knows about an operation once its valid requests have been answered. */
export interface OpState {
  /** Valid requests got 501 and nothing got 2xx: the operation is registered but not built. */
  unbuilt: boolean;
  /** Some request got a 2xx. */
  answered2xx: boolean;
}

export const is2xx = (status: number) => status >= 200 && status < 300;
export const is4xx = (status: number) => status >= 400 && status < 500;
const mediaOf = (exchange: Exchange) =>
  (exchange.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
/** The body, short: a success body's lists of objects become "[n items]" so its totals stay visible. */
function bodyExcerpt(exchange: Exchange): string {
  let text = exchange.text;
  if (is2xx(exchange.status) && exchange.json && typeof exchange.json === 'object') {
    text = JSON.stringify(exchange.json, (key, value: unknown) =>
      key !== '' && Array.isArray(value) && value.length && typeof value[0] === 'object'
        ? `[${value.length} items]`
        : value,
    );
  }
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

export function notServerError(op: OpSpec, exchange: Exchange, state: OpState): Outcome {
  const { status } = exchange;
  if (status < 500) return 'pass';
  if (status === 501) {
    if (state.unbuilt) return 'unbuilt';
    return {
      fail: state.answered2xx
        ? `501 from an operation that answers 2xx to other requests: ${bodyExcerpt(exchange)}`
        : `501 although valid requests were not answered 501: ${bodyExcerpt(exchange)}`,
    };
  }
  if (status === 503 && responseFor(op, 503)) return 'pass';
  return { fail: `${status}: ${bodyExcerpt(exchange)}` };
}

export function statusDocumented(op: OpSpec, exchange: Exchange, state: OpState): Outcome | undefined {
  if (responseFor(op, exchange.status)) return 'pass';
  if (exchange.status === 501 && state.unbuilt) return 'unbuilt';
  if (exchange.status >= 500) return undefined; // a server error is not_server_error's to report
  return {
    fail: `${exchange.status} is not documented (documented: ${Object.keys(op.responses).join(', ')}): ${bodyExcerpt(exchange)}`,
  };
}

export function contentType(op: OpSpec, exchange: Exchange): Outcome | undefined {
  const documented = responseFor(op, exchange.status);
  if (!documented) return exchange.status === 501 ? 'unbuilt' : undefined;
  if (documented.mediaTypes.length === 0) {
    return exchange.text === ''
      ? 'pass'
      : {
          fail: `${exchange.status} documents no body, got ${mediaOf(exchange) || 'no Content-Type'}: ${bodyExcerpt(exchange)}`,
        };
  }
  const got = mediaOf(exchange);
  return documented.mediaTypes.includes(got)
    ? 'pass'
    : { fail: `${exchange.status} is documented as ${documented.mediaTypes.join(' or ')}, got "${got}"` };
}

export function schema(op: OpSpec, exchange: Exchange): Outcome | undefined {
  const documented = responseFor(op, exchange.status);
  if (!documented) return exchange.status === 501 ? 'unbuilt' : undefined;
  const validate = documented.validate;
  if (!validate) return undefined;
  if (documented.eventStream && exchange.events) {
    for (const event of exchange.events) {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        return { fail: `event ${event.event ?? ''} data is not JSON: ${event.data.slice(0, 200)}` };
      }
      if (!validate(data))
        return { fail: `event ${event.event ?? ''} violates the schema: ${describeErrors(validate.errors)}` };
    }
    return 'pass';
  }
  if (exchange.json === undefined) return { fail: `${exchange.status} body is not JSON: ${bodyExcerpt(exchange)}` };
  return validate(exchange.json)
    ? 'pass'
    : {
        fail: `${exchange.status} body violates the schema: ${describeErrors(validate.errors)}; body: ${bodyExcerpt(exchange)}`,
      };
}

export function headers(op: OpSpec, exchange: Exchange): Outcome | undefined {
  const documented = responseFor(op, exchange.status);
  if (!documented || documented.headers.length === 0) return undefined;
  for (const header of documented.headers) {
    const values =
      header.name.toLowerCase() === 'set-cookie'
        ? exchange.headers.getSetCookie()
        : [exchange.headers.get(header.name)].filter((v): v is string => v !== null);
    if (values.length === 0) {
      if (header.required) return { fail: `required header ${header.name} is missing` };
      continue;
    }
    for (const value of values) {
      if (header.validate && !header.validate({ value }))
        return { fail: `header ${header.name}: "${value}" ${describeErrors(header.validate.errors)}` };
    }
  }
  return 'pass';
}

export function describeErrors(errors: Array<{ instancePath: string; message?: string }> | null | undefined): string {
  return (errors ?? [])
    .slice(0, 4)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
    .join('; ');
}

/** A case that had to be refused: 4xx passes; a 2xx, or the handler's 501, means it was let through. */
export function mustBeRefused(exchange: Exchange, why: string): Outcome | undefined {
  if (is4xx(exchange.status)) return 'pass';
  if (is2xx(exchange.status) || exchange.status === 501 || exchange.status < 400) {
    const how =
      exchange.status === 501
        ? 'passed validation and reached the unbuilt handler (501)'
        : `was accepted (${exchange.status})`;
    return { fail: `invalid input (${why}) ${how}: ${bodyExcerpt(exchange)}` };
  }
  return undefined; // another 5xx: not_server_error reports it
}

/** Every string inside `sent`, with its path: what a round trip must give back. */
function stringLeaves(value: Json, path: string[] = []): Array<[string[], string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, String(i)]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

/**
 * Strings sent in a create must come back as sent (surrounding whitespace aside: names are documented as
 * trimmed). Only top-level fields the response has are compared, so derived fields are not confused.
 */
export function roundTrip(sent: Json | undefined, got: unknown, where: string): Outcome | undefined {
  if (!sent || typeof sent !== 'object' || Array.isArray(sent) || !got || typeof got !== 'object') return undefined;
  let compared = 0;
  for (const [key, value] of Object.entries(sent)) {
    if (!(key in (got as JsonObject))) continue;
    for (const [path, text] of stringLeaves(value, [key])) {
      const back = path.reduce<unknown>(
        (node, k) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined),
        got,
      );
      compared++;
      if (typeof back !== 'string' || back.trim() !== text.trim()) {
        return {
          fail: `${where}: ${path.join('.')} was sent as ${JSON.stringify(text)} but reads back as ${JSON.stringify(back)}`,
        };
      }
    }
  }
  return compared ? 'pass' : undefined;
}

/** How many items a list response holds: its `total`, or the length of its (first) array. */
export function countOf(body: unknown): number | undefined {
  if (Array.isArray(body)) return body.length;
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.total === 'number') return record.total;
  const array = Object.values(record).find(Array.isArray);
  return array ? (array as unknown[]).length : undefined;
}

export interface Tally {
  pass: number;
  fail: number;
  unbuilt: number;
}

export interface Failure {
  operation: string;
  check: CheckName;
  case: string;
  message: string;
  method: string;
  target: string;
  status: number;
  curl: string;
  /** Which credential $TOKEN stands for. */
  token?: string;
  seed: number;
}

export class Recorder {
  readonly tallies = new Map<string, Map<CheckName, Tally>>();
  readonly failures: Failure[] = [];

  record(
    operation: string,
    check: CheckName,
    outcome: Outcome | undefined,
    failure?: () => Omit<Failure, 'operation' | 'check' | 'message'>,
  ): void {
    if (outcome === undefined) return;
    if (!this.tallies.has(operation)) this.tallies.set(operation, new Map());
    const byCheck = this.tallies.get(operation)!;
    const tally = byCheck.get(check) ?? { pass: 0, fail: 0, unbuilt: 0 };
    byCheck.set(check, tally);
    if (outcome === 'pass') tally.pass++;
    else if (outcome === 'unbuilt') tally.unbuilt++;
    else {
      tally.fail++;
      this.failures.push({
        operation,
        check,
        message: outcome.fail,
        ...(failure?.() ?? { case: '', method: '', target: '', status: 0, curl: '', seed: 0 }),
      });
    }
  }
}
