// The guarded fetch (src/platform/outbound-fetch.ts) below the API: which addresses are public
// (ip-ranges.ts), what the operator's allow and deny entries mean (outbound-rules.ts), and, against local
// https listeners, that the socket goes to the address that was checked, that TLS is verified for the URL's
// host name, and the timeouts. The same rules end to end, through createLounge, are in
// test/contract/lounge/voice-cloning.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundConfig } from '../../src/config.js';
import { refusedRange } from '../../src/platform/ip-ranges.js';
import { OutboundError, OutboundFetch } from '../../src/platform/outbound-fetch.js';
import { OutboundRules } from '../../src/platform/outbound-rules.js';
import {
  startHttpsListener,
  testCertificates,
  untrustedCertificate,
  type HttpsListener,
} from '../helpers/https-listener.js';

describe('public addresses (ip-ranges.ts)', () => {
  it.each([
    ['0.0.0.0', 'this network (unspecified)'],
    ['0.1.2.3', 'this network (unspecified)'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.127.255.254', 'shared address space (CGNAT)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.1', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved (and broadcast)'],
    ['255.255.255.255', 'reserved (and broadcast)'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::127.0.0.1', 'NAT64 of loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of link-local (cloud metadata)'],
    ['64:ff9b:1::1', 'NAT64 local use'],
    ['100::1', 'discard-only'],
    ['fc00::1', 'unique local (private)'],
    ['fd12:3456::1', 'unique local (private)'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'IETF protocol assignments (Teredo included)'],
    ['2002:7f00:1::1', '6to4'],
    ['3fff::1', 'documentation'],
    ['4000::1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['::2', 'IPv4-compatible'],
    ['example.com', 'not an IP address'],
    ['1.2.3', 'not an IP address'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '93.184.216.34',
    '100.63.255.255',
    '100.128.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.169.0.1',
    '198.17.255.255',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '64:ff9b::808:808',
    '2001:200::1',
  ])('lets %s through', (address) => {
    expect(refusedRange(address)).toBeUndefined();
  });
});

describe("the operator's entries (outbound-rules.ts)", () => {
  it('allows a non-public address by address, CIDR, host or domain, and only on the port given', () => {
    const rules = new OutboundRules(
      ['10.1.2.3', '192.168.0.0/16:8443', 'samples.internal', '.corp.example', '[fd00::/8]:443'],
      [],
    );
    expect(rules.judge('10.1.2.3', 443, ['10.1.2.3'])).toEqual({ allowed: true });
    expect(rules.judge('x', 8443, ['192.168.7.7'])).toEqual({ allowed: true });
    expect(rules.judge('x', 443, ['192.168.7.7'])).toMatchObject({ allowed: false, why: 'not-public' });
    expect(rules.judge('samples.internal', 443, ['10.9.9.9'])).toEqual({ allowed: true });
    expect(rules.judge('a.b.corp.example', 443, ['10.9.9.9', '172.16.0.1'])).toEqual({ allowed: true });
    expect(rules.judge('corp.example', 443, ['10.9.9.9'])).toEqual({ allowed: true });
    expect(rules.judge('notcorp.example', 443, ['10.9.9.9'])).toMatchObject({ allowed: false, why: 'not-public' });
    expect(rules.judge('v6', 443, ['fd00::5'])).toEqual({ allowed: true });
    expect(rules.judge('v6', 80, ['fd00::5'])).toMatchObject({ allowed: false });
  });

  it('checks every address: one refused address refuses the host', () => {
    const rules = new OutboundRules([], []);
    expect(rules.judge('mixed.example', 443, ['93.184.216.34', '127.0.0.1'])).toEqual({
      allowed: false,
      why: 'not-public',
      detail: 'mixed.example resolves to 127.0.0.1 (loopback)',
    });
  });

  it('denies public hosts by name, domain or network; a denial wins over an allowance', () => {
    const rules = new OutboundRules(
      ['10.0.0.0/8', 'both.example'],
      ['.blocked.example', '93.184.216.0/24', 'both.example'],
    );
    expect(rules.deniedName('cdn.blocked.example', 443)).toBe(true);
    expect(rules.judge('ok.example', 443, ['93.184.216.34'])).toMatchObject({ allowed: false, why: 'denied' });
    expect(rules.judge('both.example', 443, ['10.0.0.1'])).toMatchObject({ allowed: false, why: 'denied' });
    expect(rules.judge('ok.example', 443, ['1.1.1.1'])).toEqual({ allowed: true });
  });

  it('refuses an entry that is none of the kinds, naming the setting and the entry', () => {
    for (const entry of [
      'http://x.example',
      '10.0.0.0/33',
      'a..b',
      'host:0',
      'host:99999',
      '*.example.com',
      '10.0.0.1/8/1',
    ]) {
      expect(() => new OutboundRules([entry], []), entry).toThrow(
        `OUTBOUND_ALLOW_HOSTS: "${entry}" is not a host name`,
      );
    }
    expect(() => new OutboundRules([], ['a b'])).toThrow('OUTBOUND_DENY_HOSTS: "a b"');
  });
});

describe('the guarded fetch against local listeners', () => {
  let trusted: HttpsListener;
  let untrusted: HttpsListener;
  const config = (overrides: Partial<OutboundConfig> = {}): OutboundConfig => ({
    allowHosts: [`127.0.0.1:${trusted.port}`],
    denyHosts: [],
    connectTimeoutMs: 1000,
    timeoutMs: 3000,
    ca: testCertificates().ca,
    ...overrides,
  });
  const download = async (fetcher: OutboundFetch, url: string, maxBytes = 1024 * 1024) => {
    let received = 0;
    const done = await fetcher.download(url, {
      maxBytes,
      onChunk: (chunk) => {
        received += chunk.length;
      },
    });
    return { ...done, received };
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => 'succeeded',
      (error: unknown) => (error instanceof OutboundError ? error.failure : String(error)),
    );

  beforeAll(async () => {
    trusted = await startHttpsListener((req, res) => {
      if (req.url === '/hang') return; // answers nothing
      if (req.url === '/slow') {
        res.writeHead(200);
        const timer = setInterval(() => res.write('x'), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
    });
    untrusted = await startHttpsListener((_req, res) => res.writeHead(200).end('hello'), untrustedCertificate());
  });
  afterAll(async () => {
    await trusted?.close();
    await untrusted?.close();
  });

  it('connects to the address it checked: a name the system cannot resolve is reached through the checked answer, looked up once, its certificate verified for the name', async () => {
    const lookups: string[] = [];
    const fetcher = new OutboundFetch(config({ allowHosts: ['samples.test'] }), async (host) => {
      lookups.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    });
    expect(await download(fetcher, `https://samples.test:${trusted.port}/file`)).toMatchObject({
      bytes: 5,
      received: 5,
      contentType: 'text/plain',
    });
    expect(lookups).toEqual(['samples.test']);
  });

  it('verifies TLS: an untrusted certificate, or one for another name, fails without the system store turned off', async () => {
    const fetcher = new OutboundFetch(
      config({ allowHosts: [`127.0.0.1:${untrusted.port}`, 'other.test'] }),
      async () => [{ address: '127.0.0.1', family: 4 }],
    );
    expect(await failure(download(fetcher, `${untrusted.origin}/file`))).toBe('unreachable');
    expect(await failure(download(fetcher, `https://other.test:${trusted.port}/file`))).toBe('unreachable'); // the certificate names samples.test, not other.test
    expect(await failure(download(new OutboundFetch(config({ ca: undefined })), `${trusted.origin}/file`))).toBe(
      'unreachable',
    ); // without the test authority
  });

  it('refuses a host whose addresses are not all public, before connecting', async () => {
    const before = trusted.connections;
    const fetcher = new OutboundFetch(config({ allowHosts: [] }), async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
    expect(await failure(download(fetcher, `https://mixed.test:${trusted.port}/file`))).toBe('not-public');
    expect(await failure(download(fetcher, `${trusted.origin}/file`))).toBe('not-public');
    const unresolvable = new OutboundFetch(config(), async () => {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    });
    expect(await failure(download(unresolvable, 'https://nowhere.test/file'))).toBe('not-public');
    expect(trusted.connections).toBe(before);
  });

  it('times out: a server that never answers (connect timeout), a body that never ends (total timeout)', async () => {
    const fetcher = new OutboundFetch(config({ connectTimeoutMs: 300, timeoutMs: 1200 }));
    const started = Date.now();
    expect(await failure(download(fetcher, `${trusted.origin}/hang`))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1100);
    expect(await failure(download(fetcher, `${trusted.origin}/slow`))).toBe('timeout');
  });

  it("is stopped by its caller's signal with the signal's reason", async () => {
    const fetcher = new OutboundFetch(config({ timeoutMs: 10_000 }));
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error('stopping')), 200);
    await expect(
      fetcher.download(`${trusted.origin}/slow`, { maxBytes: 1e6, onChunk: () => undefined, signal: stop.signal }),
    ).rejects.toThrow('stopping');
  });
});
