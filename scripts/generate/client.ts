// generated/client: the typed client package. hey-api writes src/gen/; this step adds the package around it
// (package.json, README, the runtime and its errors), all from templates/ so the tree is reproducible, and
// makes two changes to hey-api's output, each of which fails loudly if that output is not what it expects:
// - the shared `client` is created with the platform's runtime (`withPlatformErrors`), like every other;
// - a call's result type also has the case where no response came back: `error` is a NetworkError and
//   `response` is undefined (hey-api types `response` as always present);
// - an `x-idempotency` operation's key is optional in its function's options (the client makes one);
// - every optional property also accepts `undefined` (`exactOptionalPropertyTypes` users write `signal:
//   undefined`), and hey-api reads a copy of the contract whose descriptions name each schema's limits
//   (`@maximum 100`), since it puts descriptions, and nothing else of a schema, in its doc comments.
// It also writes what the runtime derives from the contract: the operations by route (their ids, which are
// idempotent) and each paged list's `x-paging`, with `paginate` typed for each (operations.gen.ts,
// paginate.gen.ts).
import { createClient } from '@hey-api/openapi-ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type Contract, type Json, type JsonObject, GENERATED_HEADER, typeBaseName } from './contract.js';

const templates = join(dirname(fileURLToPath(import.meta.url)), 'templates');
const template = (name: string) => readFileSync(join(templates, name), 'utf8');

export const CLIENT_PACKAGE = '@platform/client';

