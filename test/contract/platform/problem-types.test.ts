// Every problem `type` the platform can send resolves: /problems/<slug> redirects to the row of the errors
// guide that explains the code. Which codes the platform can send is read from the source: every ApiError
// it constructs names its status and code literally (the helpers of src/platform/errors.ts fix the status).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemCodes, type ProblemCode } from '../../../generated/server/problem-codes.gen.js';
import { toWireError } from '../../../src/http/problem.js';
import { ApiError } from '../../../src/platform/errors.js';
import { useTestServer } from '../../helpers/server.js';

const server = useTestServer();
const root = join(import.meta.dirname, '..', '..', '..');

/** `status code` for every error the source constructs. */
function thrownBySource(): Set<string> {
  const thrown = new Set<string>();
  const helpers: Record<string, number> = { forbidden: 403, notFound: 404, conflict: 409 };
  const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [, status, code] of text.matchAll(/new ApiError\(\s*(\d{3}),\s*'([A-Z][A-Z0-9_]*)'/g))
      thrown.add(`${status} ${code}`);
    for (const [, helper, code] of text.matchAll(/\b(forbidden|notFound|conflict)\(\s*'([A-Z][A-Z0-9_]*)'/g))
      thrown.add(`${helpers[helper!]} ${code}`);
    // A code that is not a literal would escape this list: only the helpers themselves pass one on.
    const passedOn = file.endsWith(join('platform', 'errors.ts'))
      ? /new ApiError\((?!\s*\d{3},\s*('[A-Z]|code,))/
      : /new ApiError\((?!\s*\d{3},\s*'[A-Z])/;
    expect(text, `${file}: construct ApiError with a literal status and code`).not.toMatch(passedOn);
  }
  thrown.add('403 FORBIDDEN').add('404 NOT_FOUND'); // the helpers' defaults, forbidden() and notFound()
  return thrown;
}

describe('problem types', () => {
  it('the errors guide documents every code the source throws, with its status, and no other', () => {
    const thrown = thrownBySource();
    const documented = new Set(
      Object.entries(problemCodes).flatMap(([code, { statuses }]) => statuses.map((s) => `${s} ${code}`)),
    );
    expect(
      [...thrown].filter((pair) => !documented.has(pair)),
      'add these rows to "Problem codes" in docs/guides/errors.md',
    ).toEqual([]);
    expect(
      [...documented].filter((pair) => !thrown.has(pair)),
      'nothing throws these: remove them from docs/guides/errors.md',
    ).toEqual([]);
  });

  it('redirects each type the platform sends to the row of the docs that explains its code', async () => {
    const docsHtml = readFileSync(join(root, 'docs', 'index.html'), 'utf8');
    for (const [code, { statuses, docs }] of Object.entries(problemCodes) as Array<
      [ProblemCode, (typeof problemCodes)[ProblemCode]]
    >) {
      const { type } = toWireError(new ApiError(statuses[0]!, code, 'x'), 'problem', '/', 'id').body as {
        type: string;
      };
      const res = await fetch(`${server.baseUrl}${type}`, { redirect: 'manual' });
      expect(res.status, type).toBe(302);
      expect(res.headers.get('location'), type).toBe(docs);
      const [, anchor] = docs.split('#/section/errors/problem-codes#');
      expect(docsHtml, `${docs}: the docs have no such anchor`).toContain(`id="${anchor}"`);
    }
    const landing = await fetch(`${server.baseUrl}/problems/not-a-member`);
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('answers an unknown type with a 404 problem', async () => {
    const res = await fetch(`${server.baseUrl}/problems/no-such-problem`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      code: 'NOT_FOUND',
      type: '/problems/not-found',
      instance: '/problems/no-such-problem',
    });
  });
});
