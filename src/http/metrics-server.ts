// The metrics listener: `GET /metrics` in Prometheus' text format, on its own host and port (METRICS_HOST,
// METRICS_PORT: loopback and 9464 by default), never on the API's port, so the metrics are not public by
// accident. Anything else is 404. Plain node:http: no Koa, no contract, nothing of the API's pipeline.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsConfig } from '../config.js';
import type { Metrics } from '../platform/metrics.js';

export interface MetricsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves `metrics` on `host:port` (0: a port the system chooses); rejects with the listen error (EADDRINUSE...). */
export async function startMetricsServer(metrics: Metrics, host: string, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Not found: metrics are at GET /metrics\n');
      return;
    }
    metrics.exposition().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${(error as Error).message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus' scrape interval: one connection per scraper
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref(); // never keeps the process alive: the API listener decides that
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the listener `npm start` runs. Returns undefined (after a warning) when the DEFAULT port is taken: a
 * second instance on one machine serves without metrics rather than not at all. Throws one sentence when a port
 * that was set (METRICS_PORT) cannot be had: the operator asked for it.
 */
export async function serveMetrics(
  metrics: Metrics,
  config: MetricsConfig,
  warn: (message: string) => void,
): Promise<MetricsServer | undefined> {
  try {
    return await startMetricsServer(metrics, config.host, config.port);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const { port, host } = config;
    if (code === 'EADDRINUSE' && !config.portExplicit) {
      warn(
        `Metrics port ${port} is already in use on ${host} (another instance on this machine?): this instance serves no metrics; set METRICS_PORT to a free port to have them.`,
      );
      return undefined;
    }
    throw new Error(
      code === 'EADDRINUSE'
        ? `Metrics port ${port} is already in use on ${host}: stop the process that holds it, or set METRICS_PORT to a free port (or METRICS=off).`
        : code === 'EACCES'
          ? `Metrics port ${port} on ${host} needs privileges this process does not have: set METRICS_PORT to a port above 1024.`
          : code === 'EADDRNOTAVAIL'
            ? `Cannot serve metrics on ${host}:${port}: this machine has no such address; set METRICS_HOST to one of its addresses.`
            : `Cannot serve metrics on ${host}:${port}: ${message}`,
    );
  }
}
