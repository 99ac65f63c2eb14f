// A voice cloning job whose server died mid-download is taken up again (src/lounge/voice-cloning.ts). A real
// server process (src/server.ts) claims the job and starts downloading from a local https listener that does
// not answer yet; it is killed with SIGKILL; then the listener answers, and:
// - PostgreSQL: another instance (in this process) leaves the job alone while the dead server's claim holds,
//   and takes it once its lease (3 x OUTBOUND_TIMEOUT_MS) has run out;
// - PGlite (one process per database): the restarted server takes back what its predecessor left as it
//   starts, and clones it at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLounge, createPlatformClient } from '@platform/client';
import { buildApp, type Platform } from '../../src/app.js';
import { databaseEnv, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { wav } from '../helpers/fake-openai.js';
import { startHttpsListener, testCertificates, type HttpsListener } from '../helpers/https-listener.js';
import { testConfig } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
/** OUTBOUND_TIMEOUT_MS: a clone may take 1.5 times this, and a claim's lease is 3 times this. */
const TIMEOUT_MS = 2000;
const LEASE_MS = 3 * TIMEOUT_MS;

const { settings, cleanup } = await databaseSettings();
let listener: HttpsListener;
let answering = false;
let child: ChildServer | undefined;
let survivor: Platform | undefined;

beforeAll(async () => {
  listener = await startHttpsListener((_req, res) => {
    if (answering) res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(wav(500));
    // else: holds the request, as a slow server would
  });
});
afterAll(async () => {
  await child?.kill();
  await survivor?.close();
  await listener?.close();
  await cleanup();
});

describe(`voice cloning when its server is killed mid-download (${onPostgres ? 'PostgreSQL, another instance alive' : 'PGlite, restarted'})`, () => {
  it('takes the job up again and clones the voice', async () => {
    const outbound = { allowHosts: [`127.0.0.1:${listener.port}`], ca: testCertificates().ca, timeoutMs: TIMEOUT_MS };
    child = await startChildServer({
      ...databaseEnv(settings),
      OUTBOUND_ALLOW_HOSTS: outbound.allowHosts[0]!,
      OUTBOUND_CA_FILE: testCertificates().caFile,
      OUTBOUND_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    const client = createPlatformClient({ baseUrl: child.baseUrl });
    const alice = await newUser('Alice', { client });
    const created = await createLounge({
      client,
      body: { name: 'Voice', voiceSamplesUrl: `${listener.origin}/voice.wav` },
      ...alice.as,
    });
    const id = created.data!.id;
    await expect.poll(() => listener.requests.length, { timeout: 10_000, interval: 20 }).toBe(1); // the child is downloading
    await child.kill('SIGKILL');
    const killedAt = Date.now();
    answering = true;

    const config = testConfig({ ...settings, outbound });
    if (onPostgres) {
      survivor = await buildApp(config, { jobs: false });
      const row = () =>
        survivor!.database.knex('lounges').where('communityId', id).first('voiceModelStatus', 'cloneAttempts');
      expect(await row()).toMatchObject({ voiceModelStatus: 'training', cloneAttempts: 1 });
      expect(await survivor.services.lounge.cloneVoices()).toBe(0); // the dead server's claim still holds
      await expect
        .poll(() => survivor!.services.lounge.cloneVoices(), { timeout: LEASE_MS + 10_000, interval: 200 })
        .toBe(1);
      const waited = Date.now() - killedAt;
      console.log(`the dead server's cloning job was taken up ${waited} ms after the kill (lease ${LEASE_MS} ms)`);
      expect(waited).toBeGreaterThan(LEASE_MS - 2000); // not before its lease ran out (the claim was made just before the kill)
      expect(await row()).toMatchObject({ voiceModelStatus: 'ready', cloneAttempts: 2 });
    } else {
      survivor = await buildApp(config); // with its jobs: as a restarted server does, before it listens
      const row = () =>
        survivor!.database.knex('lounges').where('communityId', id).first('voiceModelStatus', 'cloneAttempts');
      expect(await row()).toMatchObject({ voiceModelStatus: 'pending', cloneAttempts: 1 });
      expect(await survivor.services.lounge.cloneVoices()).toBe(1);
      expect(await row()).toMatchObject({ voiceModelStatus: 'ready', cloneAttempts: 2 });
    }
    expect(listener.requests).toEqual(['/voice.wav', '/voice.wav']);
    expect((await survivor.services.lounge.get(id)).voiceModelId).toMatch(/^local_[0-9a-f]{16}$/);
  }, 120_000);
});
