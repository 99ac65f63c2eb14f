// Every example in the contract validates against the schema it illustrates (as matrix-spec checks its own).
import { describe, expect, it } from 'vitest';
import { doc, operations, resolve } from '../helpers/contract.js';
import { check } from '../helpers/ajv.js';

interface Case {
  where: string;
  schema: unknown;
  value: unknown;
}
const cases: Case[] = [];

function mediaExamples(where: string, content: Record<string, any> | undefined) {
  for (const [type, media] of Object.entries(content ?? {})) {
    if (!media.schema) continue;
    if ('example' in media)
      cases.push({ where: `${where} ${type} example`, schema: media.schema, value: media.example });
    for (const [name, ex] of Object.entries((media.examples ?? {}) as Record<string, any>)) {
      cases.push({ where: `${where} ${type} examples.${name}`, schema: media.schema, value: resolve(ex).value });
    }
  }
}

for (const { method, path, op } of operations) {
  const where = `${method.toUpperCase()} ${path}`;
  for (const raw of op.parameters ?? []) {
    const p = resolve(raw);
    if ('example' in p) cases.push({ where: `${where} parameter ${p.name}`, schema: p.schema, value: p.example });
    for (const ex of Object.values((p.examples ?? {}) as Record<string, any>))
      cases.push({ where: `${where} parameter ${p.name}`, schema: p.schema, value: resolve(ex).value });
  }
  if (op.requestBody) mediaExamples(`${where} request`, resolve(op.requestBody).content);
  for (const [status, raw] of Object.entries(op.responses as Record<string, any>)) {
    const response = resolve(raw);
    mediaExamples(`${where} ${status}`, response.content);
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, any>)) {
      const h = resolve(header);
      if ('example' in h)
        cases.push({ where: `${where} ${status} header ${name}`, schema: h.schema, value: h.example });
    }
  }
}

/** Schema-level `examples` anywhere inside the named component schemas. */
function schemaExamples(where: string, schema: any) {
  if (!schema || typeof schema !== 'object') return;
  if (Array.isArray(schema.examples)) {
    for (const [i, value] of (schema.examples as unknown[]).entries())
      cases.push({ where: `${where} examples[${i}]`, schema, value });
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' || key === '$defs')
      for (const [name, sub] of Object.entries(value as object)) schemaExamples(`${where}.${name}`, sub);
    else if (['items', 'additionalProperties', 'not'].includes(key)) schemaExamples(`${where}.${key}`, value);
    else if (['oneOf', 'anyOf', 'allOf', 'prefixItems'].includes(key)) {
      for (const [i, sub] of (value as unknown[]).entries()) schemaExamples(`${where}.${key}[${i}]`, sub);
    }
  }
}
for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
  schemaExamples(`#/components/schemas/${name}`, schema);

describe('examples', () => {
  it('exist for every operation that returns a JSON body', () => {
    const missing = operations
      .filter(({ op }) =>
        Object.entries(op.responses).some(([status, raw]) => {
          const json = resolve(raw).content?.['application/json'];
          return status.startsWith('2') && json && !('example' in json) && !json.examples;
        }),
      )
      .map(({ op }) => op.operationId);
    expect(missing).toEqual([]);
  });

  it.each(cases.map((c) => [c.where, c] as const))('%s validates', (_where, c) => {
    expect(check(c.schema, c.value)).toBe('');
  });
});
