// docs/index.html: Redoc, self-contained (works offline), with the guides and, per operation, a sample using
// the generated client and the same request as a curl command.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Contract, type JsonObject, GENERATED_HEADER } from './contract.js';
import { anchorProblemCodes } from './problem-codes.js';
import { codeSample, curlSample } from './samples.js';
import { bin, repoRoot } from './run.js';

/** Guides, in the order they appear in the docs. */
export const GUIDES = [
  'quickstart',
  'authentication',
  'errors',
  'pagination',
  'idempotency',
  'money',
  'streaming',
  'changelog',
];

export interface Samples {
  /** With the generated client; type-checked by `npm run typecheck`. */
  client: string;
  curl: string;
}

export function writeSamples(contract: Contract, outDir: string): Map<string, Samples> {
  mkdirSync(outDir, { recursive: true });
  const samples = new Map<string, Samples>();
  for (const op of contract.operations) {
    const sample = { client: codeSample(contract, op), curl: curlSample(contract, op) };
    samples.set(op.operationId, sample);
    writeFileSync(join(outDir, `${op.operationId}.ts`), GENERATED_HEADER + sample.client);
    writeFileSync(join(outDir, `${op.operationId}.sh`), GENERATED_HEADER.replace(/^\/\//, '#') + sample.curl);
  }
  return samples;
}

/** The guides whose TypeScript blocks are samples that run as written (the others' are fragments). */
export const RUNNABLE_GUIDES = ['quickstart', 'authentication'];

/** A guide's TypeScript blocks, in order: each is complete in itself. */
export function guideBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/**
 * The runnable guides' blocks as generated/samples/<guide>-<n>.ts, so `npm run typecheck` compiles them like
 * the operations' samples (test/docs/guides.test.ts runs them).
 */
export function writeGuideSamples(guidesDir: string, outDir: string): void {
  for (const guide of RUNNABLE_GUIDES) {
    for (const [i, block] of guideBlocks(readFileSync(join(guidesDir, `${guide}.md`), 'utf8')).entries()) {
      writeFileSync(join(outDir, `${guide}-${i + 1}.ts`), GENERATED_HEADER + block);
    }
  }
}

/**
 * Redoc's "API docs by Redocly" badge loads its logo from Redocly's CDN, and no Redoc option turns that off
 * (build-docs documents it as the one thing the page still loads; the attribution is not optional). So the
 * page would tell a third party who reads the docs, and log an error offline. Redoc's bundle is replaced
 * here: the logo's two URLs become inline images of the name. Each must be found exactly once, so a Redoc
 * upgrade that moves them fails generation instead of quietly loading them again.
 */
const ATTRIBUTION_LOGOS: Record<string, string> = {
  'https://cdn.redoc.ly/redoc/logo-mini-full.svg': svgDataUri(46, 12, 'Redocly'),
  'https://cdn.redoc.ly/redoc/logo-mini.svg': svgDataUri(9, 14, 'R'),
};

function svgDataUri(width: number, height: number, text: string): string {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<text x="0" y="${height - 2}" textLength="${width}" lengthAdjust="spacingAndGlyphs" font-family="system-ui,sans-serif" font-size="${height - 1}" font-weight="700" fill="#0044d4">${text}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

function inlineAttributionLogos(html: string): string {
  let out = html;
  for (const [url, inline] of Object.entries(ATTRIBUTION_LOGOS)) {
    const count = out.split(url).length - 1;
    if (count !== 1)
      throw new Error(`docs: expected Redoc's bundle to name ${url} once, found ${count}: check the Redoc upgrade`);
    out = out.replace(url, inline);
  }
  return out;
}

export function generateDocs(
  contract: Contract,
  samples: Map<string, Samples>,
  guidesDir: string,
  outFile: string,
): void {
  const doc = structuredClone(contract.doc) as any;
  for (const item of Object.values(doc.paths as Record<string, JsonObject>)) {
    for (const op of Object.values(item) as any[]) {
      if (!op?.operationId) continue;
      // The languages and their order are redocly.yaml's `openapi.codeSamples` (Redoc shows no other).
      const sample = samples.get(op.operationId)!;
      op['x-codeSamples'] = [
        { lang: 'TypeScript', label: '@platform/client', source: sample.client },
        { lang: 'curl', source: sample.curl },
      ];
    }
  }
  const guides = GUIDES.map((name) => {
    const text = readFileSync(join(guidesDir, `${name}.md`), 'utf8').trim();
    return name === 'errors' ? anchorProblemCodes(text) : text;
  });
  doc.info.description = `${doc.info.description.trim()}\n\n${guides.join('\n\n')}\n`;
  const work = mkdtempSync(join(tmpdir(), 'docs-'));
  try {
    const input = join(work, 'openapi.json');
    writeFileSync(input, JSON.stringify(doc));
    mkdirSync(join(outFile, '..'), { recursive: true });
    execFileSync(
      bin('redocly'),
      [
        'build-docs',
        input,
        '--output',
        outFile,
        '--inlineBundle',
        '--title',
        doc.info.title,
        // Redoc's options (code-sample languages, routing, template) are in redocly.yaml's `openapi` section.
        '--config',
        join(repoRoot, 'redocly.yaml'),
        '--lint-config',
        'off',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    writeFileSync(outFile, inlineAttributionLogos(readFileSync(outFile, 'utf8')));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
