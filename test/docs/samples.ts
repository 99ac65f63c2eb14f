// The suite test/docs/samples-curl.test.ts and samples-client.test.ts run: every operation's sample, as the
// docs served by a demo server show it, run as written, in the contract's order, on a demo database of its
// own (a sample that deletes or changes something takes a spare demo object, or comes after the samples that
// need it as it was: the contract's order). Each must get a success status its operation documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../generated/server/index.js';
import { DEMO_USERS } from '../../src/demo/fixtures.js';
import {
  docsShow,
  generatedSample,
  runClientSample,
  runCurl,
  startDemoServer,
  type DemoServer,
  type SampleRun,
} from '../helpers/samples.js';

export function describeSamples(kind: 'curl' | 'client'): void {
  describe(`every ${kind} sample in the docs, run as written against a demo server`, () => {
    let server: DemoServer;
    let docs: string;
    beforeAll(async () => {
      server = await startDemoServer();
      docs = await (await fetch(`${server.baseUrl}/docs`)).text();
      // What it loaded, printed for the reader: every account's key.
      for (const user of Object.values(DEMO_USERS))
        expect(server.stdout()).toContain(`${user.email.padEnd(18)} ${user.apiKey}`);
    }, 90_000);
    afterAll(async () => {
      await server?.stop();
    });

    for (const op of operations) {
      it(`${op.operationId} answers ${op.statuses.filter((s) => s < 300).join(' or ')}`, async () => {
        const sample = server.served(generatedSample(op.operationId, kind === 'curl' ? 'sh' : 'ts'));
        // What runs is what the served docs show (the samples are JSON strings in the page's state).
        expect(docsShow(docs, sample), 'the served docs show this sample with their own origin').toBe(true);
        const stream = op.eventStream;
        const endless = stream && op.method === 'GET'; // a room stream goes on until it is cut
        const run: SampleRun =
          kind === 'curl' ? await runCurl(sample, endless ? 3 : 30) : await runClientSample(sample, { stream });
        const report = `${run.stdout.slice(0, 2000)}\n${run.stderr.slice(0, 2000)}`;
        expect(run.statuses.length, `no response:\n${report}`).toBeGreaterThan(0);
        const success = op.statuses.filter((s) => s >= 200 && s < 300) as number[];
        expect(success, `${op.operationId} got ${run.statuses[0]}:\n${report}`).toContain(run.statuses[0]);
        // curl's exit 28 is the cut of a stream that goes on; a stopped client sample is the same.
        if (kind === 'curl') expect(run.code, report).toBe(endless ? 28 : 0);
        else expect(run.code, report).toBe(endless ? null : 0);
      }, 60_000);
    }
  });
}