/** Replaces `from` (which must occur exactly once) by `to` in a file hey-api wrote. */
function patch(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (text.split(from).length !== 2) {
    throw new Error(
      `${file}: hey-api's output changed (expected exactly one ${JSON.stringify(from.slice(0, 80))}); update scripts/generate/client.ts`,
    );
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

/** Schema keywords whose values a caller must respect, shown as doc-comment tags (`@maximum 100`). */
const LIMIT_KEYWORDS = [
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'default',
] as const;

function limitTags(schema: JsonObject): string {
  const tags = LIMIT_KEYWORDS.filter((k) => schema[k] !== undefined).map(
    (k) =>
      `@${k} ${typeof schema[k] === 'string' && k !== 'pattern' && k !== 'format' ? JSON.stringify(schema[k]) : String(schema[k])}`,
  );
  return tags.length ? `\n\n${tags.join('\n')}` : '';
}

/** The contract as hey-api reads it: each schema's (and parameter's) description ends with its limits. */
function withLimitsInDescriptions(node: Json): Json {
  if (Array.isArray(node)) return node.map(withLimitsInDescriptions);
  if (!node || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node))
    out[key] = key === 'example' || key === 'examples' ? value : withLimitsInDescriptions(value);
  const tags = typeof out.type === 'string' || Array.isArray(out.type) ? limitTags(out) : '';
  if (tags)
    out.description = `${typeof out.description === 'string' ? out.description.trimEnd() : ''}${tags}`.trimStart();
  // A parameter: hey-api documents it with its schema's description, so that one gets the parameter's text too.
  const schema = out.schema as JsonObject | undefined;
  if (
    typeof out.in === 'string' &&
    typeof out.description === 'string' &&
    schema &&
    typeof schema === 'object' &&
    !Array.isArray(schema)
  ) {
    const own = (node as JsonObject).schema as JsonObject;
    if (typeof own.description !== 'string')
      out.schema = { ...schema, description: `${out.description.trimEnd()}${limitTags(own)}` };
  }
  return out;
}

/**
 * Adds `| undefined` to every optional property of a hey-api file (what hey-api/hey-api#3157 proposes), so
 * `exactOptionalPropertyTypes` users can pass `undefined` where a property is optional.
 */
function acceptUndefined(file: string): void {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edits: Array<[number, string]> = [];
  const visit = (node: ts.Node) => {
    if ((ts.isPropertySignature(node) || ts.isPropertyDeclaration(node)) && node.questionToken && node.type) {
      const type = node.type;
      const members = ts.isUnionTypeNode(type) ? type.types : [type];
      if (
        !members.some(
          (m) =>
            m.kind === ts.SyntaxKind.UndefinedKeyword ||
            m.kind === ts.SyntaxKind.AnyKeyword ||
            m.kind === ts.SyntaxKind.UnknownKeyword,
        )
      ) {
        const wrap = ts.isFunctionTypeNode(type) || ts.isConstructorTypeNode(type) || ts.isConditionalTypeNode(type);
        if (wrap) edits.push([type.getStart(source), '(']);
        edits.push([type.getEnd(), `${wrap ? ')' : ''} | undefined`]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let out = text;
  for (const [at, insert] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, at) + insert + out.slice(at);
  writeFileSync(file, out);
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** src/operations.gen.ts: each operation by route (what a request's method and URL template identify). */
function emitOperations(contract: Contract): string {
  const ops = [...contract.operations].sort((a, b) => a.operationId.localeCompare(b.operationId));
  const rows = contract.operations.map((op) => {
    const key = op.idempotency ? `, idempotencyKey: ${quote(op.idempotency.key.replace(/^body\./, ''))}` : '';
    return `  ${quote(`${op.method.toUpperCase()} ${op.path}`)}: { id: ${quote(op.operationId)}${key} },`;
  });
  return `${GENERATED_HEADER}// The operations by route (\`METHOD /path/{template}\`, as a request's options carry them): the runtime finds
// a request's operationId here (for its errors) and, for an \`x-idempotency\` operation, the body field of its key.
import type {
${ops.map((op) => `  ${typeBaseName(op.operationId)}Error,`).join('\n')}
} from './gen/types.gen.js';

export interface OperationInfo {
  id: OperationId;
  /** \`x-idempotency\`: the body field that carries the key; retrying such an operation has one effect. */
  idempotencyKey?: string;
}

export const operations: Readonly<Record<string, OperationInfo>> = {
${rows.join('\n')}
};

/** Each operation's error body: the documented problems (their \`code\` union) and validation errors. */
export interface OperationErrors {
${ops.map((op) => `  ${op.operationId}: ${typeBaseName(op.operationId)}Error;`).join('\n')}
}

export type OperationId = keyof OperationErrors;
`;
}

/** src/paginate.gen.ts: \`paginate\` typed for every paged list, and each one's \`x-paging\`. */
function emitPaginate(contract: Contract): string {
  const paged = contract.operations
    .filter((op) => op.paging)
    .sort((a, b) => a.operationId.localeCompare(b.operationId));
  const types = paged.flatMap((op) => [
    `${typeBaseName(op.operationId)}Data`,
    `${typeBaseName(op.operationId)}Response`,
  ]);
  const overloads = paged.map((op) => {
    const base = typeBaseName(op.operationId);
    const optional = op.parameters.some((p) => p.in === 'path') ? '' : '?';
    return `export function paginate(operation: typeof ${op.operationId}, options${optional}: PageOptions<${base}Data>): Paginator<${base}Response[${quote(op.paging!.items)}][number], ${base}Response>;`;
  });
  const table = paged.map((op) => `  [${op.operationId}, ${JSON.stringify(op.paging)}],`);
  return `${GENERATED_HEADER}// \`paginate(listX, options)\` for every list the contract pages (\`x-paging\`), typed with the list's items.
import { ${paged.map((op) => op.operationId).join(', ')} } from './gen/sdk.gen.js';
import type { ${types.join(', ')} } from './gen/types.gen.js';
import { paginator, type PageOptions, type Paginator, type Paging } from './paging.js';

/**
 * Walks a paged list: \`for await (const item of paginate(listRooms, { query: { limit: 100 } }))\` yields every
 * item, requesting each next page as the contract's \`x-paging\` says; \`.pages()\` yields whole answers instead.
 * Each page is one call with the given options and \`throwOnError\` (an error throws ApiError or NetworkError,
 * after the call's retries). Starts where \`options.query\` says (e.g. \`afterSeq\`, \`page\`, \`cursor\`).
 */
${overloads.join('\n')}
export function paginate(operation: unknown, options?: PageOptions<never>): Paginator<unknown, unknown> {
  const paging = PAGING.get(operation);
  if (!paging) throw new TypeError('paginate: not a paged list operation of @platform/client');
  return paginator(operation as never, paging, options);
}

const PAGING = new Map<unknown, Paging>([
${table.join('\n')}
]);
`;
}

/** The contract without the security requirements of schemes sent in the query. */
function withoutQueryCredentials(doc: JsonObject): JsonObject {
  const copy = structuredClone(doc) as any;
  const schemes = (copy.components?.securitySchemes ?? {}) as Record<string, { in?: string }>;
  const inQuery = new Set(
    Object.entries(schemes)
      .filter(([, scheme]) => scheme.in === 'query')
      .map(([name]) => name),
  );
  for (const item of Object.values((copy.paths ?? {}) as Record<string, Record<string, any>>)) {
    for (const op of Object.values(item)) {
      if (Array.isArray(op?.security))
        op.security = op.security.filter(
          (requirement: object) => !Object.keys(requirement).some((name) => inQuery.has(name)),
        );
    }
  }
  for (const name of inQuery) delete schemes[name];
  return copy;
}

export async function generateClient(contract: Contract, outDir: string): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'client-contract-'));
  const input = join(scratch, 'openapi.json');
  // hey-api reads the contract with each event stream's item schema as its schema (its typed events), without
  // credentials sent in the query (the room stream's ticket, for a browser's EventSource: the client sends
  // headers, and hey-api would put a token given as a plain `auth` string into every scheme, the URL too), and
  // with each schema's limits in its description.
  writeFileSync(input, JSON.stringify(withLimitsInDescriptions(withoutQueryCredentials(contract.doc) as Json)));
  try {
    await generateWithHeyApi(input, outDir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  patchHeyApiOutput(contract, outDir);
  writeFileSync(join(outDir, 'src/operations.gen.ts'), emitOperations(contract));
  writeFileSync(join(outDir, 'src/paginate.gen.ts'), emitPaginate(contract));
  writePackage(contract, outDir);
}

async function generateWithHeyApi(input: string, outDir: string): Promise<void> {
  await createClient({
    input,
    output: { path: join(outDir, 'src/gen'), module: { extension: '.js' }, clean: true },
    logs: { level: 'warn', file: false },
    plugins: [
      { name: '@hey-api/client-fetch', runtimeConfigPath: '../runtime.js' },
      '@hey-api/typescript',
      '@hey-api/sdk',
    ],
  } as any);
}

function patchHeyApiOutput(contract: Contract, outDir: string): void {
  const gen = join(outDir, 'src/gen');
  patch(
    join(gen, 'client.gen.ts'),
    "import { createClientConfig } from '../runtime.js';",
    "import { createClientConfig, withPlatformErrors } from '../runtime.js';",
  );
  patch(
    join(gen, 'client.gen.ts'),
    SHARED_CLIENT,
    SHARED_CLIENT.replace('= createClient(', '= withPlatformErrors(createClient(').replace(/;$/, ');'),
  );
  const types = join(gen, 'client/types.gen.ts');
  patch(
    types,
    "import type { Auth } from '../core/auth.gen.js';",
    "import type { NetworkError } from '../../errors.js';\nimport type { Auth } from '../core/auth.gen.js';",
  );
  patch(
    types,
    `        : (
            | {
                data: TData extends Record<string, unknown> ? TData[keyof TData] : TData;
                error: undefined;
              }`,
    `        :
            | ((
            | {
                data: TData extends Record<string, unknown> ? TData[keyof TData] : TData;
                error: undefined;
              }`,
  );
  patch(types, RESULT_WITH_RESPONSE, RESULT_OR_NO_RESPONSE);
  // Per-client and per-call retry and timeout settings (the runtime reads them), and RequestInit's fields
  // (signal, ...) that accept undefined like every other optional property.
  patch(
    types,
    "export interface Config<T extends ClientOptions = ClientOptions>\n  extends Omit<RequestInit, 'body' | 'headers' | 'method'>, CoreConfig {",
    "export interface Config<T extends ClientOptions = ClientOptions>\n  extends AcceptUndefined<Omit<RequestInit, 'body' | 'headers' | 'method'>>, CoreConfig, RetryConfig {",
  );
  patch(
    types,
    "import type { Auth } from '../core/auth.gen.js';",
    "import type { Auth } from '../core/auth.gen.js';\nimport type { AcceptUndefined, RetryConfig } from '../../retry.js';",
  );
  const sdk = join(gen, 'sdk.gen.ts');
  for (const op of contract.operations.filter((o) => o.idempotency)) {
    const data = `${typeBaseName(op.operationId)}Data`;
    patch(
      sdk,
      `(options: Options<${data}, ThrowOnError>)`,
      `(options: Options<IdempotencyKeyOptional<${data}, ${quote(op.idempotency!.key.replace(/^body\./, ''))}>, ThrowOnError>)`,
    );
  }
  patch(
    sdk,
    "import { client } from './client.gen.js';",
    "import type { IdempotencyKeyOptional } from '../retry.js';\nimport { client } from './client.gen.js';",
  );
  for (const entry of readdirSync(gen, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) acceptUndefined(join(entry.parentPath, entry.name));
  }
}

function writePackage(contract: Contract, outDir: string): void {
  const version = String((contract.doc.info as { version: string }).version);
  writeFileSync(join(outDir, 'package.json'), template('client-package.json').replace('%VERSION%', version));
  writeFileSync(join(outDir, 'README.md'), template('client-README.md'));
  writeFileSync(join(outDir, 'tsconfig.json'), template('client-tsconfig.json'));
  writeFileSync(join(outDir, 'src/index.ts'), GENERATED_HEADER + template('client-index.ts.tmpl'));
  writeFileSync(join(outDir, 'src/errors.ts'), GENERATED_HEADER + template('client-errors.ts.tmpl'));
  writeFileSync(join(outDir, 'src/runtime.ts'), GENERATED_HEADER + template('client-runtime.ts.tmpl'));
  writeFileSync(join(outDir, 'src/retry.ts'), GENERATED_HEADER + template('client-retry.ts.tmpl'));
  writeFileSync(join(outDir, 'src/paging.ts'), GENERATED_HEADER + template('client-paging.ts.tmpl'));
}
