// Response validation: strict (development, tests) throws on a contract violation; sample (production)
// checks a fraction and only logs; off checks nothing. Error answers are checked too: a problem `code` the
// operation does not document for that status (x-problem-codes) is a violation.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { operations } from '../../generated/server/index.js';
import { validators } from '../../generated/validators/index.gen.js';
import { checkResponse, ContractViolation, type DispatchDeps } from '../../src/http/dispatch.js';
import { requestLifecycle } from '../../src/http/middleware.js';
import { ApiError } from '../../src/platform/errors.js';
import { rendered } from '../../src/platform/rendered.js';
import { testConfig } from '../helpers/server.js';

const meta = operations.find((op) => op.operationId === 'getHealth')!;
const validate = validators.getHealth.responses[200];

function setup(responseValidation: 'strict' | 'sample' | 'off', responseSampleRate = 1) {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const deps = { config: testConfig({ responseValidation, responseSampleRate }) } as DispatchDeps;
  return {
    lines,
    check: (status: number, body: unknown) =>
      checkResponse(deps, meta, status, body, validators.getHealth.responses[status], { log }),
  };
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

  it('strict: checks a rendered body as the value its text parses to', () => {
    const { check } = setup('strict');
    expect(() => check(200, rendered('{"status":"ok"}'))).not.toThrow();
    expect(() => check(200, rendered('{"status":"fine"}'))).toThrow(ContractViolation);
    expect(() => check(200, rendered('{"status":'))).toThrow(/the rendered body is not JSON/);
  });

  it('sample: logs a violation and never throws', async () => {
    const { check, lines } = setup('sample', 1);
    expect(() => check(200, { status: 'fine' })).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        operationId: 'getHealth',
        status: 200,
        msg: 'response violates the contract',
      }),
    ]);
  });

  it('sample at rate 0, and off, check nothing', () => {
    expect(() => setup('sample', 0).check(201, 'anything')).not.toThrow();
    expect(() => setup('off').check(201, 'anything')).not.toThrow();
  });
});

describe('thrown errors are responses too', () => {
  const getSpace = operations.find((op) => op.operationId === 'getSpace')!;

  /** The real outer middleware, in front of a step that throws `error` as getSpace would. */
  async function answer(responseValidation: 'strict' | 'sample', error: ApiError) {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const app = new Koa();
    app.use(requestLifecycle(log, testConfig({ responseValidation, responseSampleRate: 1 })));
    app.use(async (koa) => {
      koa.state.operation = getSpace;
      throw error;
    });
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/spaces/x`);
      return { status: response.status, body: (await response.json()) as { code: string }, lines };
    } finally {
      server.close();
    }
  }

  it('strict: a code the operation does not document for that status is a contract violation (500)', async () => {
    expect(
      validators.getSpace.responses[404]!({ type: '/problems/x', title: 'x', status: 404, code: 'NOT_SPACE_OWNER' }),
    ).toBe(false);
    const wrongCode = await answer('strict', new ApiError(404, 'NOT_SPACE_OWNER', 'not documented for getSpace'));
    expect(wrongCode.status).toBe(500);
    expect(
      wrongCode.lines.some((l) =>
        String((l.err as { message?: string })?.message).includes('getSpace 404 violates the contract'),
      ),
    ).toBe(true);
    const wrongStatus = await answer('strict', new ApiError(409, 'ALREADY_MEMBER', 'getSpace documents no 409'));
    expect(wrongStatus.status).toBe(500);
    const documented = await answer('strict', new ApiError(404, 'NOT_FOUND', 'documented'));
    expect(documented).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('sample: the error is answered as thrown and the violation is logged', async () => {
    const result = await answer('sample', new ApiError(404, 'NOT_SPACE_OWNER', 'not documented for getSpace'));
    expect(result).toMatchObject({ status: 404, body: { code: 'NOT_SPACE_OWNER' } });
    expect(result.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        operationId: 'getSpace',
        status: 404,
        msg: 'response violates the contract',
      }),
    );
  });
});
