// The suite: boot the app, make identities, then for every operation send valid requests, negative and
// robustness cases, and credential variants, and run every check on what comes back. Operations run one
// after another with their own PRNG stream and their own resources, so a run is reproducible per operation.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readContract, paramNames, type ContractModel, type Json, type OpSpec } from './contract.js';
import { bootServer } from './server.js';
import { HttpClient, toCurl, type Exchange, type WireRequest } from './http.js';
import { Identities, credentialHeaders, type Credential, type User } from './auth.js';
import { Memberships } from './memberships.js';
import { Resources, buildRequest, collectionOf, createsWithId, type Resolved } from './resources.js';
import { inputErrors, positiveInputs, type Inputs } from './generate.js';
import { applyRaw, negativeCases, type Case } from './negative.js';
import { rngFor, type Rng } from './random.js';
import {
  Recorder,
  contentType,
  countOf,
  headers as headerCheck,
  is2xx,
  is4xx,
  mustBeRefused,
  notServerError,
  roundTrip,
  schema as schemaCheck,
  statusDocumented,
  type CheckName,
  type Failure,
  type OpState,
  type Outcome,
  type Tally,
} from './checks.js';

export interface SuiteOptions {
  seed: number;
  /** Valid requests per operation (examples first, then generated). */
  budget: number;
  database: 'pglite' | 'postgres';
  databaseUrl?: string;
  /** Only these operationIds. */
  operations?: string[];
  pgliteTemplate?: string;
  progress?: (line: string) => void;
}

export interface OpReport {
  id: string;
  method: string;
  path: string;
  requests: number;
  ms: number;
  unbuilt: boolean;
  /** What the run learnt about the operation that is not a pass or a failure (auth order, id sources). */
  notes: string[];
}

export interface SuiteResult {
  options: Omit<SuiteOptions, 'progress'>;
  database: string;
  ops: OpReport[];
  tallies: Map<string, Map<CheckName, Tally>>;
  failures: Failure[];
  totalRequests: number;
  wallMs: number;
}

/** The admin the server creates at start (ADMIN_EMAILS, ADMIN_PASSWORD): no request can make one. */
const ADMIN = { email: 'conformance-admin@example.com', password: `pw-${randomBytes(9).toString('hex')}` };
const HEALTH_PATH = '/healthz';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** CONFORMANCE_TRACE=1: every request the suite makes for an operation, with its status, on stderr. */
const TRACE = process.env.CONFORMANCE_TRACE === '1';

interface Expectation {
  check: CheckName;
  evaluate(state: OpState): Outcome | undefined;
}

/** The input the phases after the positive one build on, and whether user A's request with it succeeded. */
interface Base {
  inputs: Inputs;
  resolved: Resolved;
  accepted: boolean;
}

interface Sent {
  name: string;
  exchange: Exchange;
  credential?: Credential;
  expectations: Expectation[];
}

export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = performance.now();
  const root = join(import.meta.dirname, '..', '..');
  const contract = readContract(root);
  const selected = options.operations?.length
    ? contract.ops.filter((op) => options.operations!.includes(op.id))
    : contract.ops;
  if (options.operations?.length && selected.length !== options.operations.length) {
    const unknown = options.operations.filter((id) => !contract.ops.some((op) => op.id === id));
    throw new Error(`unknown operation(s): ${unknown.join(', ')}`);
  }
  const server = await bootServer({
    database: options.database,
    databaseUrl: options.databaseUrl,
    pgliteTemplate: options.pgliteTemplate,
    admin: ADMIN,
  });
  const recorder = new Recorder();
  const reports: OpReport[] = [];
  const http = new HttpClient(server.baseUrl);
  try {
    options.progress?.(`server: ${server.describe} at ${server.baseUrl}`);
    const identities = await Identities.create(http, contract, server.knex, ADMIN, options.seed);
    const resources = new Resources(contract, http, identities);
    for (const [index, op] of selected.entries()) {
      const run = new OperationRun(op, contract, http, identities, resources, recorder, options);
      const before = recorder.failures.length;
      const printed: string[] = [];
      const report = await capturingConsole(printed, () => run.execute());
      for (const [line, times] of tally(printed))
        report.notes.push(`the server printed ${JSON.stringify(line)}${times > 1 ? ` (${times} times)` : ''}`);
      reports.push(report);
      const failed = recorder.failures.length - before;
      options.progress?.(
        `[${String(index + 1).padStart(2)}/${selected.length}] ${op.id.padEnd(28)} ${String(report.requests).padStart(4)} requests ${(report.ms / 1000).toFixed(1).padStart(5)} s${report.unbuilt ? '  unbuilt (501)' : ''}${failed ? `  ${failed} failure(s)` : ''}`,
      );
    }
  } finally {
    await server.stop();
  }
  const { progress: _progress, ...rest } = options;
  return {
    options: rest,
    database: server.describe,
    ops: reports,
    tallies: recorder.tallies,
    failures: recorder.failures,
    totalRequests: http.total,
    wallMs: performance.now() - started,
  };
}

