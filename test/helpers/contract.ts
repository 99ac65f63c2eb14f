// The bundled contract, read the way the tests need it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const bundlePath = join(repoRoot, 'generated', 'openapi.json');

export type Schema = Record<string, any>;
export const doc: Schema = JSON.parse(readFileSync(bundlePath, 'utf8'));

export const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export interface RawOperation {
  method: string;
  path: string;
  op: Schema;
}

export function resolve(node: any): any {
  let current = node;
  while (current && typeof current.$ref === 'string') {
    current = current.$ref.replace(/^#\//, '').split('/').reduce((acc: any, key: string) => acc?.[key], doc);
  }
  return current;
}

export const operations: RawOperation[] = Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) =>
  METHODS.filter((m) => resolve(item)[m]).map((method) => ({ method, path, op: resolve(item)[method] })));

export const byId = (operationId: string): RawOperation => {
  const found = operations.find((o) => o.op.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found;
};
