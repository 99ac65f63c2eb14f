// generated/server: the operation table and the `Handlers` type. The types come from the client's own
// generated `<Op>Data` / `<Op>Responses` / `<Op>Errors`, so there is one type generator, not two.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Contract, type Operation, GENERATED_HEADER, errorStyle, isEventStream, typeBaseName } from './contract.js';

function authOf(op: Operation): 'none' | 'optional' | 'required' {
  if (op.security.length === 0) return 'none';
  return op.security.some((req) => Object.keys(req).length === 0) ? 'optional' : 'required';
}

function emitOperations(contract: Contract): string {
  const rows = contract.operations.map((op) => {
    const statuses = Object.keys(op.responses).map(Number).sort((a, b) => a - b);
    const schemes = [...new Set(op.security.flatMap((req) => Object.keys(req)))];
    const roles = [...new Set(op.security.flatMap((req) => Object.values(req).flat()))];
    const contentTypes = Object.entries(op.responses).flatMap(([status, r]) => {
      const type = Object.keys(r.content ?? {})[0];
      return type ? [`${status}: '${type}'`] : [];
    });
    return [
      `  {`,
      `    operationId: '${op.operationId}',`,
      `    method: '${op.method.toUpperCase()}',`,
      `    path: '${op.path}',`,
      `    tag: '${op.tags[0] ?? ''}',`,
      `    auth: '${authOf(op)}',`,
      `    schemes: [${schemes.map((s) => `'${s}'`).join(', ')}],`,
      `    roles: [${roles.map((r) => `'${r}'`).join(', ')}],`,
      `    eventStream: ${isEventStream(op)},`,
      `    errorStyle: '${errorStyle(op)}',`,
      `    statuses: [${statuses.join(', ')}],`,
      `    contentTypes: { ${contentTypes.join(', ')} },`,
      `  },`,
    ].join('\n');
  });
  return `${GENERATED_HEADER}
/** What the server needs to know about each operation, straight from the contract. */
export interface OperationMeta {
  readonly operationId: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS' | 'TRACE';
  /** The OpenAPI path template, e.g. \`/api/spaces/{id}\`. */
  readonly path: string;
  readonly tag: string;
  /** \`none\`: public; \`optional\`: public, but credentials are used when sent; \`required\`: 401 without. */
  readonly auth: 'none' | 'optional' | 'required';
  /** Security schemes accepted (any one suffices). */
  readonly schemes: readonly string[];
  /** Roles required on top of authentication, e.g. \`admin\`. */
  readonly roles: readonly string[];
  /** The success response is \`text/event-stream\`. */
  readonly eventStream: boolean;
  /** How validation errors are answered: FastAPI's 422 \`detail\` (Rooms) or 400 problem+json. */
  readonly errorStyle: 'fastapi' | 'problem';
  /** Every documented status code. */
  readonly statuses: readonly number[];
  /** The media type of each documented response body, by status. */
  readonly contentTypes: Readonly<Partial<Record<number, string>>>;
}

export const operations = [
${rows.join('\n')}
] as const satisfies readonly OperationMeta[];

export type OperationId = (typeof operations)[number]['operationId'];
`;
}

function emitHandlers(contract: Contract): string {
  const entries = contract.operations.map((op) => {
    const t = typeBaseName(op.operationId);
    const streams = isEventStream(op)
      ? `{ ${Object.entries(op.responses).filter(([, r]) => r.content && 'text/event-stream' in r.content)
        .map(([status]) => `${status}: T.${t}Responses[${status}]`).join('; ')} }`
      : '{}';
    return `  ${op.operationId}: {\n    request: Omit<T.${t}Data, 'url'>;\n    responses: T.${t}Responses & T.${t}Errors;\n    streams: ${streams};\n  };`;
  });
  return `${GENERATED_HEADER}
import type * as T from '../client/src/gen/types.gen.js';
import type { OperationId } from './operations.gen.js';

/** Per operation: the validated request, every documented response body by status, and which are streams. */
export interface OperationTypes {
${entries.join('\n')}
}

export type ResponseHeaders = Record<string, string | string[]>;

/** A JSON (or empty) reply with one documented status. */
export type BodyReply<S extends number, B> = [B] extends [void]
  ? { status: S; body?: undefined; headers?: ResponseHeaders }
  : { status: S; body: B; headers?: ResponseHeaders };

/** A \`text/event-stream\` reply: each item is one event's data (the SSE \`event:\` name is its \`type\`). */
export interface StreamReply<S extends number, E> {
  status: S;
  stream: AsyncIterable<StreamEvent<E>>;
  headers?: ResponseHeaders;
}

/** One server-sent event: its data, and optionally its \`id:\` (e.g. a room event's \`seq\`). */
export interface StreamEvent<E> {
  data: E;
  id?: string | number;
}

type Replies<R, Streams> = {
  [S in keyof R & number]: S extends keyof Streams ? StreamReply<S, Streams[S]> : BodyReply<S, R[S]>;
}[keyof R & number];

/** Everything a handler may return for \`Op\`: exactly the statuses and bodies the contract documents. */
export type HandlerResult<Op extends OperationId> = Replies<OperationTypes[Op]['responses'], OperationTypes[Op]['streams']>;

/** A handler's input: path, query, headers and body, already validated (and coerced/defaulted) against the contract. */
export type HandlerRequest<Op extends OperationId> = OperationTypes[Op]['request'];

export type Handler<Op extends OperationId, Ctx> = (request: HandlerRequest<Op>, ctx: Ctx) => Promise<HandlerResult<Op>>;

/** One handler per operationId: a missing handler, a wrong status or a wrong body is a compile error. */
export type Handlers<Ctx> = { [Op in OperationId]: Handler<Op, Ctx> };
`;
}

export function generateServerTypes(contract: Contract, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'operations.gen.ts'), emitOperations(contract));
  writeFileSync(join(outDir, 'handlers.gen.ts'), emitHandlers(contract));
  writeFileSync(join(outDir, 'index.ts'), `${GENERATED_HEADER}export * from './operations.gen.js';\nexport * from './handlers.gen.js';\n`);
}