class OperationRun {
  private readonly rng: Rng;
  private readonly memberships: Memberships;
  private readonly owner: User;
  private readonly credential?: Credential;
  private readonly sent: Sent[] = [];
  private readonly notes: string[] = [];
  private state: OpState = { unbuilt: false, answered2xx: false };

  constructor(
    private readonly op: OpSpec,
    private readonly contract: ContractModel,
    private readonly http: HttpClient,
    private readonly identities: Identities,
    private readonly resources: Resources,
    private readonly recorder: Recorder,
    private readonly options: SuiteOptions,
  ) {
    this.rng = rngFor(options.seed, op.id);
    this.memberships = new Memberships(contract, http);
    this.owner = op.roles.includes('admin') ? identities.users.admin : identities.users.A;
    this.credential = op.auth === 'none' ? undefined : identities.preferred(this.owner, op.schemes);
  }

  async execute(): Promise<OpReport> {
    const started = performance.now();
    this.http.count = 0;
    this.resources.reset();
    try {
      const base = await this.positivePhase();
      await this.negativePhase(base);
      if (this.op.auth === 'required') {
        await this.authPhase(base);
        await this.matrixPhase(base);
      }
    } catch (error) {
      this.recordFailure('server_alive', `request failed: ${(error as Error).message}`, undefined, 'suite');
    }
    this.evaluate();
    if (this.state.unbuilt) this.describeUnbuilt();
    await this.checkAlive();
    // Only a write that succeeded can have revoked a credential (sign-out does, by design).
    const renewed =
      WRITES.has(this.op.method) && this.state.answered2xx
        ? await this.identities.renew().catch(() => [] as string[])
        : [];
    if (renewed.length) this.notes.push(`revoked credentials it was sent (renewed: ${renewed.join(', ')})`);
    return {
      id: this.op.id,
      method: this.op.method,
      path: this.op.path,
      requests: this.http.count,
      ms: performance.now() - started,
      unbuilt: this.state.unbuilt,
      notes: this.notes,
    };
  }

  // ---- phases ------------------------------------------------------------------------------------

  /** Valid requests; returns the input the other phases build on (the richest one that got a 2xx). */
  private async positivePhase(): Promise<Base | undefined> {
    const positives = positiveInputs(this.op, this.rng, this.options.budget);
    if (positives.length === 0) this.notes.push('no valid input could be generated');
    const answered: Array<{ inputs: Inputs; resolved: Resolved; status: number }> = [];
    let populated = false;
    for (const positive of positives) {
      const resolved = await this.resources.resolve(
        this.op,
        positive.inputs,
        this.owner,
        this.rng,
        this.op.method === 'DELETE',
      );
      const inputs = { ...positive.inputs, path: resolved.path };
      if (!populated) {
        // A list with nothing in it hides what paging and filters do: give it a few items first.
        populated = true;
        await this.resources.populate(this.op, resolved.path, this.owner, this.rng);
      }
      const exchange = await this.send(
        positive.name,
        buildRequest(this.op, inputs, credentialHeaders(this.credential)),
        this.credential,
      );
      answered.push({ inputs, resolved, status: exchange.status });
      await this.afterSuccess(exchange, inputs, this.credential, positive.name);
    }
    for (const [name, source] of Object.entries(answered[0]?.resolved.sources ?? {})) {
      this.notes.push(`{${name}}: ${typeof source === 'string' ? source : `created with ${source.creator.id}`}`);
    }
    this.state = {
      answered2xx: answered.some((a) => is2xx(a.status)),
      unbuilt: answered.some((a) => a.status === 501) && !answered.some((a) => is2xx(a.status)),
    };
    // The accepted input with the most members: the negative cases then cover the most fields.
    const accepted = answered.filter((a) => is2xx(a.status));
    const pick = accepted.sort((a, b) => leafCount(b.inputs) - leafCount(a.inputs))[0] ?? answered[0];
    if (!pick) return undefined;
    // A DELETE's valid requests consumed their resources: the other phases get this operation's own.
    const resolved =
      this.op.method === 'DELETE'
        ? await this.resources.resolve(this.op, pick.inputs, this.owner, this.rng)
        : pick.resolved;
    return { inputs: { ...pick.inputs, path: resolved.path }, resolved, accepted: is2xx(pick.status) };
  }

