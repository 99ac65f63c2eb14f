// Failpoints: named places inside multi-step effects (a transaction with its writes done, before its commit)
// where a test can stop the server on purpose, then kill it exactly there. `FAILPOINTS=name,...` arms them:
// a server reaching an armed point prints `failpoint <name>` on stderr and waits there for ever (its
// transaction open), until the test kills it. Unset (always, in production) a failpoint does nothing.
const armed = new Set(
  (process.env.FAILPOINTS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
);

if (armed.size > 0 && process.env.NODE_ENV === 'production') {
  throw new Error('FAILPOINTS is for tests: unset it (NODE_ENV is production).');
}

export type Failpoint = 'agent-call.settle' | 'agent-call.refund' | 'renewal.charge';

export async function failpoint(name: Failpoint): Promise<void> {
  if (!armed.has(name)) return;
  process.stderr.write(`failpoint ${name}\n`);
  await new Promise<never>(() => undefined);
}
