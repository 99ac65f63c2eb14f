// openapi/ follows the house layout: one file per path, named after it; components named by file; none unused.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/contract.js';

const openapiDir = join(repoRoot, 'openapi');
const files = readdirSync(openapiDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.yaml') && !e.name.startsWith('_scratch'))
  .map((e) => relative(openapiDir, join(e.parentPath, e.name)));
const root = parse(readFileSync(join(openapiDir, 'openapi.yaml'), 'utf8'));

describe('openapi/ layout', () => {
  it('maps every path to paths/<area>/<path with / as _>.yaml', () => {
    for (const [path, item] of Object.entries(root.paths as Record<string, { $ref: string }>)) {
      const expected = path
        .replace(/^\/api\/(v1\/)?/, '')
        .replace(/^\//, '')
        .replace(/\//g, '_');
      expect(item.$ref, path).toMatch(new RegExp(`^paths/[a-z]+/${expected.replace(/[{}]/g, '\\$&')}\\.yaml$`));
    }
  });

  it('has no path file that the root does not reference', () => {
    const referenced = new Set(Object.values(root.paths as Record<string, { $ref: string }>).map((i) => i.$ref));
    expect(files.filter((f) => f.startsWith('paths/') && !referenced.has(f))).toEqual([]);
  });

  it('names components in PascalCase, one flat folder per kind', () => {
    for (const file of files.filter((f) => f.startsWith('components/'))) {
      expect(file).toMatch(/^components\/(schemas|parameters|responses|examples|headers)\/[A-Z][A-Za-z0-9]*\.yaml$/);
    }
  });

  it('has no unused component file', () => {
    const text = files.map((f) => readFileSync(join(openapiDir, f), 'utf8')).join('\n');
    const unused = files
      .filter((f) => f.startsWith('components/'))
      .filter(
        (f) =>
          !new RegExp(
            `\\$ref: ['"]?(\\./|\\.\\./|\\.\\./\\.\\./components/)([a-z]+/)?${basename(f).replace('.', '\\.')}`,
          ).test(text),
      );
    expect(unused).toEqual([]);
  });
});