  private async negativePhase(base: { inputs: Inputs; resolved: Resolved } | undefined): Promise<void> {
    if (!base) return;
    const counter = await this.writeCounter(base.inputs);
    const baselines = new Map<string, Exchange>();
    for (const c of negativeCases(this.op, base.inputs)) {
      const request = applyRaw(this.op, buildRequest(this.op, c.inputs, credentialHeaders(this.credential)), c.raw);
      const expectations: Expectation[] = [];
      const exchange = await this.send(c.name, request, this.credential, expectations);
      this.expectationsFor(c, exchange, expectations);
      if (c.expect.kind === 'absent') {
        const param = c.expect.param;
        let baseline = baselines.get(param);
        if (!baseline) {
          // Like the case itself: only the required parameters next to it.
          const required = new Set(
            this.op.params.filter((p) => p.in === 'query' && p.required && p.name !== param).map((p) => p.name),
          );
          const without = {
            ...base.inputs,
            query: Object.fromEntries(Object.entries(base.inputs.query).filter(([n]) => required.has(n))),
          };
          baseline = await this.send(
            `${c.name} (baseline: ${param} left out)`,
            buildRequest(this.op, without, credentialHeaders(this.credential)),
            this.credential,
          );
          baselines.set(param, baseline);
        }
        expectations.push({
          check: 'empty_enum_value',
          evaluate: () => emptyMeansAbsent(exchange, baseline!, c.expect.kind === 'absent' && c.expect.strict),
        });
      }
      await this.afterSuccess(exchange, c.inputs, this.credential, c.name);
      await counter?.after(exchange, c.name);
    }
  }

