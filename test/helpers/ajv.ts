// An Ajv compiling schemas straight from the bundled contract, set up exactly as the generated validators
// are. Tests use it for what the generated validators do not cover (examples).
import { newAjv, toAjvSchema } from '../../scripts/generate/validators.js';
import { doc } from './contract.js';

const ajv = newAjv({ coerce: false, defaults: false });
ajv.addSchema({ $id: 'contract', $defs: toAjvSchema(doc.components?.schemas ?? {}, true) } as never);

/** Validates `value` against an OpenAPI schema object from the bundle; returns the errors as text, or ''. */
export function check(schema: unknown, value: unknown): string {
  const validate = ajv.compile(toAjvSchema(schema as never) as never);
  return validate(value) ? '' : ajv.errorsText(validate.errors);
}
