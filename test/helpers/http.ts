// HTTP as it is on the wire, for what fetch hides: it decompresses bodies, and drops CORS and HEAD details.
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent (still compressed, when it was). */
  body: Buffer;
}

/** Sends one request and resolves when its headers arrive; the caller reads (or destroys) the body. */
export function openRaw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends one request and reads the whole response. */
export async function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const response = await openRaw(url, options);
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) };
}
