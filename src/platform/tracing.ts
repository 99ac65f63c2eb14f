// OpenTelemetry traces, off unless the operator configures an OTLP exporter with the standard variables
// (config.ts, `tracesWanted`). Off, nothing of the SDK is loaded and no provider is registered: `activeTracer()`
// is undefined and every caller skips its span (the request pipeline, the database client, outbound calls).
// On, `startTracing()` registers, once per process: a tracer provider exporting in batches over OTLP/HTTP
// (`@opentelemetry/exporter-trace-otlp-http`, which reads OTEL_EXPORTER_OTLP_* itself; the SDK reads
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_* and the span limits), the W3C
// `traceparent` propagator and an AsyncLocalStorage context manager, so a span started in a request is the
// parent of whatever that request awaits.
//
// Never in a span: bound SQL values, query strings, request or response bodies, exception messages (a database
// error's message holds the statement with its values).
import {
  context,
  DiagLogLevel,
  diag,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Tracer,
} from '@opentelemetry/api';

const INSTRUMENTATION = 'platform';

let tracer: Tracer | undefined;

export interface Tracing {
  /** Exports what is buffered and stops the exporter (at shutdown). */
  shutdown(): Promise<void>;
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
  /** Where the SDK's own warnings and errors go (an export that failed: the collector is unreachable). */
  logTo(log: { warn(object: object, message: string): void }): void;
}

/** The platform's tracer when tracing is on; undefined when it is off (the cost of tracing is then one check). */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/**
 * Registers the SDK for this process (once: a second call returns the first's handle). Loaded only when used:
 * a server without tracing never loads the SDK's modules.
 */
export async function startTracing(serviceVersion?: string): Promise<Tracing> {
  if (started) return started;
  const [
    { BasicTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    resources,
    { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  // The platform's defaults first, then what OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES say (they win).
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        [ATTR_SERVICE_NAME]: 'platform',
        ...(serviceVersion ? { [ATTR_SERVICE_VERSION]: serviceVersion } : {}),
      }),
    )
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  tracer = trace.getTracer(INSTRUMENTATION, serviceVersion);
  started = {
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
    logTo: (log) => {
      const warn = (message: string, ...args: unknown[]) =>
        log.warn({ details: args.map(String) }, `traces: ${message}`);
      const quiet = () => undefined;
      diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
    },
  };
  return started;
}
let started: Tracing | undefined;

// ------------------------------------------------------------------------------------------------------------
// Database statements: a CLIENT span per statement, child of the span active where the statement was awaited.

/** `db.operation.name`: the statement's first keyword (SELECT, INSERT, BEGIN, ...). */
function operationOf(sql: string): string {
  const match = /^\s*(?:\(\s*)*([a-zA-Z]+)/.exec(sql);
  return match ? match[1]!.toUpperCase() : 'UNKNOWN';
}

/** A statement's span, ended with its outcome. */
export interface StatementSpan {
  end(error?: unknown): void;
}

/**
 * A CLIENT span for one statement (src/platform/database-client.ts calls this for every statement) when tracing
 * is on and a request (or another recording span) is active, else undefined: background jobs' statements are
 * not traced, or their polling every second would be most of what is exported. `db.query.text` is the
 * parameterized SQL ($1, $2...), never the values bound to it.
 */
export function statementSpan(sql: string): StatementSpan | undefined {
  if (!tracer) return undefined;
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return undefined;
  const operation = operationOf(sql);
  const span = tracer.startSpan(
    operation,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': sql },
    },
    parent,
  );
  return {
    end(error?: unknown) {
      if (error !== undefined) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
        span.setAttribute('error.type', typeof code === 'string' ? code : errorName(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

// ------------------------------------------------------------------------------------------------------------
// Outbound HTTP calls.

export interface ClientSpan {
  /** `traceparent` (when propagating) to send with the request. */
  readonly headers: Record<string, string>;
  /** Ends the span with the answer's status, or the failure's kind. Idempotent. */
  end(outcome: { status?: number; error?: unknown; errorType?: string }): void;
}

const NO_SPAN: ClientSpan = { headers: {}, end: () => undefined };

/**
 * A CLIENT span for one outbound HTTP call. `propagate`: send `traceparent` to the other side: only for the
 * hosts the operator configured (the agent and speech providers), never for a URL a user gave, so trace ids
 * do not leak to hosts nobody chose. `url.full` leaves out the query, fragment and any user info.
 */
export function startClientSpan(method: string, url: string, options: { propagate: boolean }): ClientSpan {
  if (!tracer) return NO_SPAN;
  let target: URL | undefined;
  try {
    target = new URL(url);
  } catch {
    target = undefined;
  }
  const attributes: Attributes = { 'http.request.method': method };
  if (target) {
    attributes['server.address'] = target.hostname.replace(/^\[(.*)\]$/, '$1');
    attributes['server.port'] = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    attributes['url.full'] = `${target.protocol}//${target.host}${target.pathname}`;
  }
  const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, context.active());
  const headers: Record<string, string> = {};
  if (options.propagate) propagation.inject(trace.setSpan(context.active(), span), headers);
  let ended = false;
  return {
    headers,
    end: ({ status, error, errorType }) => {
      if (ended) return;
      ended = true;
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      const failed =
        errorType ?? (error !== undefined ? errorName(error) : status && status >= 400 ? String(status) : '');
      if (failed) {
        span.setAttribute('error.type', failed);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/** An error's class name: `error.type` never carries a message. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.constructor.name || 'Error' : '_OTHER';
}
