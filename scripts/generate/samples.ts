// One code sample per operation, using the generated client, built from the contract's own examples, and the
// same call in curl. They are shown in the docs (x-codeSamples) and written to generated/samples/ where
// `npm run typecheck` compiles them. The examples' ids are the demo data's (src/demo/fixtures.ts), and each
// sample carries its setup (the base URL, a demo account's API key), so every one runs as written against
// `DEMO=true npm start`: test/docs/samples-curl.test.ts and samples-client.test.ts run them all.
import { DEFAULT_BASE_URL, DEMO_USERS, type DemoUser } from '../../src/demo/fixtures.js';
import {
  type Contract,
  type Json,
  type JsonObject,
  type Operation,
  deref,
  isEventStream,
  jsonMediaType,
} from './contract.js';
import { CLIENT_PACKAGE } from './client.js';

/** Where the samples send requests: `npm start`'s address. The served docs show their own origin instead. */
export const SAMPLE_BASE_URL = DEFAULT_BASE_URL;

/**
 * The demo account a sample calls as: its `x-sample` caller, else none for a public operation, Ada (the demo
 * admin) for an admin one, and Alice (who owns the demo's objects) for the rest.
 */
export function sampleCaller(op: Operation): DemoUser | undefined {
  const named = op.sample?.caller;
  if (named === 'nobody') return undefined;
  if (named !== undefined) {
    if (!Object.hasOwn(DEMO_USERS, named))
      throw new Error(
        `${op.operationId}: x-sample caller "${named}" is not a demo account (${Object.keys(DEMO_USERS).join(', ')}, or nobody)`,
      );
    return named as DemoUser;
  }
  if (op.whoMayCall === 'anyone') return undefined;
  return op.whoMayCall === 'admin' ? 'ada' : 'alice';
}

const PLACEHOLDER_UUID = '3f6c2a8e-5b1d-4c7a-9e2f-8d4b6a1c0e57';

/** A plausible value for a schema: its example, default, first enum value, or one built from its type. */
function sampleValue(contract: Contract, raw: unknown, depth = 0): Json {
  const schema = deref<JsonObject>(contract.doc, raw) ?? {};
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0]!;
  if ('example' in schema) return schema.example!;
  if ('default' in schema) return schema.default!;
  if ('const' in schema) return schema.const!;
  if (Array.isArray(schema.enum)) return schema.enum[0]!;
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) return sampleValue(contract, (schema[key] as Json[])[0], depth);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: JsonObject = {};
      const properties = (schema.properties ?? {}) as JsonObject;
      for (const name of (schema.required ?? []) as string[]) {
        if (depth < 6) out[name] = sampleValue(contract, properties[name], depth + 1);
      }
      return out;
    }
    case 'array':
      return depth < 6 ? [sampleValue(contract, schema.items, depth + 1)] : [];
    case 'integer':
    case 'number':
      return (schema.minimum as number | undefined) ?? 1;
    case 'boolean':
      return true;
    case 'string':
      switch (schema.format) {
        case 'uuid':
          return PLACEHOLDER_UUID;
        case 'date-time':
          return '2026-01-15T09:30:00Z';
        case 'email':
          return 'alice@example.com';
        case 'uri':
          return 'https://example.com/';
        default:
          return 'x'.repeat(Math.max(1, (schema.minLength as number | undefined) ?? 1));
      }
    default:
      return null;
  }
}

