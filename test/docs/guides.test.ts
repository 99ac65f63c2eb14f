// The runnable guides' code (the quickstart's steps, the authentication guide's example; written to
// generated/samples/<guide>-<n>.ts and type-checked there), run in order, as written (as the served docs show
// it), against a demo server: each block must end without an error, get no 5xx, and print what its comments
// say it prints (`console.log(...); // X`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guideBlocks, RUNNABLE_GUIDES } from '../../scripts/generate/docs.js';
import { docsShow, generatedSample, runClientSample, startDemoServer, type DemoServer } from '../helpers/samples.js';

const guidesDir = join(import.meta.dirname, '..', '..', 'docs', 'guides');
const blocksOf = (guide: string) => guideBlocks(readFileSync(join(guidesDir, `${guide}.md`), 'utf8'));

describe("the guides' code, run block by block against a demo server", () => {
  let server: DemoServer;
  let docs: string;
  beforeAll(async () => {
    server = await startDemoServer();
    docs = await (await fetch(`${server.baseUrl}/docs`)).text();
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('has a quickstart step for each part: authenticate, first call, paging, a typed error, streams of both products', () => {
    const all = blocksOf('quickstart').join('\n');
    for (const call of [
      'signIn(',
      'getCommunity(',
      'getRoom(',
      'paginate(listCommunities',
      'paginate(listRoomEvents',
      'isApiError(error',
      'joinCommunity(',
      'postRoomMessage(',
      'chatWithCommunityAgent(',
      'streamRoomEvents(',
    ]) {
      expect(all).toContain(call);
    }
  });

  for (const guide of RUNNABLE_GUIDES) {
    blocksOf(guide).forEach((block, i) => {
      it(`${guide} ${i + 1}: ${block.match(/import \{ (.*) \}/)?.[1]}`, async () => {
        const sample = server.served(generatedSample(`${guide}-${i + 1}`, 'ts'));
        expect(sample).toBe(server.served(block));
        expect(docsShow(docs, sample), 'the served docs show the block').toBe(true);
        const run = await runClientSample(sample);
        const report = `${run.stdout}\n${run.stderr}`;
        expect(run.code, report).toBe(0);
        expect(run.statuses.length, report).toBeGreaterThan(0);
        expect(
          run.statuses.filter((s) => s >= 500),
          report,
        ).toEqual([]);
        for (const [, printed] of block.matchAll(/console\.log\(.*\); \/\/ (.+)$/gm))
          expect(run.stdout, report).toContain(printed);
      }, 60_000);
    });
  }
});
