// The per-request state the pipeline keeps on `koa.state`: read by middleware.ts and dispatch.ts.
import type { Logger } from 'pino';

/**
 * What the pipeline keeps on `koa.state` for one request. Its logger (each line carries the request id) is
 * made on first read: most requests write only the access line, which the root logger writes with the id
 * itself. A class, for its prototype getter: a getter defined on each request's own object puts V8 in
 * dictionary mode and allocates its accessor pair in the old generation, where it keeps everything its
 * closure reaches alive through every young-generation collection until the next full one (see dispatch.ts).
 */
export class RequestState {
  #log: Logger | undefined;

  constructor(readonly requestId: string, private readonly root: Logger) {}

  get log(): Logger {
    return (this.#log ??= this.root.child({ requestId: this.requestId }));
  }
}
