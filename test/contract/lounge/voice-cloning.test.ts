// Voice cloning fetches a URL a user gave (`voiceSamplesUrl`), so it goes only where anyone on the internet
// could, end to end: createLounge, the cloning job, then getLounge read by anyone. The samples are served by
// local https listeners: one the operator's settings allow (OUTBOUND_ALLOW_HOSTS, and OUTBOUND_CA_FILE for its
// test certificate authority), one "internal" that nothing allows, which must never get a connection. And the
// job holds no transaction nor pooled connection while it downloads.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLounge,
  createPlatformClient,
  getLounge,
  getLoungeDashboard,
  getWallet,
  listCommunities,
  type Client,
} from '@platform/client';
import { wav } from '../../helpers/fake-openai.js';
import { startHttpsListener, streamBytes, testCertificates, type HttpsListener } from '../../helpers/https-listener.js';
import { startTestServer, watchClient, type TestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const MB = 1024 * 1024;
const NOT_PUBLIC =
  "The samples URL does not lead to a public internet address: its host (or a redirect's) is unknown, private or reserved.";
const NOT_HTTPS = 'The samples URL must be https, and so must every redirect it answers with.';
const TOO_LARGE = 'The samples are larger than 50 MB.';

type Server = TestServer & { stop(): Promise<void> };

function clientOf(server: Server): { client: Client } {
  const client = createPlatformClient({ baseUrl: server.baseUrl });
  watchClient(client);
  return { client };
}

/** Creates a lounge cloning from `url` (201), and waits for the job to end; its lounge as anyone reads it. */
async function cloneFrom(c: { client: Client }, user: TestUser, url: string, timeout = 20_000) {
  const created = await createLounge({ ...c, body: { name: 'Voice', voiceSamplesUrl: url }, ...user.as });
  expect(created.response?.status, JSON.stringify(created.error)).toBe(201);
  const id = created.data!.id;
  await expect
    .poll(async () => (await getLounge({ ...c, path: { id } })).data!.voiceModelStatus, { timeout, interval: 100 })
    .toMatch(/ready|failed/);
  return (await getLounge({ ...c, path: { id } })).data!;
}

describe('where voice samples may be fetched from', () => {
  let samples: HttpsListener;
  let internal: HttpsListener;
  let server: Server;
  let c: { client: Client };
  let alice: TestUser;

  beforeAll(async () => {
    internal = await startHttpsListener((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(wav(100)),
    );
    samples = await startHttpsListener((req, res) => {
      const path = req.url ?? '';
      const redirect = (to: string) => res.writeHead(302, { Location: to }).end();
      if (path === '/voice.wav') return res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(wav(500));
      if (path === '/empty') return res.writeHead(200).end();
      if (path === '/forbidden')
        return res.writeHead(403, { 'Content-Type': 'text/plain' }).end('403 Forbidden: internal secret s3cr3t');
      if (path === '/to-internal') return redirect(`https://127.0.0.1:${internal.port}/admin/delete-all?confirm=1`);
      if (path === '/to-localhost') return redirect(`https://localhost:${internal.port}/admin`);
      if (path === '/to-http') return redirect(`http://127.0.0.1:${samples.port}/voice.wav`);
      const hops = /^\/hops\/(\d+)$/.exec(path);
      if (hops) return Number(hops[1]) === 0 ? redirect('/voice.wav') : redirect(`/hops/${Number(hops[1]) - 1}`);
      if (path === '/slow') {
        res.writeHead(200, { 'Content-Type': 'audio/wav' });
        res.write(wav(0));
        const timer = setInterval(() => res.write(Buffer.alloc(1, 0x80)), 200);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(404).end();
    });
    server = await startTestServer({
      outbound: {
        allowHosts: [`127.0.0.1:${samples.port}`],
        denyHosts: [`localhost:${samples.port}`],
        ca: testCertificates().ca,
        connectTimeoutMs: 2000,
        timeoutMs: 4000,
      },
    });
    c = clientOf(server);
    alice = await newUser('Alice', c);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await samples?.close();
    await internal?.close();
  });

  it('reaches the listener the operator allowed, through up to 3 redirects (ready)', async () => {
    expect(await cloneFrom(c, alice, `${samples.origin}/voice.wav`)).toMatchObject({
      voiceModelStatus: 'ready',
      voiceModelId: expect.stringMatching(/^local_/),
      voiceModelError: null,
    });
    expect((await cloneFrom(c, alice, `${samples.origin}/hops/2`)).voiceModelStatus).toBe('ready'); // 3 redirects
  });

  it('refuses every loopback, private, link-local, metadata and mapped address, whatever its spelling, without connecting', async () => {
    const p = internal.port;
    const urls = [
      `https://127.0.0.1:${p}/`,
      `https://localhost:${p}/`,
      `https://[::1]:${p}/`,
      `https://127.1:${p}/`,
      `https://2130706433:${p}/`,
      `https://0.0.0.0:${p}/`,
      `https://[::ffff:127.0.0.1]:${p}/`,
      `https://[64:ff9b::7f00:1]:${p}/`,
      'https://10.0.0.1/samples.wav',
      'https://172.16.5.4/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'https://[::ffff:a9fe:a9fe]/',
      'https://100.64.0.1/',
      'https://[fd00::1]/',
      'https://[fe80::1]/',
    ];
    const lounges = await Promise.all(urls.map((url) => cloneFrom(c, alice, url)));
    for (const [i, lounge] of lounges.entries()) {
      expect(lounge, urls[i]).toMatchObject({
        voiceModelStatus: 'failed',
        voiceModelId: null,
        voiceModelError: NOT_PUBLIC,
      });
    }
    expect(internal.connections).toBe(0);
  });

  it('checks every redirect the same way: into a refused range, to http, or more than 3, it stops there', async () => {
    expect((await cloneFrom(c, alice, `${samples.origin}/to-internal`)).voiceModelError).toBe(NOT_PUBLIC);
    expect((await cloneFrom(c, alice, `${samples.origin}/to-localhost`)).voiceModelError).toBe(NOT_PUBLIC);
    expect((await cloneFrom(c, alice, `${samples.origin}/to-http`)).voiceModelError).toBe(NOT_HTTPS);
    expect((await cloneFrom(c, alice, `${samples.origin}/hops/3`)).voiceModelError).toBe(
      'The samples URL redirected more than 3 times.',
    );
    expect(internal.connections).toBe(0);
    expect(samples.requests.filter((r) => r.startsWith('/admin'))).toEqual([]);
  });

  it('refuses a host the operator denied, even on an allowed address', async () => {
    expect((await cloneFrom(c, alice, `https://localhost:${samples.port}/voice.wav`)).voiceModelError).toBe(
      "The samples URL's host (or a redirect's) is not allowed on this platform.",
    );
  });

  it("stores an error anyone may read that says what to fix, never what the samples' server answered", async () => {
    const lounge = await cloneFrom(c, alice, `${samples.origin}/forbidden`);
    const anonymous = lounge.voiceModelError!;
    expect(anonymous).toBe('The samples URL did not answer with a file: check that it downloads without signing in.');
    expect(anonymous).not.toMatch(/403|forbidden|secret|127\.0\.0\.1/i);
    expect((await getLoungeDashboard({ ...c, path: { id: lounge.id }, ...alice.as })).data!.voiceModelError).toBe(
      anonymous,
    );
    expect((await cloneFrom(c, alice, `${samples.origin}/empty`)).voiceModelError).toBe(
      'The samples URL sent nothing.',
    );
  });

  it('gives up on a body that trickles past the total timeout', async () => {
    const started = Date.now();
    expect((await cloneFrom(c, alice, `${samples.origin}/slow`)).voiceModelError).toBe(
      'The samples URL took too long: the download must finish within 4 s.',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('what one cloning job can cost the server', () => {
  const STUCK_JOBS = 6;
  let samples: HttpsListener;
  let stuck: HttpsListener;
  let server: Server;
  let c: { client: Client };
  let alice: TestUser;

  beforeAll(async () => {
    samples = await startHttpsListener((req, res) => {
      res.writeHead(200, {
        'Content-Type': 'audio/wav',
        ...(req.url === '/announced-400mb' ? { 'Content-Length': String(400 * MB) } : {}),
      });
      res.write(wav(0));
      streamBytes(samples, res, req.url === '/announced-400mb' ? 400 * MB : Infinity);
    });
    stuck = await startHttpsListener(() => undefined); // accepts, and never answers
    server = await startTestServer({
      poolMax: 4, // fewer connections than stuck jobs: a job holding one would starve every request
      voiceCloningConcurrency: STUCK_JOBS,
      // Long timeouts: here only the size cap ends a download (this machine is shared and slow).
      outbound: {
        allowHosts: [`127.0.0.1:${samples.port}`, `127.0.0.1:${stuck.port}`],
        ca: testCertificates().ca,
        connectTimeoutMs: 120_000,
        timeoutMs: 120_000,
      },
    });
    c = clientOf(server);
    alice = await newUser('Alice', c);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await samples?.close();
    await stuck?.close();
  });

  it('stops reading at 50 MB, announced or not: an endless body and a 400 MB one, with memory flat', async () => {
    // What stays alive, not what was allocated (the listener in this process allocates as much again): buffers
    // reachable after a full collection, sampled while the samples stream in.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const before = live();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, live());
    }, 1000);
    try {
      samples.bytesWritten = 0;
      expect((await cloneFrom(c, alice, `${samples.origin}/announced-400mb`)).voiceModelError).toBe(TOO_LARGE);
      // Refused from its Content-Length: what was read is at most what the sockets buffered.
      expect(samples.bytesWritten).toBeLessThan(8 * MB);
      samples.bytesWritten = 0;
      expect((await cloneFrom(c, alice, `${samples.origin}/endless`, 100_000)).voiceModelError).toBe(TOO_LARGE);
      expect(samples.bytesWritten).toBeGreaterThan(50 * MB);
      expect(samples.bytesWritten).toBeLessThan(58 * MB); // 50 MB read, then the connection was cut
    } finally {
      clearInterval(sampler);
    }
    // The samples are hashed as they stream and never held: buffered whole, 50 MB would have been alive at once.
    // The bound is half that: the rest is the chunks in flight in this process, between the listener's TLS
    // writes and the reader's (up to ~21 MB seen on a loaded machine, under 8 MB on a quiet one).
    expect(peak - before).toBeLessThan(25 * MB);
  }, 120_000);

  it('holds no transaction and no pooled connection while more jobs than pooled connections wait on a server that never answers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < STUCK_JOBS; i++) {
      ids.push(
        (
          await createLounge({
            ...c,
            body: { name: `Stuck ${i}`, voiceSamplesUrl: `${stuck.origin}/samples-${i}.wav` },
            ...alice.as,
          })
        ).data!.id,
      );
    }
    await expect.poll(() => stuck.requests.length, { timeout: 20_000 }).toBe(STUCK_JOBS);
    const pool = server.platform.database.knex.client.pool as { numUsed(): number };
    expect(pool.numUsed()).toBe(0);

    // Reads complete while every job is still stuck (the listener has answered none of them).
    const signal = AbortSignal.timeout(15_000);
    const [communities, wallet] = await Promise.all([
      listCommunities({ ...c, signal }),
      getWallet({ ...c, ...alice.as, signal }),
    ]);
    expect(communities.response?.status).toBe(200);
    expect(wallet.response?.status).toBe(200);
    for (const id of ids) expect((await getLounge({ ...c, path: { id } })).data!.voiceModelStatus).toBe('training');
    expect(stuck.requests).toHaveLength(STUCK_JOBS);

    // A stopping server gives its jobs back (pending, for another instance), not counting it as an attempt.
    await server.platform.services.lounge.cloning.stop();
    const rows = await server.platform.database
      .knex('lounges')
      .whereIn('communityId', ids)
      .select('voiceModelStatus', 'cloneAttempts', 'cloneClaim');
    expect(rows).toEqual(ids.map(() => ({ voiceModelStatus: 'pending', cloneAttempts: 0, cloneClaim: null })));
  });
});
