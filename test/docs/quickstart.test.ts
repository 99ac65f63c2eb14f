// The quickstart guide's steps (docs/guides/quickstart.md, written to generated/samples/quickstart-<n>.ts and
// type-checked there), run in order, as written (as the served docs show them), against a demo server: each
// must end without an error, get no 5xx, and print what its comments say it prints (`console.log(...); // X`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickstartBlocks } from '../../scripts/generate/docs.js';
import { docsShow, generatedSample, runClientSample, startDemoServer, type DemoServer } from '../helpers/samples.js';

const blocks = quickstartBlocks(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'guides', 'quickstart.md'), 'utf8'));

describe('the quickstart, run step by step against a demo server', () => {
  let server: DemoServer;
  let docs: string;
  beforeAll(async () => {
    server = await startDemoServer();
    docs = await (await fetch(`${server.baseUrl}/docs`)).text();
  }, 90_000);
  afterAll(async () => { await server?.stop(); });

  it('has a step for each part: authenticate, first call, paging, a typed error, streams of both products', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const all = blocks.join('\n');
    for (const call of ['signIn(', 'getCommunity(', 'getRoom(', 'listCommunities(', 'listRoomEvents(', 'joinCommunity(', 'postRoomMessage(', 'chatWithCommunityAgent(', 'streamRoomEvents(']) {
      expect(all).toContain(call);
    }
  });

  blocks.forEach((block, i) => {
    it(`step ${i + 1}: ${block.match(/import \{ (.*) \}/)?.[1]}`, async () => {
      const sample = server.served(generatedSample(`quickstart-${i + 1}`, 'ts'));
      expect(sample).toBe(server.served(block));
      expect(docsShow(docs, sample), 'the served docs show the step').toBe(true);
      const run = await runClientSample(sample);
      const report = `${run.stdout}\n${run.stderr}`;
      expect(run.code, report).toBe(0);
      expect(run.statuses.length, report).toBeGreaterThan(0);
      expect(run.statuses.filter((s) => s >= 500), report).toEqual([]);
      for (const [, printed] of block.matchAll(/console\.log\(.*\); \/\/ (.+)$/gm)) expect(run.stdout, report).toContain(printed);
    }, 60_000);
  });
});
