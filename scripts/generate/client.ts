// generated/client: the typed client package. hey-api writes src/gen/; this step adds the package around it
// (package.json, README, the runtime defaults and helpers), all from templates/ so the tree is reproducible.
import { createClient } from '@hey-api/openapi-ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Contract, GENERATED_HEADER, isEventStream } from './contract.js';

const templates = join(dirname(fileURLToPath(import.meta.url)), 'templates');
const template = (name: string) => readFileSync(join(templates, name), 'utf8');

export const CLIENT_PACKAGE = '@platform/client';

/** Paths of event-stream operations, as regexes over the URL path, so the runtime can tell a stream request. */
function eventStreamMatchers(contract: Contract): string {
  return contract.operations.filter(isEventStream).map((op) => {
    const pattern = op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+').replace(/\//g, '\\/');
    return `  { method: '${op.method.toUpperCase()}', path: /${pattern}$/ }, // ${op.operationId}`;
  }).join('\n');
}

export async function generateClient(contract: Contract, bundlePath: string, outDir: string): Promise<void> {
  await createClient({
    input: bundlePath,
    output: { path: join(outDir, 'src/gen'), module: { extension: '.js' }, clean: true },
    logs: { level: 'warn', file: false },
    plugins: [
      { name: '@hey-api/client-fetch', runtimeConfigPath: '../runtime.js' },
      '@hey-api/typescript',
      '@hey-api/sdk',
    ],
  } as any);
  const version = String((contract.doc.info as { version: string }).version);
  writeFileSync(join(outDir, 'package.json'), template('client-package.json').replace('%VERSION%', version));
  writeFileSync(join(outDir, 'README.md'), template('client-README.md'));
  writeFileSync(join(outDir, 'tsconfig.json'), template('client-tsconfig.json'));
  writeFileSync(join(outDir, 'src/index.ts'), GENERATED_HEADER + template('client-index.ts.tmpl'));
  writeFileSync(join(outDir, 'src/runtime.ts'),
    GENERATED_HEADER + template('client-runtime.ts.tmpl').replace('%EVENT_STREAMS%', eventStreamMatchers(contract)));
}
