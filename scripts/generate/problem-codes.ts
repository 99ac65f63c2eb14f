// The problem codes, as the errors guide explains them (docs/guides/errors.md, its "Problem codes" list: one
// entry per code). From that list come generated/server/problem-codes.gen.ts (the only codes ApiError takes,
// each problem's `type` URI and where the docs explain it) and an anchor at each entry in the built docs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_HEADER } from './contract.js';

const HEADING = '## Problem codes';
/** Redoc's route to that section of the guide: `#/section/<h1 slug>/<h2 slug>`. */
export const PROBLEM_CODES_DOCS = '/docs#/section/errors/problem-codes';

export interface ProblemCode {
  code: string;
  statuses: number[];
  /** `/problems/<code in kebab-case>` */
  type: string;
  /** The code's entry in the docs. */
  docs: string;
}

const CODE_ENTRY = /^- `([A-Z][A-Z0-9_]*)` \((\d{3}(?:, \d{3})*)\): .+$/;

const anchorId = (code: string) => `problem-${code.toLowerCase().replace(/_/g, '-')}`;

/** The section's text, from its heading up to the next heading of level 1 or 2. */
function section(guide: string): { start: number; end: number } {
  const start = guide.indexOf(`\n${HEADING}\n`);
  if (start < 0) throw new Error(`docs/guides/errors.md has no "${HEADING}" section`);
  const next = guide.slice(start + 1 + HEADING.length).search(/\n#{1,2} /);
  return { start, end: next < 0 ? guide.length : start + 1 + HEADING.length + next };
}

export function readProblemCodes(guide: string): ProblemCode[] {
  const { start, end } = section(guide);
  const codes: ProblemCode[] = [];
  // An entry may go on over lines indented by two spaces.
  for (const line of guide
    .slice(start, end)
    .replace(/\n {2}(?=\S)/g, ' ')
    .split('\n')) {
    if (!line.startsWith('- `')) continue;
    const match = CODE_ENTRY.exec(line);
    if (!match)
      throw new Error(
        `docs/guides/errors.md: a "${HEADING}" entry must read - \`CODE\` (403[, 409]): meaning, not: ${line}`,
      );
    const [, code, statuses] = match as unknown as [string, string, string];
    if (codes.some((c) => c.code === code))
      throw new Error(`docs/guides/errors.md: ${code} has two entries in "${HEADING}"`);
    const slug = anchorId(code).slice('problem-'.length);
    codes.push({
      code,
      statuses: statuses.split(', ').map(Number),
      type: `/problems/${slug}`,
      docs: `${PROBLEM_CODES_DOCS}#${anchorId(code)}`,
    });
  }
  if (!codes.length) throw new Error(`docs/guides/errors.md: "${HEADING}" lists no codes`);
  return codes;
}

/** The guide with an anchor at each code's entry, so `<section>#problem-<slug>` lands on it. */
export function anchorProblemCodes(guide: string): string {
  const { start, end } = section(guide);
  const rows = guide
    .slice(start, end)
    .replace(/^- `([A-Z][A-Z0-9_]*)`/gm, (_, code: string) => `- <span id="${anchorId(code)}"></span>\`${code}\``);
  return guide.slice(0, start) + rows + guide.slice(end);
}

export function writeProblemCodes(codes: ProblemCode[], outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const rows = [...codes]
    .sort((a, b) => a.code.localeCompare(b.code))
    .map(
      ({ code, statuses, type, docs }) =>
        `  ${code}: { statuses: [${statuses.join(', ')}], type: '${type}', docs: '${docs}' },`,
    );
  writeFileSync(
    join(outDir, 'problem-codes.gen.ts'),
    `${GENERATED_HEADER}// From the "Problem codes" list of docs/guides/errors.md: every code a problem may carry, its statuses,
// its \`type\` URI and the docs entry that explains it. A code missing there is not a ProblemCode.
export const problemCodes = {
${rows.join('\n')}
} as const;

export type ProblemCode = keyof typeof problemCodes;

/** The section of the docs that lists every code. */
export const PROBLEM_CODES_DOCS = '${PROBLEM_CODES_DOCS}';
`,
  );
}
