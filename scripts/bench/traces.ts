// The cost of traces (`--only list,get,traces`): the same full-stack server a second time, started with the
// OTEL variables pointing at a local OTLP/HTTP receiver (in the orchestrator's process, as a collector would
// be elsewhere), loaded in the same rounds as the untraced one, so the cost is a ratio within one run. The
// receiver counts the spans it got: with the SDK's defaults (a queue of 2,048, batches of 512) spans the
// exporter could not keep up with are dropped, and the count shows it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Measured } from './report.js';

export interface TracedRow {
  label: string;
  off: Measured;
  on: Measured;
  /** Spans the receiver got per request the traced server answered (1 request span + its statements). */
  spansPerRequest: number;
}

export interface TraceReceiver {
  url: string;
  spans(): number;
  close(): Promise<void>;
}

/** A plain OTLP/HTTP JSON receiver: POST /v1/traces, answers 200, counts spans. */
export async function startTraceReceiver(): Promise<TraceReceiver> {
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
      } catch {
        /* not JSON: counted as nothing */
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The traced server's environment: traces on, exported to the receiver (the SDK's other defaults). */
export const tracingEnv = (receiver: TraceReceiver): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: 'platform-bench',
});

export function renderTraces(rows: TracedRow[] | undefined): string[] {
  if (!rows?.length) return [];
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  const ms = (n: number) => n.toFixed(1);
  return [
    '',
    '### Traces on (OTLP/HTTP to a local receiver)',
    '',
    'The full stack again, in its own process, with `OTEL_EXPORTER_OTLP_ENDPOINT` set (batch span processor with the ' +
      "SDK's defaults, JSON over HTTP to a receiver in the orchestrator), loaded in the same rounds as the untraced one.",
    '',
    '| Endpoint | Off req/s | On req/s | On/off | Off p50 / p99 ms | On p50 / p99 ms | Server CPU µs/req, off / on | Spans received per request |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (t) =>
        `| ${t.label} | ${int(t.off.rps)} | ${int(t.on.rps)} | ${(t.on.rps / t.off.rps).toFixed(2)}x | ` +
        `${ms(t.off.p50)} / ${ms(t.off.p99)} | ${ms(t.on.p50)} / ${ms(t.on.p99)} | ` +
        `${int(t.off.cpuUsPerRequest)} / ${int(t.on.cpuUsPerRequest)} | ${t.spansPerRequest.toFixed(2)} |`,
    ),
  ];
}
