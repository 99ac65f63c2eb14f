// Response validation: strict (development, tests) throws on a contract violation; sample (production)
// checks a fraction and only logs; off checks nothing.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { operations } from '../../generated/server/index.js';
import { validators } from '../../generated/validators/index.gen.js';
import { checkResponse, ContractViolation, type DispatchDeps } from '../../src/http/dispatch.js';
import { testConfig } from '../helpers/server.js';

const meta = operations.find((op) => op.operationId === 'getHealth')!;
const validate = validators.getHealth.responses[200];

function setup(responseValidation: 'strict' | 'sample' | 'off', responseSampleRate = 1) {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
  const deps = { config: testConfig({ responseValidation, responseSampleRate }) } as DispatchDeps;
  return { lines, check: (status: number, body: unknown) => checkResponse(deps, meta, status, body, validators.getHealth.responses[status], log) };
}

describe('response validation', () => {
  it('strict: passes a documented response, throws on a wrong body or an undocumented status', () => {
    const { check } = setup('strict');
    expect(() => check(200, { status: 'ok' })).not.toThrow();
    expect(() => check(200, { status: 'fine' })).toThrow(ContractViolation);
    expect(() => check(200, { status: 'ok', secret: 1 })).toThrow(/getHealth 200 violates the contract/);
    expect(() => check(201, { status: 'ok' })).toThrow(/status 201 is not documented/);
    expect(validate).toBeDefined();
  });

  it('sample: logs a violation and never throws', async () => {
    const { check, lines } = setup('sample', 1);
    expect(() => check(200, { status: 'fine' })).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([expect.objectContaining({ level: 40, operationId: 'getHealth', status: 200, msg: 'response violates the contract' })]);
  });

  it('sample at rate 0, and off, check nothing', () => {
    expect(() => setup('sample', 0).check(201, 'anything')).not.toThrow();
    expect(() => setup('off').check(201, 'anything')).not.toThrow();
  });
});
