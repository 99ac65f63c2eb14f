// The outer Koa middleware: request id, one structured access-log line per request and its metrics, and the single place
// where errors become responses in the shape of the operation's API. An error answer is checked against the
// contract like any other response: its status and its problem `code` must be ones the operation documents.
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { OperationMeta } from '../../generated/server/index.js';
import { validators } from '../../generated/validators/index.gen.js';
import type { Config } from '../config.js';
import { ApiError } from '../platform/errors.js';
import { activeTracer, errorName } from '../platform/tracing.js';
import type { Metrics } from '../platform/metrics.js';
import { checkResponse } from './dispatch.js';
import { endRequestSpan, startRequestSpan, withRequestSpan } from './request-span.js';
import { RequestState } from './request-state.js';
import { internalError, toWireError, type WireError } from './problem.js';

const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** `metrics`: where each request is counted (by operation, method and status class); undefined: not counted. */
export function requestLifecycle(log: Logger, config: Config, metrics?: Metrics): Koa.Middleware {
  return async (koa, next) => {
    const incoming = koa.get('x-request-id');
    const requestId = VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    const inFlight = metrics?.requestStarted(koa.method);
    const state = new RequestState(requestId, log);
    koa.state = state;
    koa.set('X-Request-Id', requestId);
    // Traces on (OTEL_* set): the request's span, active for everything the request awaits.
    const tracer = activeTracer();
    const span = tracer && startRequestSpan(tracer, koa);
    if (span) state.traceId = span.traceId;
    try {
      await (span ? withRequestSpan(span, next) : next());
    } catch (error) {
      writeError(koa, error, config);
    } finally {
      const operation = koa.state.operation as OperationMeta | undefined;
      const elapsed = performance.now() - started;
      const line: Record<string, unknown> = {
        requestId,
        method: koa.method,
        path: koa.path,
        operationId: operation?.operationId,
        status: koa.status,
        ms: Math.round(elapsed * 10) / 10,
      };
      if (span) {
        line.traceId = span.traceId;
        endRequestSpan(span, koa, operation, state.errorType);
      }
      if (metrics) {
        inFlight!.n -= 1;
        metrics.requestEnded({
          operation: operation?.operationId,
          method: koa.method,
          status: koa.status,
          seconds: elapsed / 1000,
          // Node's own headers, not Koa's getters (which case-fold the name on every call, three times here).
          requestBytes: contentLength(koa.req.headers['content-length']),
          responseBytes: contentLength(koa.res.getHeader('content-length')),
        });
      }
      if (koa.status >= 500) log.error(line, 'request');
      else log.info(line, 'request');
    }
  };
}

/** A Content-Length header's value as a number; undefined when there is none (a stream's response). */
function contentLength(header: string | number | string[] | undefined): number | undefined {
  return header === undefined ? undefined : Number(header) || 0;
}

function writeError(koa: Koa.Context, error: unknown, config: Config): void {
  if (koa.req.destroyed && !koa.req.complete) {
    // The connection ended before the whole request arrived (the client left, or a read timeout cut it): no
    // one to answer, and no failure of the server's. The access line says 408.
    koa.status = 408;
    return;
  }
  const operation = koa.state.operation as OperationMeta | undefined;
  let apiError: ApiError;
  if (error instanceof ApiError) {
    apiError = error;
  } else {
    // Never let a database or programming error reach the client: log it, answer a generic 500.
    koa.state.log.error({ err: error }, 'unhandled error');
    (koa.state as RequestState).errorType = errorName(error);
    apiError = internalError();
  }
  const style = operation?.errorStyle ?? (koa.path.startsWith('/api/v1/') ? 'fastapi' : 'problem');
  const { requestId, traceId } = koa.state as RequestState;
  let wire: WireError = toWireError(apiError, style, koa.path, requestId, traceId);
  if (operation && wire.status !== 500) {
    try {
      checkResponse(
        { config },
        operation,
        wire.status,
        wire.body,
        validators[operation.operationId as keyof typeof validators].responses[wire.status],
        koa.state,
      );
    } catch (violation) {
      // strict: an undocumented status or code is a server bug, answered like any other.
      koa.state.log.error({ err: violation }, 'unhandled error');
      wire = toWireError(internalError(), style, koa.path, requestId, traceId);
    }
  }
  koa.status = wire.status;
  if (wire.headers) koa.set(wire.headers);
  koa.type = wire.contentType;
  koa.body = JSON.stringify(wire.body); // once, as dispatch does
}