  private async authPhase(base: { inputs: Inputs; resolved: Resolved } | undefined): Promise<void> {
    if (!base) return;
    const op = this.op;
    const counter = await this.writeCounter(base.inputs);
    const fresh = async () => {
      if (op.method !== 'DELETE') return base.inputs;
      const resolved = await this.resources.resolve(op, base.inputs, this.owner, this.rng, true);
      return { ...base.inputs, path: resolved.path };
    };
    const attempt = async (name: string, credential: Credential | undefined, inputs: Inputs) => {
      const exchange = await this.send(name, buildRequest(op, inputs, credentialHeaders(credential)), credential);
      await counter?.after(exchange, name);
      return exchange;
    };
    const mustBe = (name: string, exchange: Exchange, status: number, what: string) =>
      this.expectOn(name, exchange, 'auth_enforced', () =>
        exchange.status === status
          ? 'pass'
          : { fail: `${what}: expected ${status}, got ${exchange.status}: ${exchange.text.slice(0, 200)}` },
      );

    // Broken credentials: none, garbage under each scheme, an expired session, a revoked session and key.
    mustBe('auth.none', await attempt('auth.none', undefined, base.inputs), 401, 'no credential');
    for (const schemeName of op.schemes) {
      const scheme = this.identities.scheme(schemeName);
      const garbage: Credential = {
        label: `garbage ${schemeName}`,
        scheme,
        secret: `fuzz-garbage-${Math.floor(this.rng() * 1e12).toString(36)}`,
      };
      const name = `auth.garbage.${schemeName}`;
      mustBe(name, await attempt(name, garbage, base.inputs), 401, `a garbage ${schemeName} credential`);
    }
    const sessionScheme = op.schemes.find((s) => this.identities.scheme(s).kind !== 'header');
    const keyScheme = op.schemes.find((s) => this.identities.scheme(s).kind === 'header');
    const broken: Array<[string, string | undefined, string]> = [
      ['auth.expired_session', sessionScheme, this.identities.broken.expired],
      ['auth.revoked_session', sessionScheme, this.identities.broken.revokedSession],
      ['auth.revoked_api_key', keyScheme, this.identities.broken.revokedKey],
    ];
    for (const [name, schemeName, secret] of broken) {
      if (!schemeName) continue;
      const credential: Credential = {
        label: name.replace('auth.', '').replace(/_/g, ' '),
        scheme: this.identities.scheme(schemeName),
        secret,
      };
      mustBe(name, await attempt(name, credential, base.inputs), 401, credential.label);
    }

    if (op.roles.includes('admin')) {
      const nonAdmin = this.identities.preferred(this.identities.users.A, op.schemes);
      mustBe(
        'auth.non_admin',
        await attempt('auth.non_admin', nonAdmin, await fresh()),
        403,
        'a signed-in user who is not an admin',
      );
    }

    // Another user on the first user's resources: a write must not succeed unless the contract says
    // others may (its "Who may call" names any signed-in user).
    const owned = Object.values(base.resolved.sources).some((s) => typeof s !== 'string');
    if (WRITES.has(op.method) && owned && !othersMay(op)) {
      const other = this.identities.preferred(this.identities.users.B, op.schemes);
      const exchange = await attempt('auth.other_user', other, base.inputs);
      this.expectOn('auth.other_user', exchange, 'auth_enforced', (state) => {
        if (exchange.status === 501 && state.unbuilt) return 'unbuilt';
        return is2xx(exchange.status)
          ? { fail: `user B changed a resource of user A (${exchange.status}); who may call: "${op.whoMayCall}"` }
          : 'pass';
      });
    }

    // Every declared scheme authenticates the same way: same status as the preferred one.
    const preferred = this.credential!;
    const reference = await attempt(`auth.scheme.${preferred.scheme.name}`, preferred, await fresh());
    for (const schemeName of op.schemes) {
      if (schemeName === preferred.scheme.name) continue;
      const credential = this.identities.as(this.owner, schemeName);
      const name = `auth.scheme.${schemeName}`;
      const exchange = await attempt(name, credential, await fresh());
      this.expectOn(name, exchange, 'auth_schemes', () =>
        exchange.status === reference.status
          ? 'pass'
          : {
              fail: `${credential.label} answered ${exchange.status}, ${preferred.label} answered ${reference.status}`,
            },
      );
    }
    for (const scheme of this.contract.schemes.filter((s) => !op.schemes.includes(s.name))) {
      const credential = this.identities.as(this.owner, scheme.name);
      const name = `auth.undeclared.${scheme.name}`;
      mustBe(
        name,
        await attempt(name, credential, await fresh()),
        401,
        `${scheme.name}, which the operation does not declare`,
      );
    }
  }

  /**
   * The authorization matrix, from the operation's `x-who-may-call`: user B, whom its class does not admit, tries
   * it on user A's resources (its own, each time): as a stranger, and for rooms and communities as a removed
   * participant, a participant who left, a participant who is not the owner, a member who left. Anonymous callers
   * and non-admins are the auth phase's.
   */
  private async matrixPhase(base: Base | undefined): Promise<void> {
    const op = this.op;
    const rows = MATRIX[op.callers];
    if (!base || rows.length === 0) return;
    // Only an input user A was answered 2xx with says what user B's answer means.
    if (!base.accepted) {
      this.notes.push('authorization matrix: not run (no valid request was answered 2xx)');
      return;
    }
    const missing = this.memberships.missing();
    const B = this.identities.users.B;
    const asB = this.identities.preferred(B, op.schemes);
    for (const row of rows) {
      if (row.needs && missing.length) {
        this.notes.push(`authorization matrix: no ${row.name} row (the contract lacks ${missing.join(', ')})`);
        continue;
      }
      const resolved = await this.resources.resolve(op, base.inputs, this.owner, this.rng, true);
      const scope =
        row.needs === 'room' ? resolved.path.room_id : row.needs === 'community' ? resolved.path.id : undefined;
      const owned = row.needs
        ? typeof resolved.sources[row.needs === 'room' ? 'room_id' : 'id'] !== 'string'
        : Object.values(resolved.sources).some((s) => typeof s !== 'string');
      if (!owned) {
        this.notes.push(`authorization matrix: no ${row.name} row (no resource of user A to try it on)`);
        continue;
      }
      try {
        if ((await row.setup?.(this.memberships, scope!, this.owner, B)) === false) {
          this.notes.push(`authorization matrix: no ${row.name} row (user B could not join)`);
          continue;
        }
      } catch (error) {
        this.recordFailure(
          'authorization_matrix',
          `setting up "${row.name}": ${(error as Error).message}`,
          undefined,
          `authz.${row.name}`,
        );
        continue;
      }
      const name = `authz.${row.name}`;
      const exchange = await this.send(
        name,
        buildRequest(op, { ...base.inputs, path: resolved.path }, credentialHeaders(asB)),
        asB,
      );
      this.expectOn(name, exchange, 'authorization_matrix', (state) => {
        if (exchange.status === 501 && state.unbuilt) return 'unbuilt';
        const verdict = row.expect(exchange.status);
        return verdict === true
          ? 'pass'
          : {
              fail: `user B as ${row.name} answered ${exchange.status}, expected ${verdict} (x-who-may-call: ${op.callers}; who may call: "${op.whoMayCall}")`,
            };
      });
    }
  }

