// From openapi-backend's routed request to a typed handler and back, in one pipeline of
// steps that all come from the operation's metadata in the contract:
//   authentication (401) -> cookie callers from other sites (403) -> role (403) -> strict input parsing (inputs.ts), then the generated validators, every failure at once (400 / 422)
//   -> rate limits (429) -> not built (501) -> idempotency -> handler -> response checked against the contract.
import type Koa from 'koa';
import type { Context as RoutedContext } from 'openapi-backend';
import type { Logger } from 'pino';
import type { BinaryBody, OperationId, OperationMeta } from '../../generated/server/index.js';
import { validators, type ValidateFunction } from '../../generated/validators/index.gen.js';
import type { Config } from '../config.js';
import { ApiError, validationFailed, type FieldError } from '../platform/errors.js';
import type { IdempotencyFacility } from '../platform/idempotency.js';
import type { Metrics, StreamKind } from '../platform/metrics.js';
import { isRendered } from '../platform/rendered.js';
import type { Authenticator, Credential, CredentialScheme, Principal } from '../platform/principal.js';
import type { Transaction } from '../platform/transactions.js';
import { NO_BODY, readJsonBody } from './body.js';
import { guardCrossSite } from './cross-site.js';
import { checkHeaders, parseQuery, queryParameters, unstorableStrings } from './inputs.js';
import type { RequestState } from './request-state.js';
import type { IdempotentContext, RequestContext } from './context.js';
import { type RateLimits, requireRoles, runIdempotent, type ValidatedRequest } from './policies.js';
import { QUERY_CREDENTIALS, authenticate, credentialsOf } from './security.js';
import { writeEventStream } from './sse.js';
import { toFieldErrors } from './validation-errors.js';

/** Any operation's handler, as the pipeline calls it. */
export type AnyHandler = (request: never, ctx: never) => Promise<unknown>;
type AnyResult = {
  status: number;
  body?: unknown;
  stream?: AsyncIterable<{ data: unknown; id?: string | number }>;
  headers?: Record<string, string | string[]>;
};

export interface DispatchDeps {
  config: Config;
  authenticator: Authenticator;
  rateLimits: RateLimits;
  idempotency: IdempotencyFacility;
  /** Replays and event streams are counted here; undefined when METRICS=off. */
  metrics?: Metrics;
}

/** The kind of an operation's event stream, as metrics label it: room streams, or an agent's reply. */
const streamKind = (meta: OperationMeta): StreamKind => (meta.area === 'rooms' ? 'room' : 'agent_chat');

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

export const notBuilt = () =>
  new ApiError(501, 'NOT_IMPLEMENTED', 'This operation is part of the contract but is not implemented yet.');

/** `handler` undefined: the operation's area is not built yet, and it answers 501 once the request is valid. */
export function operationHandler(meta: OperationMeta, handler: AnyHandler | undefined, deps: DispatchDeps) {
  const v = validators[meta.operationId as OperationId];
  const style = meta.errorStyle;
  const queryParams = queryParameters(meta.parameters);
  const streamMetrics = meta.eventStream ? deps.metrics?.stream(streamKind(meta)) : undefined;
  // A credential sent in the query (a stream ticket) is authentication's, not an input to validate.
  const queryCredentials = meta.schemes.flatMap((scheme) => QUERY_CREDENTIALS[scheme as CredentialScheme] ?? []);
  const check = (
    part: FieldError['in'],
    validate: ValidateFunction | undefined,
    value: unknown,
    errors: FieldError[],
  ) => {
    if (validate && !validate(value)) errors.push(...toFieldErrors(validate.errors, part, style));
  };
  const call = handler as ((request: unknown, ctx: unknown) => Promise<AnyResult>) | undefined;

  return async (routed: RoutedContext, koa: Koa.Context): Promise<void> => {
    const principal = await authenticate(meta, koa, deps.authenticator);
    guardCrossSite(meta, koa, principal, deps.config.corsOrigins);
    requireRoles(meta, principal);

    const path = { ...routed.request.params } as Record<string, unknown>;
    const { query, errors } = parseQuery(koa.querystring, queryParams, style);
    for (const name of queryCredentials) delete query[name];
    const headers = v.header ? { ...koa.headers } : undefined;
    check('path', v.path, path, errors);
    check('query', v.query, query, errors);
    if (headers) errors.push(...checkHeaders(headers, meta.parameters, style));
    check('header', v.header, headers, errors);
    let body: unknown;
    if (v.body) {
      const raw = await readJsonBody(koa, deps.config.bodyLimitBytes, style);
      if (raw === NO_BODY) {
        if (v.bodyRequired)
          errors.push({
            in: 'body',
            field: '',
            message: style === 'fastapi' ? 'Field required' : 'a JSON body is required',
            type: 'missing',
          });
      } else {
        body = raw;
        errors.push(...unstorableStrings(body, style));
        check('body', v.body, body, errors);
      }
    }
    if (errors.length) throw validationFailed(errors);

    const validated: ValidatedRequest = { path, query, body };
    const clientIp = koa.ip;
    const attempt = await deps.rateLimits.before(meta, validated, { ip: clientIp, userId: principal?.user.id });
    if (!call) {
      await attempt.settle();
      throw notBuilt();
    }

    const state = koa.state as RequestState;
    const ctx = new HandlerContext(state, {
      principal,
      credentials: meta.auth === 'none' ? [] : credentialsOf(koa),
      requestId: state.requestId,
      clientIp,
      secure: koa.secure,
      baseUrl: `${koa.protocol}://${koa.host}`,
    });
    const request = { path, query, headers, body };

    let result: AnyResult;
    let refused: unknown;
    try {
      if (meta.idempotency) {
        const outcome = await runIdempotent(deps.idempotency, meta, principal!, validated, async (trx) => {
          const first = await call(request, ctx.inTransaction(trx));
          // Checked before it is stored: a reply that violates the contract must not be replayed for a day.
          checkResponse(deps, meta, first.status, first.body, v.responses[first.status], ctx);
          if (first.stream || isBinary(meta, first.status))
            throw new Error(`${meta.operationId}: an idempotent operation answers JSON, not a stream or bytes`);
          // The answer's bytes are made here, once: the same text is sent now and stored for every replay.
          return {
            status: first.status,
            ...(first.headers ? { headers: first.headers } : {}),
            body: first.body === undefined ? undefined : serializeJson(first.body),
          };
        });
        if (outcome.replayed) deps.metrics?.idempotentReplay();
        const headers = outcome.replayed ? { ...outcome.headers, 'Idempotent-Replayed': 'true' } : outcome.headers;
        if (headers) koa.set(headers);
        writeSerialized(koa, meta, outcome.status, outcome.body);
        return;
      }
      result = await call(request, ctx);
    } catch (error) {
      refused = error;
      throw error;
    } finally {
      await attempt.settle(refused);
    }

    if (result.headers) koa.set(result.headers);
    if (result.stream) {
      const validate = v.responses[result.status];
      writeEventStream(
        koa,
        result.status,
        result.stream,
        validate ? (data) => checkResponse(deps, meta, result.status, data, validate, ctx) : undefined,
        { keepAliveMs: deps.config.sseKeepAliveMs, metrics: streamMetrics },
      );
      return;
    }
    checkResponse(deps, meta, result.status, result.body, v.responses[result.status], ctx);
    if (result.body !== undefined && isBinary(meta, result.status)) {
      const { contentType, data } = result.body as BinaryBody;
      koa.status = result.status;
      koa.body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      koa.type = contentType;
      return;
    }
    writeSerialized(koa, meta, result.status, result.body === undefined ? undefined : serializeJson(result.body));
  };
}