function parameterValue(contract: Contract, param: Operation['parameters'][number]): Json {
  if (param.example !== undefined) return param.example;
  const named = param.examples && Object.values(param.examples)[0]?.value;
  return named ?? sampleValue(contract, param.schema);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A TypeScript object literal, indented, with quotes only where a key needs them. */
export function tsLiteral(value: Json, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + tsLiteral(v, inner)).join(',\n')},\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${IDENTIFIER.test(k) ? k : `'${k}'`}: ${tsLiteral(v, inner)}`).join(',\n')},\n${indent}}`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
  if (typeof value === 'string' && !/[\\'\u0000-\u001f]/.test(value)) return `'${value}'`;
  return JSON.stringify(value); // a valid TypeScript literal for any JSON value, escapes included
}

export function requestArguments(contract: Contract, op: Operation): JsonObject {
  const args: JsonObject = {};
  for (const location of ['path', 'query', 'header'] as const) {
    const values: JsonObject = {};
    for (const param of op.parameters.filter((p) => p.in === location)) {
      // Optional query and header parameters appear only when the contract gives them an example.
      const shown =
        param.required ||
        param.example !== undefined ||
        param.examples !== undefined ||
        (Array.isArray(param.schema?.examples) && location === 'query');
      if (shown) values[param.name] = parameterValue(contract, param);
    }
    if (Object.keys(values).length) args[location === 'header' ? 'headers' : location] = values;
  }
  const body = jsonMediaType(op.requestBody?.content);
  if (body) {
    const [, media] = body;
    const named = media.examples && Object.values(media.examples)[0]?.value;
    args.body = media.example ?? named ?? sampleValue(contract, media.schema);
  }
  // This operation's own values (x-sample) win over the shared examples.
  const hints = op.sample ?? {};
  for (const location of ['path', 'query', 'headers'] as const) {
    if (!hints[location]) continue;
    const where = location === 'headers' ? 'header' : location;
    for (const name of Object.keys(hints[location])) {
      if (!op.parameters.some((p) => p.in === where && p.name === name))
        throw new Error(
          `${op.operationId}: x-sample ${location} names "${name}", which is not one of its ${where} parameters`,
        );
    }
    const values: JsonObject = { ...((args[location] ?? {}) as JsonObject), ...hints[location] };
    for (const [name, value] of Object.entries(values)) if (value === null) delete values[name]; // null: not sent here
    args[location] = values;
  }
  if (hints.body !== undefined) args.body = hints.body;
  return args;
}

/** The sample's first lines: the client pointed at the server, with the caller's demo API key. */
function clientSetup(op: Operation): string {
  const caller = sampleCaller(op);
  if (!caller) return `client.setConfig({ baseUrl: '${SAMPLE_BASE_URL}' });\n`;
  return (
    `// ${DEMO_USERS[caller].name}'s demo API key (see the Quickstart)\n` +
    `client.setConfig({\n  baseUrl: '${SAMPLE_BASE_URL}',\n  auth: apiKey('${DEMO_USERS[caller].apiKey}'),\n});\n`
  );
}

export function codeSample(contract: Contract, op: Operation): string {
  const id = op.operationId;
  const args = requestArguments(contract, op);
  const call = Object.keys(args).length ? `${id}(${tsLiteral(args)})` : `${id}()`;
  const stream = isEventStream(op);
  const imports = [...(sampleCaller(op) ? ['apiKey'] : []), 'client', id, ...(stream ? ['StreamError'] : [])];
  const importLine = `import { ${imports.join(', ')} } from '${CLIENT_PACKAGE}';`;
  // The docs' sample panel holds about 55 characters a line at its default width: a longer import is split.
  const head = `${importLine.length <= 55 ? importLine : `import {\n${imports.map((name) => `  ${name},\n`).join('')}} from '${CLIENT_PACKAGE}';`}\n\n${clientSetup(op)}\n`;
  if (stream) {
    // A refused stream throws from the iteration (StreamError: status, code, body, request id).
    const indented = call.replace(/\n/g, '\n  ');
    return (
      `${head}try {\n  const { stream } = await ${indented};\n` +
      `  for await (const event of stream) {\n    console.log(event.type, event);\n  }\n} catch (error) {\n` +
      `  if (error instanceof StreamError) {\n    console.error(error.status, error.code);\n  }\n  throw error;\n}\n`
    );
  }
  const hasBody = Object.entries(op.responses).some(([status, r]) => status.startsWith('2') && r.content);
  if (!hasBody) {
    return `${head}const { error, response } = await ${call};\nif (error) throw new Error(JSON.stringify(error));\nconsole.log(response.status);\n`;
  }
  return `${head}const { data, error } = await ${call};\nif (error) throw new Error(JSON.stringify(error));\nconsole.log(data);\n`;
}

/** A shell word in single quotes (a quote inside becomes '\''). */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The same request as `codeSample`, as a curl command, with the same demo API key. */
export function curlSample(contract: Contract, op: Operation): string {
  const args = requestArguments(contract, op);
  const pathValues = (args.path ?? {}) as JsonObject;
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(pathValues[name])));
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries((args.query ?? {}) as JsonObject)) {
    for (const item of Array.isArray(value) ? value : [value]) query.append(name, String(item));
  }
  const url = `${SAMPLE_BASE_URL}${path}${query.size ? `?${query}` : ''}`;
  const stream = isEventStream(op);
  const lines = [
    `curl -sS${stream ? ' -N' : ''}${op.method === 'get' ? '' : ` -X ${op.method.toUpperCase()}`} ${shellQuote(url)}`,
  ];
  const caller = sampleCaller(op);
  if (caller) lines.push(`-H ${shellQuote(`X-API-Key: ${DEMO_USERS[caller].apiKey}`)}`);
  if (stream) lines.push(`-H ${shellQuote('Accept: text/event-stream')}`);
  for (const [name, value] of Object.entries((args.headers ?? {}) as JsonObject))
    lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  if (args.body !== undefined) {
    lines.push(`-H ${shellQuote('Content-Type: application/json')}`);
    lines.push(`-d ${shellQuote(JSON.stringify(args.body, null, 2))}`);
  }
  // A binary body (audio) goes to a file, not the terminal.
  const binary = Object.entries(op.responses)
    .filter(([status]) => status.startsWith('2'))
    .flatMap(([, r]) => Object.keys(r.content ?? {}))
    .find((type) => !jsonMediaType({ [type]: {} }) && type !== 'text/event-stream');
  if (binary) lines.push(`-o ${binary.split('/')[0]}.bin`);
  return `${lines.join(' \\\n  ')}\n`;
}
