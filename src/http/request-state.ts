// The per-request state the pipeline keeps on `koa.state`: read by middleware.ts and dispatch.ts.
import type { Logger } from 'pino';

/**
 * What the pipeline keeps on `koa.state` for one request. Its logger (each line carries the request id) is
 * made on first read: most requests write only the access line, which the root logger writes with the id
 * itself. A class, so the getter is on the prototype: a getter on each request's own object would keep the
 * whole request alive past young-generation collections (docs/benchmarks.md, "Why the hot paths look as
 * they do").
 */
export class RequestState {
  #log: Logger | undefined;
  /** The request's trace id, when traces are on: in the access line and in problem bodies. */
  traceId: string | undefined = undefined;
  /** An unhandled error's class name: the request span's `error.type`. */
  errorType: string | undefined = undefined;

  constructor(
    readonly requestId: string,
    private readonly root: Logger,
  ) {}

  get log(): Logger {
    return (this.#log ??= this.root.child({ requestId: this.requestId }));
  }
}
