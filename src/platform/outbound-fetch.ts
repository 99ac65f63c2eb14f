// The one way the server fetches a URL a user gave it (OWASP's SSRF prevention cheat sheet). Node's fetch
// follows redirects to any address, looks the host up again when it connects, and reads bodies whole; this
// does none of that:
// - `https` only, on every hop;
// - the host is looked up here, and every address it has must be a public internet address (ip-ranges.ts) or
//   allowed by the operator (outbound-rules.ts); the socket then connects to those checked addresses only (a
//   `lookup` that answers them), so a second, different DNS answer cannot slip in. TLS still verifies the
//   certificate for the URL's host name, sent as SNI;
// - redirects are followed by hand, at most MAX_REDIRECTS, each checked like the first URL;
// - a connect timeout (lookup, TCP and TLS) and a total one (every hop and the whole body);
// - the body is streamed to the caller, and the size cap is enforced while reading: memory stays flat
//   however much the other side sends.
// Failures are an OutboundError whose `failure` says what the user can fix; its message, for logs only,
// says what the network answered.
import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { OutboundConfig } from '../config.js';
import { NO_METRICS, type OutboundTarget, type Recorder } from './metrics.js';
import { OutboundRules } from './outbound-rules.js';
import { startClientSpan } from './tracing.js';

export const MAX_REDIRECTS = 3;

export type OutboundFailure =
  | 'not-https' // the URL, or a redirect, is not https
  | 'not-public' // the host is unknown, or one of its addresses is not a public internet address (and not allowed)
  | 'denied' // the operator denied the host or one of its addresses
  | 'unreachable' // no connection, or TLS failed (a certificate that does not match the host, for one)
  | 'timeout' // the connect or the total timeout ran out
  | 'too-many-redirects'
  | 'status' // the final answer was not a 2xx
  | 'too-large'; // larger than the caller's cap

export class OutboundError extends Error {
  override name = 'OutboundError';
  /** `message` is for logs: it may name addresses and statuses that users must not see. */
  constructor(
    readonly failure: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  /** More than this many bytes (announced or sent) is a `too-large` failure. */
  maxBytes: number;
  /** Each chunk of the body as it arrives; the chunks are not kept. */
  onChunk(chunk: Buffer): void;
  /** Stops the download (the server is stopping); it then fails with the signal's reason. */
  signal?: AbortSignal;
  /** What the download is for, as metrics count it (`outbound_fetches_total{target}`); `voice_sample` by default. */
  target?: OutboundTarget;
}

export interface Downloaded {
  /** The URL the body came from, after redirects. */
  url: string;
  bytes: number;
  contentType: string | undefined;
}

type Resolve = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true });

export class OutboundFetch {
  private readonly rules: OutboundRules;
  private readonly ca: string[] | undefined;

  constructor(
    private readonly config: OutboundConfig,
    private readonly resolve: Resolve = systemResolve,
    private readonly metrics: Recorder = NO_METRICS,
  ) {
    this.rules = new OutboundRules(config.allowHosts, config.denyHosts);
    // An extra authority is trusted besides the system's, not instead of them.
    this.ca = config.ca ? [...rootCertificates, config.ca] : undefined;
  }

  /** The total timeout of one download. */
  get timeoutMs(): number {
    return this.config.timeoutMs;
  }

  /**
   * GETs `url` and streams its body to `onChunk`; resolves once the whole body was read. Counted by outcome: `ok`,
   * the failure, or `aborted`. With traces on it is one CLIENT span (redirects included), and the other side is
   * never sent the trace context: the URL is a user's, and trace ids go only to hosts the operator configured.
   */
  async download(url: string, options: DownloadOptions): Promise<Downloaded> {
    const target = options.target ?? 'voice_sample';
    const span = startClientSpan('GET', url, { propagate: false });
    const answered = { status: undefined as number | undefined };
    try {
      const downloaded = await this.fetchAll(url, options, answered);
      span.end({ status: answered.status });
      this.metrics.outboundFetch(target, 'ok');
      return downloaded;
    } catch (error) {
      const failure = error instanceof OutboundError ? error.failure : 'aborted';
      span.end({ status: answered.status, errorType: failure });
      this.metrics.outboundFetch(target, failure);
      throw error;
    }
  }

