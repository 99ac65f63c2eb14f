// A problem's `type` URI resolves: GET /problems/<code in kebab-case> redirects to the row of the errors guide
// that explains the code (the table is generated from docs/guides/errors.md); an unknown one is a 404 problem.
import type Koa from 'koa';
import { PROBLEM_CODES_DOCS, problemCodes } from '../../generated/server/problem-codes.gen.js';
import { ApiError } from '../platform/errors.js';

const docsByType = new Map<string, string>(Object.values(problemCodes).map(({ type, docs }) => [type, docs]));

export function problemTypes(): Koa.Middleware {
  return async (koa, next) => {
    if (!koa.path.startsWith('/problems/') || (koa.method !== 'GET' && koa.method !== 'HEAD')) return next();
    const docs = docsByType.get(koa.path);
    if (!docs)
      throw new ApiError(
        404,
        'NOT_FOUND',
        `No problem type ${koa.path}: every code is explained at ${PROBLEM_CODES_DOCS}.`,
      );
    koa.redirect(docs);
  };
}
