// generated/client: the typed client package. hey-api writes src/gen/; this step adds the package around it
// (package.json, README, the runtime and its errors), all from templates/ so the tree is reproducible, and
// makes two changes to hey-api's output, each of which fails loudly if that output is not what it expects:
// - the shared `client` is created with the platform's runtime (`withPlatformErrors`), like every other;
// - a call's result type also has the case where no response came back: `error` is a NetworkError and
//   `response` is undefined (hey-api types `response` as always present).
import { createClient } from '@hey-api/openapi-ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Contract, type JsonObject, GENERATED_HEADER } from './contract.js';

const templates = join(dirname(fileURLToPath(import.meta.url)), 'templates');
const template = (name: string) => readFileSync(join(templates, name), 'utf8');

export const CLIENT_PACKAGE = '@platform/client';

/** Replaces `from` (which must occur exactly once) by `to` in a file hey-api wrote. */
function patch(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (text.split(from).length !== 2) {
    throw new Error(`${file}: hey-api's output changed (expected exactly one ${JSON.stringify(from.slice(0, 80))}); update scripts/generate/client.ts`);
  }
  writeFileSync(file, text.replace(from, to));
}

const SHARED_CLIENT = 'export const client = createClient(createClientConfig(createConfig<ClientOptions2>()));';
const RESULT_WITH_RESPONSE = `          ) & {
            request: Request;
            response: Response;
          }
    >;`;
const RESULT_OR_NO_RESPONSE = `          ) & {
            request: Request;
            response: Response;
          })
        | {
            data: undefined;
            /** No response came back (server unreachable, connection dropped, request aborted). */
            error: NetworkError;
            request: Request;
            response: undefined;
          }
    >;`;

/** The contract without the security requirements of schemes sent in the query. */
function withoutQueryCredentials(doc: JsonObject): JsonObject {
  const copy = structuredClone(doc) as any;
  const schemes = (copy.components?.securitySchemes ?? {}) as Record<string, { in?: string }>;
  const inQuery = new Set(Object.entries(schemes).filter(([, scheme]) => scheme.in === 'query').map(([name]) => name));
  for (const item of Object.values((copy.paths ?? {}) as Record<string, Record<string, any>>)) {
    for (const op of Object.values(item)) {
      if (Array.isArray(op?.security)) op.security = op.security.filter((requirement: object) => !Object.keys(requirement).some((name) => inQuery.has(name)));
    }
  }
  for (const name of inQuery) delete schemes[name];
  return copy;
}

export async function generateClient(contract: Contract, bundlePath: string, outDir: string): Promise<void> {
  // hey-api reads the contract with each event stream's item schema as its schema (its typed events), and
  // without credentials sent in the query (the room stream's ticket, for a browser's EventSource): the client
  // sends headers, and hey-api would put a token given as a plain `auth` string into every scheme, the URL too.
  await createClient({
    input: withoutQueryCredentials(contract.doc),
    output: { path: join(outDir, 'src/gen'), module: { extension: '.js' }, clean: true },
    logs: { level: 'warn', file: false },
    plugins: [
      { name: '@hey-api/client-fetch', runtimeConfigPath: '../runtime.js' },
      '@hey-api/typescript',
      '@hey-api/sdk',
    ],
  } as any);
  const gen = join(outDir, 'src/gen');
  patch(join(gen, 'client.gen.ts'), "import { createClientConfig } from '../runtime.js';", "import { createClientConfig, withPlatformErrors } from '../runtime.js';");
  patch(join(gen, 'client.gen.ts'), SHARED_CLIENT, SHARED_CLIENT.replace('= createClient(', '= withPlatformErrors(createClient(').replace(/;$/, ');'));
  const types = join(gen, 'client/types.gen.ts');
  patch(types, "import type { Auth } from '../core/auth.gen.js';", "import type { NetworkError } from '../../errors.js';\nimport type { Auth } from '../core/auth.gen.js';");
  patch(types, `        : (
            | {
                data: TData extends Record<string, unknown> ? TData[keyof TData] : TData;
                error: undefined;
              }`, `        :
            | ((
            | {
                data: TData extends Record<string, unknown> ? TData[keyof TData] : TData;
                error: undefined;
              }`);
  patch(types, RESULT_WITH_RESPONSE, RESULT_OR_NO_RESPONSE);

  const version = String((contract.doc.info as { version: string }).version);
  writeFileSync(join(outDir, 'package.json'), template('client-package.json').replace('%VERSION%', version));
  writeFileSync(join(outDir, 'README.md'), template('client-README.md'));
  writeFileSync(join(outDir, 'tsconfig.json'), template('client-tsconfig.json'));
  writeFileSync(join(outDir, 'src/index.ts'), GENERATED_HEADER + template('client-index.ts.tmpl'));
  writeFileSync(join(outDir, 'src/errors.ts'), GENERATED_HEADER + template('client-errors.ts.tmpl'));
  writeFileSync(join(outDir, 'src/runtime.ts'), GENERATED_HEADER + template('client-runtime.ts.tmpl'));
}
