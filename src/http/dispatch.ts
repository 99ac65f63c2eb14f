// From openapi-backend's routed request to a typed handler and back: validate the inputs with the generated
// validators (all failures at once, naming each input), call the handler, check what it returns against the
// contract, write it.
import type Koa from 'koa';
import type { Context as RoutedContext } from 'openapi-backend';
import type { Logger } from 'pino';
import type { Handler, OperationId, OperationMeta } from '../../generated/server/index.js';
import { validators, type ValidateFunction } from '../../generated/validators/index.gen.js';
import { validationFailed, type FieldError } from '../errors/api-error.js';
import type { Config } from '../config.js';
import type { RequestContext } from './context.js';
import { NO_BODY, readJsonBody } from './body.js';
import { toFieldErrors } from './validation-errors.js';
import { writeEventStream } from './sse.js';
import { credentialsOf, resolvePrincipal } from './security.js';
import type { Services } from '../services/index.js';

type AnyHandler = Handler<OperationId, RequestContext>;
type AnyResult = { status: number; body?: unknown; stream?: AsyncIterable<{ data: unknown; id?: string | number }>; headers?: Record<string, string | string[]> };

export interface DispatchDeps {
  config: Config;
  services: Services;
  log: Logger;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

export function operationHandler(meta: OperationMeta, handler: AnyHandler, deps: DispatchDeps) {
  const v = validators[meta.operationId as OperationId];
  const style = meta.errorStyle;
  const check = (part: FieldError['in'], validate: ValidateFunction | undefined, value: unknown, errors: FieldError[]) => {
    if (validate && !validate(value)) errors.push(...toFieldErrors(validate.errors, part, style));
  };

  return async (routed: RoutedContext, koa: Koa.Context): Promise<void> => {
    const errors: FieldError[] = [];
    const path = { ...routed.request.params } as Record<string, unknown>;
    const query = { ...koa.query } as Record<string, unknown>;
    const headers = v.header ? { ...koa.headers } : undefined;
    check('path', v.path, path, errors);
    check('query', v.query, query, errors);
    check('header', v.header, headers, errors);
    let body: unknown;
    if (v.body) {
      const raw = await readJsonBody(koa, deps.config.bodyLimitBytes);
      if (raw === NO_BODY) {
        if (v.bodyRequired) errors.push({ in: 'body', field: '', message: style === 'fastapi' ? 'Field required' : 'a JSON body is required', type: 'missing' });
      } else {
        body = raw;
        check('body', v.body, body, errors);
      }
    }
    if (errors.length) throw validationFailed(errors);

    const ctx: RequestContext = {
      principal: meta.auth === 'none' ? undefined : await resolvePrincipal(koa, deps.services.auth),
      credentials: meta.auth === 'none' ? [] : credentialsOf(koa),
      services: deps.services,
      config: deps.config,
      requestId: koa.state.requestId as string,
      log: koa.state.log as Logger,
      clientIp: koa.ip,
      secure: koa.secure,
    };
    const request = { path, query, headers, body } as Parameters<AnyHandler>[0];
    const result = (await handler(request, ctx)) as AnyResult;

    if (result.headers) koa.set(result.headers);
    if (result.stream) {
      const validate = v.responses[result.status];
      writeEventStream(koa, result.status, result.stream, validate ? (data) => checkResponse(deps, meta, result.status, data, validate, koa.state.log) : undefined);
      return;
    }
    checkResponse(deps, meta, result.status, result.body, v.responses[result.status], koa.state.log);
    koa.status = result.status;
    if (result.body === undefined) {
      koa.body = null;
    } else {
      koa.body = result.body;
      koa.type = meta.contentTypes[result.status] ?? 'application/json';
    }
  };
}

/** Checks a response against the contract: always in `strict` mode, for a sample in `sample` mode. */
export function checkResponse(deps: DispatchDeps, meta: OperationMeta, status: number, body: unknown, validate: ValidateFunction | undefined, log: Logger): void {
  const { responseValidation, responseSampleRate } = deps.config;
  if (responseValidation === 'off' || (responseValidation === 'sample' && Math.random() >= responseSampleRate)) return;
  let problem: string | undefined;
  if (!meta.statuses.includes(status)) problem = `status ${status} is not documented`;
  else if (validate && !validate(body)) problem = JSON.stringify(validate.errors?.slice(0, 5));
  else if (!validate && body !== undefined) problem = `status ${status} documents no body`;
  if (!problem) return;
  const message = `${meta.operationId} ${status} violates the contract: ${problem}`;
  if (responseValidation === 'strict') throw new ContractViolation(message);
  log.warn({ operationId: meta.operationId, status, problem }, 'response violates the contract');
}
