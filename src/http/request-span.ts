// The span of one request (when traces are on, src/platform/tracing.ts): SERVER kind, named by the operationId
// once routing has found it (the method alone otherwise: a 404, the docs), a child of the incoming
// `traceparent` when there is one, with the HTTP semantic-convention attributes. The query string is never
// recorded (a stream ticket travels in it).
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type Koa from 'koa';
import type { OperationMeta } from '../../generated/server/index.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

const headerGetter = {
  keys: (carrier: Koa.Context['headers']) => Object.keys(carrier),
  get: (carrier: Koa.Context['headers'], key: string) => carrier[key],
};

export interface RequestSpan {
  span: Span;
  /** The context to run the rest of the pipeline in: the span is the parent of what the request awaits. */
  context: Context;
  traceId: string;
}

export function startRequestSpan(tracer: Tracer, koa: Koa.Context): RequestSpan {
  const parent = koa.headers.traceparent ? propagation.extract(ROOT_CONTEXT, koa.headers, headerGetter) : ROOT_CONTEXT;
  const method = KNOWN_METHODS.has(koa.method) ? koa.method : '_OTHER';
  const scheme = koa.protocol;
  const host = koa.host;
  const port = /:(\d+)$/.exec(host)?.[1];
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        ...(method === '_OTHER' ? { 'http.request.method_original': koa.method } : {}),
        'url.path': koa.path,
        'url.scheme': scheme,
        'server.address': koa.hostname,
        'server.port': port ? Number(port) : scheme === 'https' ? 443 : 80,
        'client.address': koa.ip,
        'network.protocol.version': koa.req.httpVersion,
        ...(koa.headers['user-agent'] ? { 'user_agent.original': koa.headers['user-agent'] } : {}),
      },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span), traceId: span.spanContext().traceId };
}

/** Names the span by the operation, records the answer's status, and ends it. */
export function endRequestSpan(
  { span }: RequestSpan,
  koa: Koa.Context,
  operation: OperationMeta | undefined,
  errorType: string | undefined,
): void {
  if (operation) {
    span.updateName(operation.operationId);
    span.setAttribute('http.route', operation.path);
  }
  span.setAttribute('http.response.status_code', koa.status);
  if (koa.status >= 500) {
    span.setAttribute('error.type', errorType ?? String(koa.status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Runs `next` with the request's span active. */
export const withRequestSpan = (requestSpan: RequestSpan, next: () => Promise<unknown>) =>
  context.with(requestSpan.context, next);
