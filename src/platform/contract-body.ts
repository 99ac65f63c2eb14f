// The one way to apply the contract's request-body defaults outside HTTP. Services take bodies as the
// validator hands them to handlers (defaults filled in, never re-defaulted); the demo, the benchmark's seeds
// and tests that call a service directly build theirs here, through the same generated validator.
import type { HandlerRequest, OperationId } from '../../generated/server/index.js';
import { validators } from '../../generated/validators/index.gen.js';

type Body<Op extends OperationId> = NonNullable<HandlerRequest<Op>['body']>;

/** `body` checked against `op`'s request schema, with its defaults filled in; throws naming the first problem. */
export function contractBody<Op extends OperationId>(op: Op, body: Partial<Body<Op>>): Body<Op> {
  const validate = validators[op].body;
  if (!validate) throw new Error(`${op} takes no JSON body`);
  const copy = structuredClone(body);
  if (!validate(copy)) {
    const error = validate.errors?.[0];
    throw new Error(`${op} body ${error?.instancePath || '/'} ${error?.message ?? 'is invalid'}`);
  }
  return copy as Body<Op>;
}
