// The one way the platform is served over HTTP (npm start, the tests, the conformance suite, the benchmarks):
// Node's server with the configuration's read timeouts and connection limit, so a client cannot hold a
// connection by sending its request slowly, nor open more connections than the process has descriptors for.
//
// Node's `headersTimeout` and `requestTimeout` run from a request's first byte (a new connection's, from when it
// opens) until the request has been received; they end there, so a long response (an event stream) is not
// cut by them. Past either, Node answers 408 (when nothing was written on the connection yet) and closes it.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { HttpServerConfig } from '../config.js';

export function createHttpServer(settings: HttpServerConfig, listener: RequestListener): Server {
  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // How often Node looks for requests past those timeouts (its default, 30 s, would let a trickle run that
      // much longer): a quarter of the headers timeout, at most a second, so a cut comes within that of its time.
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(settings.headersTimeoutMs / 4))),
    },
    listener,
  );
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  // Past it, Node closes a new connection as soon as it accepts it.
  server.maxConnections = settings.maxConnections;
  return server;
}
