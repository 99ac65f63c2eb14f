// The operator's say over where requests on a user's behalf may go (OUTBOUND_ALLOW_HOSTS, OUTBOUND_DENY_HOSTS),
// on top of the rule that only public internet addresses are reached (ip-ranges.ts). An entry is a host name
// (`samples.internal`), a domain with its subdomains (`.example.com`), an IP address or a CIDR (`10.1.0.0/16`,
// `fd00::/8`), each with an optional port (`samples.internal:8443`, `[fd00::1]:443`; a bare IPv6 entry takes
// no port). Allowing lets a non-public address through; denying refuses even a public one, and wins.
import { inCidr, parseCidr, parseIp, refusedRange, type Cidr } from './ip-ranges.js';

type Rule = { port?: number } & (
  | { kind: 'network'; cidr: Cidr }
  | { kind: 'host'; name: string; withSubdomains: boolean }
);

const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function parseRule(entry: string, setting: string): Rule {
  let target = entry;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) [, target = '', portText] = bracketed;
  else if (entry.split(':').length === 2) [target = '', portText] = entry.split(':');
  const port = portText === undefined ? undefined : Number(portText);
  const invalid = () =>
    new Error(
      `${setting}: "${entry}" is not a host name, .domain, IP address or CIDR (with an optional :port), e.g. samples.internal, .example.com, 10.1.2.3, 10.0.0.0/8, [fd00::1]:443`,
    );
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw invalid();
  const cidr = parseCidr(target);
  if (cidr) return { kind: 'network', cidr, port };
  const name = target.toLowerCase().replace(/\.$/, '');
  const withSubdomains = name.startsWith('.');
  if (!HOST_NAME.test(withSubdomains ? name.slice(1) : name)) throw invalid();
  return { kind: 'host', name: withSubdomains ? name.slice(1) : name, withSubdomains, port };
}

/** Comma-separated entries; throws, naming the setting and the entry, on one that is none of the above. */
export function parseOutboundRules(entries: readonly string[], setting: string): Rule[] {
  return entries
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => parseRule(entry, setting));
}

export type Verdict = { allowed: true } | { allowed: false; why: 'denied' | 'not-public'; detail: string };

export class OutboundRules {
  private readonly allow: Rule[];
  private readonly deny: Rule[];

  constructor(allow: readonly string[], deny: readonly string[]) {
    this.allow = parseOutboundRules(allow, 'OUTBOUND_ALLOW_HOSTS');
    this.deny = parseOutboundRules(deny, 'OUTBOUND_DENY_HOSTS');
  }

  /** Whether a URL's host (as written, lower-case, no brackets), on `port`, resolved to `addresses`, may be reached: every address must be. */
  judge(host: string, port: number, addresses: readonly string[]): Verdict {
    for (const address of addresses) {
      if (this.deny.some((rule) => matches(rule, host, port, address)))
        return { allowed: false, why: 'denied', detail: `${host} (${address}) is denied by OUTBOUND_DENY_HOSTS` };
    }
    for (const address of addresses) {
      const range = refusedRange(address);
      if (range && !this.allow.some((rule) => matches(rule, host, port, address)))
        return { allowed: false, why: 'not-public', detail: `${host} resolves to ${address} (${range})` };
    }
    return { allowed: true };
  }

  /** A host name denied before it is even looked up (so a denied name is not resolved at all). */
  deniedName(host: string, port: number): boolean {
    return this.deny.some((rule) => rule.kind === 'host' && matches(rule, host, port, undefined));
  }
}

function matches(rule: Rule, host: string, port: number, address: string | undefined): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  if (rule.kind === 'host') return host === rule.name || (rule.withSubdomains && host.endsWith(`.${rule.name}`));
  const bytes = address === undefined ? undefined : parseIp(address);
  return bytes !== undefined && inCidr(bytes, rule.cidr);
}