  private async fetchAll(
    url: string,
    options: DownloadOptions,
    answered: { status: number | undefined },
  ): Promise<Downloaded> {
    const deadline = AbortSignal.timeout(this.config.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    try {
      let current = url;
      for (let hop = 0; ; hop += 1) {
        const response = await this.get(current, signal);
        answered.status = response.statusCode;
        const location = response.headers.location;
        if ([301, 302, 303, 307, 308].includes(response.statusCode ?? 0) && location) {
          response.destroy();
          if (hop === MAX_REDIRECTS)
            throw new OutboundError('too-many-redirects', `more than ${MAX_REDIRECTS} redirects from ${url}`);
          try {
            current = new URL(location, current).href;
          } catch {
            throw new OutboundError('status', `${current} redirected to a malformed Location`);
          }
          continue;
        }
        if (!response.statusCode || response.statusCode < 200 || response.statusCode > 299) {
          response.destroy();
          throw new OutboundError('status', `${current} answered ${response.statusCode}`);
        }
        return await this.read(current, response, options);
      }
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      if (deadline.aborted)
        throw new OutboundError('timeout', `${url}: no complete answer within ${this.config.timeoutMs} ms`);
      if (options.signal?.aborted) throw options.signal.reason;
      throw new OutboundError('unreachable', `${url}: ${(error as Error).message}`);
    }
  }

  /** One hop: checks the URL and its addresses, connects to those addresses, and resolves with the answer's head. */
  private async get(url: string, signal: AbortSignal): Promise<IncomingMessage> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new OutboundError('not-https', `not a URL: ${url}`);
    }
    if (target.protocol !== 'https:') throw new OutboundError('not-https', `not https: ${url}`);
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const port = Number(target.port || 443);

    // Lookup, TCP and TLS share the connect timeout.
    const connect = new AbortController();
    const connectTimer = setTimeout(() => connect.abort(), this.config.connectTimeoutMs);
    const connectOrTotal = AbortSignal.any([signal, connect.signal]);
    try {
      const addresses = await this.addressesOf(host, port, connectOrTotal);
      return await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(
          {
            host,
            port,
            path: `${target.pathname}${target.search}`,
            method: 'GET',
            // Identity: the cap counts the bytes as they arrive, and nothing is decompressed into memory.
            headers: { 'user-agent': 'platform-outbound/1', accept: '*/*', 'accept-encoding': 'identity' },
            agent: false, // a socket per hop: each is connected to the addresses checked for it, never reused
            lookup: pinnedLookup(addresses),
            signal: connectOrTotal,
            ...(this.ca ? { ca: this.ca } : {}),
          },
          resolve,
        );
        req.once('error', reject);
        req.end();
      });
    } catch (error) {
      if (connect.signal.aborted && !signal.aborted)
        throw new OutboundError(
          'timeout',
          `${url}: no answer within the connect timeout, ${this.config.connectTimeoutMs} ms`,
        );
      throw error;
    } finally {
      // Answered: from here on only the total timeout applies.
      clearTimeout(connectTimer);
    }
  }

  /** The host's addresses, every one of them checked. An IP address in the URL is its own answer. */
  private async addressesOf(
    host: string,
    port: number,
    signal: AbortSignal,
  ): Promise<Array<{ address: string; family: number }>> {
    if (this.rules.deniedName(host, port))
      throw new OutboundError('denied', `${host} is denied by OUTBOUND_DENY_HOSTS`);
    const family = isIP(host);
    let addresses: Array<{ address: string; family: number }>;
    if (family) addresses = [{ address: host, family }];
    else {
      addresses = await abortable(this.resolve(host), signal).catch((error: NodeJS.ErrnoException) => {
        if (signal.aborted) throw error;
        throw new OutboundError('not-public', `${host} could not be resolved (${error.code ?? error.message})`);
      });
    }
    if (addresses.length === 0) throw new OutboundError('not-public', `${host} has no address`);
    const verdict = this.rules.judge(
      host,
      port,
      addresses.map((a) => a.address),
    );
    if (!verdict.allowed) throw new OutboundError(verdict.why, verdict.detail);
    return addresses;
  }

  private async read(url: string, response: IncomingMessage, options: DownloadOptions): Promise<Downloaded> {
    const announced = Number(response.headers['content-length']);
    if (announced > options.maxBytes) {
      response.destroy();
      throw new OutboundError('too-large', `${url} announced ${announced} bytes`);
    }
    let bytes = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        response.destroy();
        throw new OutboundError('too-large', `${url} sent more than ${options.maxBytes} bytes`);
      }
      options.onChunk(chunk);
    }
    if (!response.complete)
      throw new OutboundError('unreachable', `${url}: the connection closed before the body ended`);
    return { url, bytes, contentType: response.headers['content-type'] };
  }
}

/** A `lookup` for the socket that answers only the addresses already checked (no second DNS query). */
function pinnedLookup(addresses: Array<{ address: string; family: number }>): LookupFunction {
  return (_host, options, callback) => {
    const wanted = addresses.filter((a) => !options.family || a.family === options.family);
    if (wanted.length === 0) {
      callback(Object.assign(new Error('no checked address of the wanted family'), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    if (options.all) (callback as unknown as (error: null, all: typeof wanted) => void)(null, wanted);
    else callback(null, wanted[0]!.address, wanted[0]!.family);
  };
}

/** `promise`, or a rejection as soon as `signal` aborts (a DNS lookup itself cannot be cancelled). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