  /** For an unbuilt operation: what comes before its 501 (authentication, validation). */
  private describeUnbuilt(): void {
    const op = this.op;
    const statusOf = (name: string) => this.sent.find((s) => s.name === name)?.exchange.status;
    const invalid = this.sent.filter((s) => s.expectations.some((e) => e.check === 'negative_rejected'));
    const refused = invalid.filter((s) => is4xx(s.exchange.status)).length;
    const parts: string[] = [];
    if (op.auth === 'required') {
      const none = statusOf('auth.none');
      parts.push(
        `no credential -> ${none}${none === 401 ? ' (401 comes before 501)' : ' (auth is NOT checked before 501)'}`,
      );
      if (op.roles.includes('admin')) parts.push(`non-admin -> ${statusOf('auth.non_admin')}`);
    }
    if (invalid.length) parts.push(`invalid input refused before 501: ${refused}/${invalid.length}`);
    this.notes.push(`unbuilt: ${parts.join('; ')}`);
  }

  // ---- stateful checks ---------------------------------------------------------------------------

  /**
   * After a 2xx: a created resource must be readable (through the GET on it, or else listed by its
   * collection) and read back as sent; a deleted one must be gone from every GET that reads it.
   */
  private async afterSuccess(
    exchange: Exchange,
    inputs: Inputs,
    credential: Credential | undefined,
    name: string,
  ): Promise<void> {
    if (!is2xx(exchange.status)) return;
    const op = this.op;
    const record = (check: CheckName, outcome: Outcome | undefined, read: Exchange) =>
      this.recorder.record(op.id, check, outcome, () => this.failureContext(name, read, credential));
    const id = (exchange.json as { id?: unknown } | undefined)?.id;
    if (createsWithId(op) && typeof id === 'string') {
      record('round_trip', roundTrip(inputs.body, exchange.json, 'the create response'), exchange);
      const reader = this.contract.ops.find(
        (o) => o.method === 'GET' && new RegExp(`^${escapeRegExp(op.path)}/\\{[^}]+\\}$`).test(o.path),
      );
      if (reader) {
        const param = paramNames(reader.path).at(-1)!;
        const read = await this.followUp(reader, { ...inputs.path, [param]: id }, credential);
        if (read) {
          record(
            'resource_available',
            is2xx(read.status)
              ? 'pass'
              : read.status === 501
                ? 'unbuilt'
                : {
                    fail: `${reader.id} answered ${read.status} right after ${op.id} created ${id}: ${read.text.slice(0, 200)}`,
                  },
            read,
          );
          if (is2xx(read.status))
            record('round_trip', roundTrip(inputs.body, read.json, `${reader.id} after the create`), read);
        }
      } else {
        const list = this.contract.find('GET', op.path);
        const read = list ? await this.followUp(list, inputs.path, credential) : undefined;
        if (list && read && is2xx(read.status)) {
          record(
            'resource_available',
            read.text.includes(`"${id}"`)
              ? 'pass'
              : { fail: `${list.id} does not list ${id} right after ${op.id} created it` },
            read,
          );
        }
      }
    }
    if (op.method === 'DELETE') {
      const own = new Set(paramNames(op.path));
      const readers = this.contract.ops.filter(
        (o) =>
          o.method === 'GET' &&
          (o.path === op.path || o.path.startsWith(`${op.path}/`)) &&
          paramNames(o.path).every((p) => own.has(p)),
      );
      for (const reader of readers) {
        const read = await this.followUp(reader, inputs.path, credential);
        if (!read) continue;
        // A soft delete (x-soft-delete) archives: the resource stays; its own GET answers 2xx and no reader
        // may answer as if it were gone (other refusals, e.g. a 409 for the wrong kind of resource, stand).
        const gone = read.status === 404 || read.status === 410;
        const expected = !op.softDelete ? gone : reader.path === op.path ? is2xx(read.status) : !gone;
        record(
          'use_after_free',
          expected
            ? 'pass'
            : read.status === 501
              ? 'unbuilt'
              : {
                  fail: `${reader.id} answered ${read.status} after ${op.id} succeeded (expected ${op.softDelete ? 'it to stay readable: the contract marks it x-soft-delete' : '404'}): ${read.text.slice(0, 200)}`,
                },
          read,
        );
      }
      // The collection must not list it any more either.
      const last = paramNames(op.path).at(-1);
      const list = last ? this.contract.find('GET', collectionOf(op.path, last) ?? '') : undefined;
      const deleted = last ? String(inputs.path[last]) : '';
      const read = list ? await this.followUp(list, inputs.path, credential) : undefined;
      if (list && read && is2xx(read.status)) {
        record(
          'use_after_free',
          read.text.includes(`"${deleted}"`)
            ? { fail: `${list.id} still lists ${deleted} after ${op.id} succeeded` }
            : 'pass',
          read,
        );
      }
    }
  }

