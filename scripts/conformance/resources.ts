// Real resources for the ids a path names. The creator of `{x}` in `/a/{p}/b/{x}/...` is the POST on the
// collection in front of it (`/a/{p}/b`) whose success body has an `id`; its own path ids are resolved the
// same way first, so a nested id belongs to its parent. With no creator, or one that does not answer 2xx
// (e.g. 501, not built yet), the id is a random UUID and the report says so.
import type { ContractModel, JsonObject, OpSpec } from './contract.js';
import { paramNames, segments } from './contract.js';
import { credentialHeaders, type Identities, type User } from './auth.js';
import { inputErrors, positiveInputs, serverView, wireValue, type Inputs } from './generate.js';
import type { Exchange, HttpClient, WireRequest } from './http.js';
import { uuidFrom, type Rng } from './random.js';

export interface Created {
  creator: OpSpec;
  id: string;
  owner: User;
  /** Path values the creator was called with (the parents). */
  parents: Record<string, string>;
}

export interface Resolved {
  path: Record<string, string>;
  /** For each path parameter: the resource behind it, or why it is a random UUID. */
  sources: Record<string, Created | string>;
}

/** The collection path in front of `{param}` in a path template. */
export function collectionOf(path: string, param: string): string | undefined {
  const parts = segments(path);
  const index = parts.indexOf(`{${param}}`);
  return index > 0 ? `/${parts.slice(0, index).join('/')}` : undefined;
}

/** A POST whose success body has a top-level `id`: it creates something a path can name. */
export function createsWithId(op: OpSpec): boolean {
  return (
    op.method === 'POST' &&
    Object.values(op.responses).some(
      (r) => r.status.startsWith('2') && Boolean((r.schema?.properties as JsonObject | undefined)?.id),
    )
  );
}

export class Resources {
  private cache = new Map<string, Created | string>();
  /** Every helper request made while creating resources (checked for 5xx by the runner). */
  readonly helperExchanges: Array<{ op: OpSpec; exchange: Exchange }> = [];

  constructor(
    private readonly contract: ContractModel,
    private readonly http: HttpClient,
    private readonly identities: Identities,
  ) {}

  /** Forget everything: each operation starts with resources of its own. */
  reset(): void {
    this.cache.clear();
    this.helperExchanges.length = 0;
  }

  creatorFor(path: string, param: string): OpSpec | undefined {
    const collection = collectionOf(path, param);
    if (!collection) return undefined;
    const op = this.contract.find('POST', collection);
    return op && createsWithId(op) ? op : undefined;
  }

  /**
   * Real ids for every path parameter of `op`, owned by `owner`. `fresh`: create new ones rather than
   * reuse this operation's (for a DELETE, whose success consumes the resource).
   */
  async resolve(op: OpSpec, inputs: Inputs, owner: User, rng: Rng, fresh = false): Promise<Resolved> {
    const path: Record<string, string> = {};
    const sources: Record<string, Created | string> = {};
    for (const name of paramNames(op.path)) {
      const spec = op.params.find((p) => p.in === 'path' && p.name === name);
      const given = inputs.path[name];
      // A parameter naming a user is the owner's own id: the one user id the suite is sure exists.
      if (/^user_?id$/i.test(name)) {
        path[name] = owner.id;
        sources[name] = `the id of user ${owner.label}`;
        continue;
      }
      const creator = this.creatorFor(op.path, name);
      if (!creator) {
        path[name] =
          typeof given === 'string' ? given : spec?.schema.format === 'uuid' ? uuidFrom(rng) : String(given ?? 'x');
        sources[name] = 'no creator operation in the contract: random value';
        continue;
      }
      const parents = Object.fromEntries(paramNames(creator.path).map((p) => [p, path[p]!]));
      const key = `${owner.label}|${creator.id}|${JSON.stringify(parents)}`;
      let source = fresh ? undefined : this.cache.get(key);
      if (!source) {
        source = await this.create(creator, parents, owner, rng);
        if (!fresh || typeof source === 'string') this.cache.set(key, source);
      }
      path[name] = typeof source === 'string' ? uuidFrom(rng) : source.id;
      sources[name] = source;
    }
    return { path, sources };
  }

  /** For a list whose collection has a creator: `count` items in it, so pages and filters have data. */
  async populate(list: OpSpec, path: Record<string, string>, owner: User, rng: Rng, count = 2): Promise<void> {
    if (list.method !== 'GET') return;
    const creator = this.contract.find('POST', list.path);
    if (!creator || !createsWithId(creator)) return;
    const parents = Object.fromEntries(paramNames(creator.path).map((p) => [p, path[p]!]));
    for (let i = 0; i < count; i++) if (typeof (await this.create(creator, parents, owner, rng)) === 'string') return;
  }

  /** Calls the creator with valid inputs (its examples first); a reason string when it does not create. */
  private async create(
    creator: OpSpec,
    parents: Record<string, string>,
    owner: User,
    rng: Rng,
  ): Promise<Created | string> {
    const credential = creator.auth === 'none' ? undefined : this.identities.preferred(owner, creator.schemes);
    let last = '';
    for (const { inputs } of positiveInputs(creator, rng, 3)) {
      inputs.path = { ...parents };
      if (inputErrors(creator, inputs).length) continue;
      const request = buildRequest(creator, inputs, credentialHeaders(credential));
      const exchange = await this.http.send(request);
      this.helperExchanges.push({ op: creator, exchange });
      const id = (exchange.json as { id?: unknown } | undefined)?.id;
      if (exchange.status >= 200 && exchange.status < 300 && typeof id === 'string')
        return { creator, id, owner, parents };
      last = `creator ${creator.id} answered ${exchange.status}: random UUID`;
      if (exchange.status === 501) break;
    }
    return last || `creator ${creator.id} had no valid input: random UUID`;
  }
}

/** The wire form of valid inputs, with the given credential headers. */
export function buildRequest(op: OpSpec, inputs: Inputs, authHeaders: Record<string, string>): WireRequest {
  let target = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(String(inputs.path[name] ?? '')),
  );
  const query = Object.entries(serverView(inputs.query)).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(String(v))}`),
  );
  if (query.length) target += `?${query.join('&')}`;
  const headers: Record<string, string> = { ...authHeaders };
  for (const [name, value] of Object.entries(inputs.header)) {
    const wire = wireValue(value);
    if (wire) headers[name] = wire.join(',');
  }
  let body: string | undefined;
  if (inputs.body !== undefined && op.body) {
    body = JSON.stringify(inputs.body);
    headers['Content-Type'] = op.body.mediaType;
  }
  return { method: op.method, target, headers, body };
}