/**
 * A JSON body's text: the one serialization of every JSON answer (and of the text an idempotent operation stores
 * for its replays). Serialized once: an object body would be stringified by koa-compress's size check and
 * again by Koa. A body rendered by PostgreSQL (src/platform/rendered.ts) is that text already.
 */
const serializeJson = (body: unknown): string => (isRendered(body) ? body.json : JSON.stringify(body));

/** Writes a status and an already serialized JSON body (or none) with the type the operation documents for it. */
function writeSerialized(koa: Koa.Context, meta: OperationMeta, status: number, text: string | undefined): void {
  koa.status = status;
  if (text === undefined) {
    koa.body = null;
    return;
  }
  koa.type = meta.contentTypes[status] ?? 'application/json';
  koa.body = text;
}

type ContextFields = Omit<RequestContext, 'log'> & { trx?: Transaction };

/**
 * What a handler receives besides its request. `log` is the request's logger, read from its RequestState
 * (made there only if something logs) by a getter on the prototype, never one per request: a per-object
 * getter would keep the whole request alive past young-generation collections (docs/benchmarks.md, "Why the
 * hot paths look as they do").
 */
class HandlerContext implements RequestContext {
  declare readonly principal?: Principal;
  declare readonly credentials: Credential[];
  declare readonly requestId: string;
  declare readonly clientIp: string;
  declare readonly secure: boolean;
  declare readonly baseUrl: string;
  declare readonly trx?: Transaction;

  constructor(
    private readonly state: RequestState,
    private readonly fields: ContextFields,
  ) {
    Object.assign(this, fields);
  }

  get log(): Logger {
    return this.state.log;
  }

  /** The same context for an idempotent operation's effect, which runs in the facility's transaction. */
  inTransaction(trx: Transaction): IdempotentContext {
    return new HandlerContext(this.state, { ...this.fields, trx }) as IdempotentContext;
  }
}

/** A status whose documented body is bytes (e.g. audio/mpeg), which no JSON schema describes. */
const isBinary = (meta: OperationMeta, status: number) => {
  const type = meta.contentTypes[status];
  return type !== undefined && !/json|event-stream/.test(type);
};

/** Where a request's logger is read from, when there is something to log (middleware.ts makes it on first read). */
export interface LogSource {
  readonly log: Logger;
}

/** Checks a response against the contract: always in `strict` mode, for a sample in `sample` mode. */
export function checkResponse(
  deps: Pick<DispatchDeps, 'config'>,
  meta: OperationMeta,
  status: number,
  body: unknown,
  validate: ValidateFunction | undefined,
  source: LogSource,
): void {
  const { responseValidation, responseSampleRate } = deps.config;
  if (responseValidation === 'off' || (responseValidation === 'sample' && Math.random() >= responseSampleRate)) return;
  const problem = contractProblem(meta, status, body, validate);
  if (!problem) return;
  const message = `${meta.operationId} ${status} violates the contract: ${problem}`;
  if (responseValidation === 'strict') throw new ContractViolation(message);
  source.log.warn({ operationId: meta.operationId, status, problem }, 'response violates the contract');
}

/** What is wrong with a response, by the contract; undefined when nothing is. */
function contractProblem(
  meta: OperationMeta,
  status: number,
  body: unknown,
  validate: ValidateFunction | undefined,
): string | undefined {
  if (!meta.statuses.includes(status)) return `status ${status} is not documented`;
  // A rendered body is checked as the value its text parses to: parsed only when it is checked.
  let value = body;
  if (isRendered(body)) {
    try {
      value = JSON.parse(body.json);
    } catch {
      return 'the rendered body is not JSON';
    }
  }
  if (validate && !validate(value)) return JSON.stringify(validate.errors?.slice(0, 5));
  if (!validate && value !== undefined && !isBinary(meta, status)) return `status ${status} documents no body`;
  return undefined;
}