  /** A request to another operation, made by a check; only a crash counts against it. */
  private async followUp(
    reader: OpSpec,
    path: Record<string, Json>,
    credential: Credential | undefined,
  ): Promise<Exchange | undefined> {
    const inputs: Inputs = {
      path: Object.fromEntries(paramNames(reader.path).map((p) => [p, path[p] ?? ''])),
      query: {},
      header: {},
    };
    if (inputErrors(reader, inputs).length) return undefined;
    const cred = reader.auth === 'none' ? undefined : credential;
    const exchange = await this.http.send(buildRequest(reader, inputs, credentialHeaders(cred)));
    if (exchange.status >= 500 && exchange.status !== 501) {
      this.recordFailure(
        'not_server_error',
        `${reader.id} (read by a check) answered ${exchange.status}: ${exchange.text.slice(0, 200)}`,
        exchange,
        `follow-up ${reader.id}`,
        cred,
      );
    }
    return exchange;
  }

  /**
   * Counts the collection a write targets through its list operation, to check that a refused write
   * wrote nothing. Undefined when there is no list to count with.
   */
  private async writeCounter(base: Inputs) {
    const op = this.op;
    if (!WRITES.has(op.method)) return undefined;
    const last = paramNames(op.path).at(-1);
    const list =
      (op.method === 'POST' ? this.contract.find('GET', op.path) : undefined) ??
      (last ? this.contract.find('GET', collectionOf(op.path, last) ?? '') : undefined);
    if (!list) return undefined;
    const cred = list.auth === 'none' ? undefined : this.identities.preferred(this.owner, list.schemes);
    const read = async () => {
      const exchange = await this.followUp(list, base.path, cred);
      return exchange && is2xx(exchange.status) ? countOf(exchange.json) : undefined;
    };
    let count = await read();
    if (count === undefined) return undefined;
    return {
      after: async (exchange: Exchange, name: string) => {
        const now = await read();
        if (now === undefined) return;
        if (!is2xx(exchange.status)) {
          const outcome: Outcome =
            now === count
              ? 'pass'
              : { fail: `refused with ${exchange.status}, but ${list.id} counts ${now} instead of ${count}` };
          this.recorder.record(op.id, 'write_refused_wrote_nothing', outcome, () =>
            this.failureContext(name, exchange, undefined),
          );
        }
        count = now;
      },
    };
  }

  // ---- bookkeeping -------------------------------------------------------------------------------

