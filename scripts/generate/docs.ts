// docs/index.html: Redoc, self-contained (works offline), with the guides and a client code sample per operation.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Contract, type JsonObject, GENERATED_HEADER } from './contract.js';
import { codeSample } from './samples.js';
import { bin } from './run.js';

/** Guides, in the order they appear in the docs. */
export const GUIDES = ['authentication', 'errors', 'pagination', 'idempotency', 'streaming', 'changelog'];

export function writeSamples(contract: Contract, outDir: string): Map<string, string> {
  mkdirSync(outDir, { recursive: true });
  const samples = new Map<string, string>();
  for (const op of contract.operations) {
    const source = codeSample(contract, op);
    samples.set(op.operationId, source);
    writeFileSync(join(outDir, `${op.operationId}.ts`), GENERATED_HEADER + source);
  }
  return samples;
}

export function generateDocs(contract: Contract, samples: Map<string, string>, guidesDir: string, outFile: string): void {
  const doc = structuredClone(contract.doc) as any;
  for (const item of Object.values(doc.paths as Record<string, JsonObject>)) {
    for (const op of Object.values(item) as any[]) {
      if (!op?.operationId) continue;
      op['x-codeSamples'] = [{ lang: 'TypeScript', label: '@platform/client', source: samples.get(op.operationId) }];
    }
  }
  const guides = GUIDES.map((name) => readFileSync(join(guidesDir, `${name}.md`), 'utf8').trim());
  doc.info.description = `${doc.info.description.trim()}\n\n${guides.join('\n\n')}\n`;
  const work = mkdtempSync(join(tmpdir(), 'docs-'));
  try {
    const input = join(work, 'openapi.json');
    writeFileSync(input, JSON.stringify(doc));
    mkdirSync(join(outFile, '..'), { recursive: true });
    execFileSync(bin('redocly'), [
      'build-docs', input, '--output', outFile, '--inlineBundle', '--title', doc.info.title,
      // Hash routing: deep links (#/spaces/createspace) work from the file and under /docs alike.
      '--lint-config', 'off', '--openapi.router=hash', '--openapi.jsonSamplesExpandLevel=3',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

