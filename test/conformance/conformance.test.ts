// The contract conformance suite (scripts/conformance/) with a fixed seed and a small budget, on the
// database this test run uses (PGlite unless DATABASE_URL is set). It fails listing every failure; the full
// report, with a curl command per failure, is printed above the assertion.
import { expect, inject, test } from 'vitest';
import { runSuite } from '../../scripts/conformance/suite.js';
import { failureLines, formatReport } from '../../scripts/conformance/report.js';

const SEED = 1;
/** Valid requests per operation; the negative, robustness and auth cases all run regardless. */
const BUDGET = 2;

test('every operation conforms to generated/openapi.json', async () => {
  const databaseUrl = process.env.DATABASE_URL;
  const result = await runSuite({
    seed: SEED,
    budget: BUDGET,
    database: databaseUrl ? 'postgres' : 'pglite',
    databaseUrl,
    // The global setup's migrated PGlite template spares initdb and the migrations.
    pgliteTemplate: databaseUrl ? undefined : inject('pgliteTemplate'),
  });
  if (result.failures.length) console.log(formatReport(result));
  expect(
    failureLines(result),
    `${result.failures.length} conformance failure(s); reproduce with npm run conformance -- --seed ${SEED} --budget ${BUDGET}`,
  ).toEqual([]);
}, 240_000); // the room event stream never ends by itself: each of its valid requests is read for the suite's 1.5 s window
