// The run's report: one table (operation x check), then every failure with a curl command and the seed
// that reproduces it, then the operations that are not built yet, apart, with what was learnt about them.
import { CHECKS, type CheckName, type Failure, type Tally } from './checks.js';
import type { SuiteResult } from './suite.js';

const SHORT: Record<CheckName, string> = {
  not_server_error: '5xx',
  status_documented: 'status',
  content_type: 'ctype',
  schema: 'schema',
  headers: 'headers',
  negative_rejected: 'negative',
  integer_precision: 'precision',
  empty_enum_value: 'emptyenum',
  auth_enforced: 'auth',
  authorization_matrix: 'authz',
  auth_schemes: 'schemes',
  write_refused_wrote_nothing: 'nowrite',
  use_after_free: 'uaf',
  resource_available: 'avail',
  round_trip: 'roundtrip',
  server_alive: 'alive',
};

function cell(tally: Tally | undefined): string {
  if (!tally) return 'skip';
  if (tally.fail) return `FAIL ${tally.fail}`;
  if (tally.pass) return 'pass';
  return tally.unbuilt ? 'unbuilt' : 'skip';
}

const reproduce = (f: Failure) => `npm run conformance -- --seed ${f.seed} --operation ${f.operation}`;

export function formatReport(result: SuiteResult): string {
  const lines: string[] = [];
  const { options } = result;
  const width = Math.max(...CHECKS.map((c) => SHORT[c].length)) + 1;
  const idWidth = Math.max(24, ...result.ops.map((op) => op.id.length)) + 1;
  lines.push(
    '',
    `Conformance: seed ${options.seed}, budget ${options.budget} valid requests per operation, ${result.database}`,
  );
  lines.push(`legend: ${CHECKS.map((c) => `${SHORT[c]}=${c}`).join(', ')}`, '');
  lines.push(
    `${'operation'.padEnd(idWidth)}${'reqs'.padStart(5)} ${'secs'.padStart(5)}  ${CHECKS.map((c) => SHORT[c].padEnd(width)).join('')}`,
  );
  for (const op of result.ops) {
    const tallies = result.tallies.get(op.id);
    const cells = CHECKS.map((c) => cell(tallies?.get(c)).padEnd(width)).join('');
    lines.push(
      `${(op.id + (op.unbuilt ? '*' : '')).padEnd(idWidth)}${String(op.requests).padStart(5)} ${(op.ms / 1000).toFixed(1).padStart(5)}  ${cells}`,
    );
  }
  lines.push(`(* unbuilt: valid requests are answered 501; listed again below)`);

  if (result.failures.length) {
    lines.push('', `FAILURES (${result.failures.length})`);
    const byCheck = new Map<string, Failure[]>();
    for (const f of result.failures) byCheck.set(f.check, [...(byCheck.get(f.check) ?? []), f]);
    let n = 0;
    for (const check of CHECKS) {
      const failures = byCheck.get(check);
      if (!failures) continue;
      lines.push('', `== ${check} (${failures.length})`);
      for (const f of failures) {
        n++;
        lines.push(
          `${String(n).padStart(4)}. ${f.operation} [${f.case}] ${f.method} ${shorten(f.target)} -> ${f.status || '-'}`,
        );
        lines.push(`      ${f.message}`);
        if (f.curl) lines.push(`      ${f.curl}`);
        lines.push(`      ${f.token ? `$TOKEN = ${f.token}; ` : ''}reproduce: ${reproduce(f)}`);
      }
    }
  }

  const unbuilt = result.ops.filter((op) => op.unbuilt);
  if (unbuilt.length) {
    lines.push(
      '',
      `UNBUILT (${unbuilt.length} operations answer 501 to valid requests; their other answers are still checked)`,
    );
    for (const op of unbuilt) {
      const auth = op.notes.find((n) => n.startsWith('unbuilt:'));
      lines.push(`  ${op.id.padEnd(idWidth)} ${op.method.padEnd(6)} ${op.path}${auth ? `  ${auth.slice(9)}` : ''}`);
    }
  }
  // The same note on many operations (say, "creator createRoom answered 501") is printed once.
  const notes = new Map<string, string[]>();
  for (const op of result.ops)
    for (const note of op.notes.filter((n) => !n.startsWith('unbuilt:')))
      notes.set(note, [...(notes.get(note) ?? []), op.id]);
  if (notes.size) {
    lines.push('', 'NOTES');
    for (const [note, ids] of notes) lines.push(`  ${note}: ${ids.join(', ')}`);
  }
  if (result.failures.length) {
    lines.push('', 'SUMMARY (failures by check and case, the field names left out)');
    const groups = new Map<string, Set<string>>();
    const counts = new Map<string, number>();
    for (const f of result.failures) {
      const key = `${f.check.padEnd(28)} ${f.case.replace(/^(query|path|header)\.[^.]+\./, '$1.*.').replace(/^body\.(?!(missing|malformed_json|trailing_garbage|wrong_content_type|oversized|not_object|empty_object)\b).*\.([^.]+)$/, 'body.*.$2')}`;
      groups.set(key, (groups.get(key) ?? new Set()).add(f.operation));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, ops] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${key.padEnd(64)} ${String(counts.get(key)).padStart(4)}x  ${[...ops].join(', ')}`);
    }
  }
  lines.push(
    '',
    `${result.ops.length} operations, ${result.totalRequests} requests, ${(result.wallMs / 1000).toFixed(1)} s, ${result.failures.length} failure(s)`,
  );
  return lines.join('\n');
}

const shorten = (text: string) => (text.length > 160 ? `${text.slice(0, 150)}...(${text.length} chars)` : text);

export function toJson(result: SuiteResult): unknown {
  return {
    seed: result.options.seed,
    budget: result.options.budget,
    database: result.database,
    totalRequests: result.totalRequests,
    wallMs: Math.round(result.wallMs),
    operations: result.ops.map((op) => ({
      ...op,
      ms: Math.round(op.ms),
      checks: Object.fromEntries(CHECKS.map((c) => [c, result.tallies.get(op.id)?.get(c) ?? null])),
    })),
    failures: result.failures.map((f) => ({ ...f, reproduce: reproduce(f) })),
  };
}

/** Failures as one message per line: what a test failure lists. */
export function failureLines(result: SuiteResult): string[] {
  return result.failures.map(
    (f) =>
      `[${f.check}] ${f.operation} [${f.case}] ${f.method} ${shorten(f.target)} -> ${f.status}: ${f.message.slice(0, 300)}`,
  );
}
