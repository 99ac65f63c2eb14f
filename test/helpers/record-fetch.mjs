// Loaded with `node --import` before a client sample runs (test/helpers/samples.ts): records the method, path
// and status of every response the sample receives, one line each, in SAMPLE_STATUS_LOG. The sample itself
// runs unchanged.
import { appendFileSync } from 'node:fs';

const log = process.env.SAMPLE_STATUS_LOG;
const send = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = new Request(input, init);
  const response = await send(request);
  if (log) appendFileSync(log, `${request.method} ${new URL(request.url).pathname} ${response.status}\n`);
  return response;
};