  private async send(
    name: string,
    request: WireRequest,
    credential: Credential | undefined,
    expectations: Expectation[] = [],
  ): Promise<Exchange> {
    const exchange = await this.http.send(request);
    if (TRACE)
      process.stderr.write(
        `${this.op.id} [${name}] ${request.method} ${request.target.slice(0, 120)} -> ${exchange.status}\n`,
      );
    this.sent.push({ name, exchange, credential, expectations });
    return exchange;
  }

  private expectOn(name: string, exchange: Exchange, check: CheckName, evaluate: Expectation['evaluate']): void {
    const sent = this.sent.findLast((s) => s.exchange === exchange && s.name === name);
    sent?.expectations.push({ check, evaluate });
  }

  /** What a case's own expectation adds to the response checks (robustness cases add nothing). */
  private expectationsFor(c: Case, exchange: Exchange, expectations: Expectation[]): void {
    const e = c.expect;
    if (e.kind === 'invalid')
      expectations.push({ check: 'negative_rejected', evaluate: () => mustBeRefused(exchange, e.why) });
    if (e.kind === 'precision') {
      expectations.push({
        check: 'integer_precision',
        evaluate: () => mustBeRefused(exchange, 'an integer beyond ±2^53, which the server cannot hold exactly'),
      });
    }
  }

  /** Runs the response and expectation checks once it is known whether the operation is built. */
  private evaluate(): void {
    const op = this.op;
    for (const sent of this.sent) {
      const { exchange } = sent;
      const context = () => this.failureContext(sent.name, exchange, sent.credential);
      this.recorder.record(op.id, 'not_server_error', notServerError(op, exchange, this.state), context);
      this.recorder.record(op.id, 'status_documented', statusDocumented(op, exchange, this.state), context);
      if (exchange.status !== 501 || this.state.unbuilt) {
        this.recorder.record(op.id, 'content_type', contentType(op, exchange), context);
        this.recorder.record(op.id, 'schema', schemaCheck(op, exchange), context);
        this.recorder.record(op.id, 'headers', headerCheck(op, exchange), context);
      }
      for (const expectation of sent.expectations)
        this.recorder.record(op.id, expectation.check, expectation.evaluate(this.state), context);
    }
    for (const { op: helperOp, exchange } of this.resources.helperExchanges) {
      if (exchange.status >= 500 && exchange.status !== 501)
        this.recordFailure(
          'not_server_error',
          `${helperOp.id} (creating a resource) answered ${exchange.status}: ${exchange.text.slice(0, 200)}`,
          exchange,
          `resource ${helperOp.id}`,
        );
    }
  }

  private async checkAlive(): Promise<void> {
    let outcome: Outcome;
    try {
      const exchange = await this.http.send({ method: 'GET', target: HEALTH_PATH, headers: {} });
      outcome =
        exchange.status === 200 ? 'pass' : { fail: `${HEALTH_PATH} answered ${exchange.status} after ${this.op.id}` };
    } catch (error) {
      outcome = { fail: `${HEALTH_PATH} did not answer after ${this.op.id}: ${(error as Error).message}` };
    }
    this.recorder.record(this.op.id, 'server_alive', outcome, () => ({
      case: 'after the operation',
      method: 'GET',
      target: HEALTH_PATH,
      status: 0,
      curl: toCurl({ method: 'GET', target: HEALTH_PATH, headers: {} }, []),
      seed: this.options.seed,
    }));
  }

  private recordFailure(
    check: CheckName,
    message: string,
    exchange: Exchange | undefined,
    name: string,
    credential?: Credential,
  ): void {
    this.recorder.record(this.op.id, check, { fail: message }, () =>
      exchange
        ? this.failureContext(name, exchange, credential)
        : { case: name, method: this.op.method, target: this.op.path, status: 0, curl: '', seed: this.options.seed },
    );
  }

  private failureContext(
    name: string,
    exchange: Exchange,
    credential: Credential | undefined,
  ): Omit<Failure, 'operation' | 'check' | 'message'> {
    const secrets = [...this.identities.secrets, ...(credential ? [credential.secret] : [])];
    return {
      case: name,
      method: exchange.request.method,
      target: exchange.request.target,
      status: exchange.status,
      curl: toCurl(exchange.request, secrets),
      token: credential?.label,
      seed: this.options.seed,
    };
  }
}

