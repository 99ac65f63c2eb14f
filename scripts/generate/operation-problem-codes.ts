// Problem codes per operation. The contract says which `code`s each problem response of an operation can
// carry: `x-problem-codes` on the operation (`'404': [NOT_FOUND]`), or, for a shared response whose code is
// always the same (Unauthorized: UNAUTHENTICATED), `x-problem-codes` on that response. In the bundle each
// problem response of an operation becomes a copy of the shared one whose schema narrows `code` to that
// list, so everything built from the bundle sees it: the validators (a code the operation does not document
// is a contract violation), the client's error types (a union of the codes), the docs and the contract diff.
import { deref, HTTP_METHODS, type Json, type JsonObject } from './contract.js';

const PROBLEM = 'application/problem+json';
const CODE = /^[A-Z][A-Z0-9_]*$/;

interface Response extends JsonObject {
  content: { [PROBLEM]: JsonObject & { schema: JsonObject; example?: Json } };
}

export function applyProblemCodes(doc: JsonObject): void {
  for (const [path, item] of Object.entries(doc.paths as Record<string, JsonObject>)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const name = `${op.operationId as string} (${method.toUpperCase()} ${path})`;
      const listed = (op['x-problem-codes'] ?? {}) as Record<string, Json>;
      delete op['x-problem-codes'];
      const responses = op.responses as Record<string, Json>;
      for (const status of Object.keys(listed)) {
        if (!deref<Response | undefined>(doc, responses[status])?.content?.[PROBLEM]) {
          throw new Error(`${name}: x-problem-codes lists ${status}, which is not one of its problem+json responses`);
        }
      }
      for (const [status, raw] of Object.entries(responses)) {
        const shared = deref<Response>(doc, raw);
        if (!shared.content?.[PROBLEM]) continue;
        const codes = listed[status] ?? shared['x-problem-codes'];
        if (!Array.isArray(codes) || codes.length === 0) {
          throw new Error(
            `${name}: say which problem codes its ${status} can carry (x-problem-codes: { '${status}': [...] })`,
          );
        }
        const bad = codes.filter((code) => typeof code !== 'string' || !CODE.test(code));
        if (bad.length || new Set(codes).size !== codes.length)
          throw new Error(
            `${name} ${status}: codes must be distinct SCREAMING_SNAKE_CASE strings: ${JSON.stringify(codes)}`,
          );
        // An operation's own description of the response (beside its $ref: which code means what) is kept.
        const own = (raw as JsonObject).description;
        responses[status] = {
          ...narrowed(shared, codes as string[]),
          ...(typeof own === 'string' ? { description: own } : {}),
        };
      }
    }
  }
  dropUnusedResponses(doc);
}

/** The shared response with `code` narrowed to `codes`; its example only if it carries one of them. */
function narrowed(shared: Response, codes: string[]): JsonObject {
  const { 'x-problem-codes': _, content, ...rest } = shared;
  const media = content[PROBLEM];
  const example = media.example as { code?: string } | undefined;
  return {
    ...structuredClone(rest),
    content: {
      [PROBLEM]: {
        schema: {
          type: 'object',
          allOf: [structuredClone(media.schema)],
          required: ['code'],
          properties: { code: { type: 'string', enum: codes } },
        },
        ...(example && codes.includes(example.code ?? '') ? { example: structuredClone(media.example!) } : {}),
      },
    },
  };
}

/** Shared responses every use of which was narrowed are left out of the bundle; the rest lose the extension. */
function dropUnusedResponses(doc: JsonObject): void {
  const responses = ((doc.components as JsonObject | undefined)?.responses ?? {}) as Record<string, JsonObject>;
  const text = JSON.stringify(doc.paths);
  for (const [key, response] of Object.entries(responses)) {
    if (!text.includes(`"#/components/responses/${key}"`)) delete responses[key];
    else delete response['x-problem-codes'];
  }
}
