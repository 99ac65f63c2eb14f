// Which IP addresses a request on a user's behalf may reach: the public internet only. An address is refused
// when it is in a range that is not globally reachable (IANA's IPv4 and IPv6 special-purpose registries), named
// so a log line says why. Addresses are compared as bytes, so every spelling of one address (`127.1`,
// `::ffff:7f00:1`, `0:0::1`) is judged the same.
//
// Addresses that embed an IPv4 address:
// - IPv4-mapped (`::ffff:0:0/96`) and IPv4-compatible (`::/96`) are refused outright: no public host publishes
//   them, and a socket to one reaches the embedded IPv4 address.
// - NAT64's well-known prefix (`64:ff9b::/96`) is judged by its embedded IPv4 address: on an IPv6-only network
//   with DNS64 every IPv4-only host is reached through it, and through it `64:ff9b::a00:1` reaches 10.0.0.1.
// - 6to4 (`2002::/16`, deprecated by RFC 7526, routed through relays nobody here controls), Teredo and the rest
//   of `2001::/23` are refused outright.
// Outside `2000::/3` (global unicast) nothing is allocated to public hosts, so everything else is refused.
import { isIP } from 'node:net';

/** An address as its 4 or 16 bytes. */
export type IpBytes = Uint8Array;

export interface Cidr {
  bytes: IpBytes;
  prefix: number;
}

function parseIpv4(text: string): IpBytes | undefined {
  if (isIP(text) !== 4) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

function parseIpv6(text: string): IpBytes | undefined {
  const address = text.replace(/%.*$/, ''); // a zone (fe80::1%eth0) does not change the range
  if (isIP(address) !== 6) return undefined;
  let head = address;
  const bytes = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  let tailBytes: number[] = [];
  if (v4) {
    tailBytes = [...parseIpv4(v4[1]!)!];
    head = `${address.slice(0, -v4[1]!.length)}0:0`; // two placeholder groups, replaced below
  }
  const [left, right] = head.includes('::') ? (head.split('::') as [string, string]) : [head, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const leftGroups = groups(left);
  const rightGroups = groups(right);
  const all =
    right === undefined
      ? leftGroups
      : [...leftGroups, ...new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0), ...rightGroups];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  if (v4) bytes.set(tailBytes, 12);
  return bytes;
}

/** The address's bytes, or undefined when `text` is not an IP address (IPv6 may be in brackets). */
export function parseIp(text: string): IpBytes | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return parseIpv4(bare) ?? parseIpv6(bare);
}

/** `10.0.0.0/8`, `fd00::/8`, or one address (a /32 or /128); undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (prefixText === undefined) return { bytes, prefix: max };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { bytes, prefix: Number(prefixText) };
}

export function inCidr(bytes: IpBytes, cidr: Cidr): boolean {
  if (bytes.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit += 8) {
    const mask = cidr.prefix - bit >= 8 ? 0xff : (0xff << (8 - (cidr.prefix - bit))) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (cidr.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

const ranges = (list: Array<[string, string]>) => list.map(([cidr, name]) => ({ cidr: parseCidr(cidr)!, name }));

const IPV4_REFUSED = ranges([
  ['0.0.0.0/8', 'this network (unspecified)'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared address space (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (and broadcast)'],
]);

const IPV6_BEFORE_GLOBAL = ranges([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['::/96', 'IPv4-compatible'],
  ['64:ff9b:1::/48', 'NAT64 local use'],
  ['100::/64', 'discard-only'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);
const NAT64 = parseCidr('64:ff9b::/96')!;
const GLOBAL_UNICAST = parseCidr('2000::/3')!;
const IPV6_IN_GLOBAL_REFUSED = ranges([
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'IETF protocol assignments (Teredo included)'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
]);

/**
 * Why `address` is not a public internet address (the range's name), or undefined when it is one. Anything
 * that is not an IP address at all is refused too.
 */
export function refusedRange(address: string): string | undefined {
  const bytes = parseIp(address);
  if (!bytes) return 'not an IP address';
  return bytes.length === 4 ? refusedIpv4(bytes) : refusedIpv6(bytes);
}

function refusedIpv4(bytes: IpBytes): string | undefined {
  return IPV4_REFUSED.find((r) => inCidr(bytes, r.cidr))?.name;
}

function refusedIpv6(bytes: IpBytes): string | undefined {
  const named = IPV6_BEFORE_GLOBAL.find((r) => inCidr(bytes, r.cidr));
  if (named) return named.name;
  if (inCidr(bytes, NAT64)) {
    const embedded = refusedIpv4(bytes.slice(12));
    return embedded && `NAT64 of ${embedded}`;
  }
  if (!inCidr(bytes, GLOBAL_UNICAST)) return 'reserved';
  return IPV6_IN_GLOBAL_REFUSED.find((r) => inCidr(bytes, r.cidr))?.name;
}
