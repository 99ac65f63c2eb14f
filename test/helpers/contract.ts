// The bundled contract, read the way the tests need it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deref } from '../../scripts/generate/contract.js';

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

/** Follows `#/components/...` refs in the bundle. */
export const resolve = (node: unknown): any => deref(doc, node);

export const operations: RawOperation[] = Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) =>
  METHODS.filter((m) => resolve(item)[m]).map((method) => ({ method, path, op: resolve(item)[method] })),
);

export const byId = (operationId: string): RawOperation => {
  const found = operations.find((o) => o.op.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found;
};
