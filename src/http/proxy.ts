// Which `X-Forwarded-*` entries to believe (TRUST_PROXY). Each proxy in front of the server appends what it saw
// to the right of what reached it, so the rightmost `hops` entries are the trusted proxies' own and everything
// to their left was written by the client. The client's address, scheme and host are therefore the entries the
// outermost trusted proxy wrote: `hops` from the right. Koa (with `proxy: true` alone) reads the leftmost entry
// of each header, the one a client can write; here its `ip` comes from the right (`maxIpsCount`), and so do
// `protocol` (Secure cookies) and `host` (absolute URLs such as audio links). A proxy that overwrites a header
// instead of appending leaves one entry, which is then the one read.
import type Koa from 'koa';

/** The entry `hops` from the right of a comma-separated header (the leftmost when there are fewer). */
export function trustedEntry(value: string | undefined, hops: number): string | undefined {
  if (!value) return undefined;
  const entries = value.split(',').map((entry) => entry.trim());
  return entries[Math.max(0, entries.length - hops)] || undefined;
}

/** Makes `app` read the client's address, scheme and host through `hops` trusted proxies (0: none, headers ignored). */
export function trustProxies(app: Koa, hops: number): void {
  app.proxy = hops > 0;
  if (hops === 0) return;
  app.maxIpsCount = hops;
  const base = Object.getPrototypeOf(app.request) as object;
  const koaHost = Object.getOwnPropertyDescriptor(base, 'host')!.get!;
  Object.defineProperties(app.request, {
    protocol: {
      get(this: Koa.Request) {
        if ((this.socket as { encrypted?: boolean }).encrypted) return 'https';
        return trustedEntry(this.get('X-Forwarded-Proto'), hops)?.toLowerCase() ?? 'http';
      },
    },
    host: {
      get(this: Koa.Request) {
        const forwarded = this.get('X-Forwarded-Host');
        // Without the header, Koa's own reading of Host (or HTTP/2's :authority).
        return forwarded ? (trustedEntry(forwarded, hops) ?? '') : koaHost.call(this);
      },
    },
  });
}
