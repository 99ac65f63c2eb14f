export * from './gen/index.js';
export { client } from './gen/client.gen.js';
export { apiKey, bearerToken, sessionCookie, StreamError } from './runtime.js';
