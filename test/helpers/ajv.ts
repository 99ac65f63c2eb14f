// An Ajv compiling schemas straight from the bundled contract, with the same preparation and formats the
// generated validators use. Tests use it for what the generated validators do not cover (examples).
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { toAjvSchema } from '../../scripts/generate/validators.js';
import { doc } from './contract.js';

const ajv = new Ajv2020.default({ strict: true, allErrors: true, allowUnionTypes: true, multipleOfPrecision: 9 });
addFormats.default(ajv);
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addSchema({ $id: 'contract', $defs: toAjvSchema(doc.components?.schemas ?? {}, true) } as any);

/** Validates `value` against an OpenAPI schema object from the bundle; returns the errors as text, or ''. */
export function check(schema: unknown, value: unknown): string {
  const validate = ajv.compile(toAjvSchema(schema as any) as any);
  return validate(value) ? '' : ajv.errorsText(validate.errors);
}