/**
 * The app runs in this process: what it prints (knex warnings, say) would interleave with the report.
 * It is collected instead and reported as notes on the operation that caused it.
 */
async function capturingConsole<T>(into: string[], fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, error: console.error };
  const collect = (...args: unknown[]) => {
    into.push(args.map(String).join(' ').slice(0, 300));
  };
  Object.assign(console, { log: collect, warn: collect, error: collect });
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

function tally(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** An empty optional enum value answered like leaving the parameter out (strict), or refused (lenient). */
function emptyMeansAbsent(exchange: Exchange, baseline: Exchange, strict: boolean): Outcome | undefined {
  if (baseline.status === 501) return 'unbuilt';
  if (!is2xx(baseline.status)) return undefined;
  if (is2xx(exchange.status)) return 'pass';
  if (!strict && is4xx(exchange.status)) return 'pass';
  return {
    fail: `an empty value answered ${exchange.status} where leaving the parameter out answers ${baseline.status}${strict ? ' (the parameter is nullable or documents the empty value)' : ''}: ${exchange.text.slice(0, 200)}`,
  };
}

/** Whether "Who may call" lets other signed-in users do this (a parenthesised aside does not count). */
export function othersMay(op: OpSpec): boolean {
  return op.callers === 'anyone' || op.callers === 'signed-in';
}

/** How many values an input has (nested members counted one by one). */
function leafCount(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + leafCount(v), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce<number>((n, v) => n + leafCount(v), 0);
  return 1;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A row of the authorization matrix: who user B is (set up through the API), and what must answer. */
interface MatrixRow {
  name: string;
  /** The membership the row needs: the room `{room_id}` or the community `{id}` of the path. */
  needs?: 'room' | 'community';
  /** Makes user B what the row says; false when it cannot (the row is skipped, with a note). */
  setup?(memberships: Memberships, scope: string, owner: User, b: User): Promise<boolean | undefined>;
  /** true, or what was expected instead. */
  expect(status: number): true | string;
}

const refused = (status: number) => !is2xx(status) || 'a refusal (not 2xx)';
const exactly = (wanted: number) => (status: number) => status === wanted || String(wanted);
const admitted = (status: number) =>
  (status !== 403 && status !== 404 && status !== 401) || 'no 401, 403 or 404: it admits them';
const removed: MatrixRow['setup'] = async (m, room, owner, b) => {
  await m.removeFromRoom(room, owner, await m.joinRoom(room, owner, b));
};
const left: MatrixRow['setup'] = async (m, room, owner, b) => {
  await m.joinRoom(room, owner, b);
  await m.leaveRoom(room, b);
};

/** What each class of `x-who-may-call` refuses, and how. */
const MATRIX: Record<OpSpec['callers'], MatrixRow[]> = {
  anyone: [],
  'signed-in': [],
  admin: [],
  owner: [{ name: 'another user', expect: refused }],
  'community-member': [
    { name: 'a user who is not a member', needs: 'community', expect: refused },
    {
      name: 'a member who left',
      needs: 'community',
      setup: async (m, id, _owner, b) => {
        if (!(await m.joinCommunity(id, b))) return false;
        await m.leaveCommunity(id, b);
        return true;
      },
      expect: refused,
    },
  ],
  'room-participant': [
    { name: 'a user who cannot see the room', needs: 'room', expect: exactly(404) },
    { name: 'a removed participant', needs: 'room', setup: removed, expect: exactly(403) },
    { name: 'a participant who left', needs: 'room', setup: left, expect: exactly(403) },
  ],
  'room-owner': [
    { name: 'a user who cannot see the room', needs: 'room', expect: exactly(404) },
    {
      name: 'a participant who is not the owner',
      needs: 'room',
      setup: async (m, room, owner, b) => {
        await m.joinRoom(room, owner, b);
      },
      expect: exactly(403),
    },
    { name: 'a removed participant', needs: 'room', setup: removed, expect: exactly(403) },
  ],
  'room-visible': [
    { name: 'a user who cannot see the room', needs: 'room', expect: exactly(404) },
    { name: 'a removed participant', needs: 'room', setup: removed, expect: admitted },
    { name: 'a participant who left', needs: 'room', setup: left, expect: admitted },
  ],
};
