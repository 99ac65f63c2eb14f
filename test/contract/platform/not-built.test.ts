// Operations of areas not built yet (src/areas.ts) answer 501 NOT_IMPLEMENTED as a problem, after
// authentication and validation. Everything here is derived from the contract and the area declaration: when
// an area is built, these tests simply stop covering its operations.
import { describe, expect, it } from 'vitest';
import * as sdk from '@platform/client';
import { StreamError } from '@platform/client';
import { operations } from '../../../generated/server/index.js';
import { loadContract } from '../../../scripts/generate/contract.js';
import { requestArguments } from '../../../scripts/generate/samples.js';
import { areas, builtOperations, isBuilt } from '../../../src/areas.js';
import { bundlePath } from '../../helpers/contract.js';
import { useTestServer } from '../../helpers/server.js';
import { newAdmin, newUser } from '../../helpers/users.js';

useTestServer();
const contract = loadContract(bundlePath);
const pending = operations.filter((op) => !isBuilt(op.area));

describe('the area declaration', () => {
  it('names every area of the contract exactly once, and every operation belongs to one', () => {
    expect(Object.keys(areas).sort()).toEqual([...new Set(operations.map((op) => op.area))].sort());
    expect(builtOperations.length + pending.length).toBe(operations.length);
  });
});

describe.runIf(pending.length > 0)('operations not built yet', () => {
  it('each answer 501 NOT_IMPLEMENTED as a problem, after authentication and validation', async () => {
    const user = await newUser('Caller');
    const admin = await newAdmin();
    const calls = contract.operations
      .filter((op) => pending.some((p) => p.operationId === op.operationId))
      .map(async (op) => {
        const meta = operations.find((m) => m.operationId === op.operationId)!;
        const options = {
          ...requestArguments(contract, op),
          ...((meta.roles as readonly string[]).includes('admin') ? admin.as : user.as),
        };
        const call = (sdk as unknown as Record<string, (o: unknown) => Promise<any>>)[op.operationId]!;
        if (meta.eventStream) {
          // A refused stream throws from its iteration (501 is never retried).
          const refused = await (async () => {
            const { stream } = await call({ ...options, sseMaxRetryAttempts: 10 });
            for await (const _ of stream) {
              /* nothing arrives */
            }
          })().catch((e: unknown) => e);
          return [
            op.operationId,
            refused instanceof StreamError ? refused.status : 'no error',
            (refused as StreamError).body,
          ] as const;
        }
        const { response, error } = await call(options);
        return [op.operationId, response.status, error] as const;
      });
    const results = await Promise.all(calls);
    for (const [id, status, body] of results) {
      expect(status, `${id}: ${JSON.stringify(body)}`).toBe(501);
      expect(body).toMatchObject({ code: 'NOT_IMPLEMENTED', status: 501 });
    }
    expect(results).toHaveLength(pending.length);
  });

  it('still refuse an anonymous caller first (401) where the contract requires one', async () => {
    const guarded = contract.operations.filter((op) =>
      pending.some((p) => p.operationId === op.operationId && p.auth === 'required'),
    );
    for (const op of guarded) {
      const meta = operations.find((m) => m.operationId === op.operationId)!;
      if (meta.eventStream) continue; // streams: covered by their own tests once built
      const call = (sdk as unknown as Record<string, (o: unknown) => Promise<any>>)[op.operationId]!;
      const { response } = await call(requestArguments(contract, op));
      expect(response.status, op.operationId).toBe(401);
    }
  });
});
