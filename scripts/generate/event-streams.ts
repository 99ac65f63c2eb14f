// Event streams, as the contract describes them for every tool: a `text/event-stream` body is a string (SSE
// text, with a whole stream as its example), which Prism mocks and validates and generators read as text; the
// schema of each message's `data` is the media type's `x-item-schema` (OpenAPI 3.2's `itemSchema`, which our
// generator, hey-api 0.95, types as `unknown`: measured, see docs/guides/streaming.md). Our own generators
// (the client's typed events, the handlers' types, the validators of each event) read the view below.
import type { JsonObject } from './contract.js';

const EVENT_STREAM = 'text/event-stream';
export const ITEM_SCHEMA = 'x-item-schema';

/** Calls `visit` with every `text/event-stream` media type of every operation's responses. */
export function forEachEventStream(doc: JsonObject, visit: (media: JsonObject, where: string) => void): void {
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, JsonObject>)) {
    for (const [method, op] of Object.entries(item)) {
      const responses = (op as JsonObject | null)?.responses as Record<string, JsonObject> | undefined;
      for (const [status, response] of Object.entries(responses ?? {})) {
        const media = (response.content as Record<string, JsonObject> | undefined)?.[EVENT_STREAM];
        if (media) visit(media, `${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
}

/**
 * A copy of the bundled contract in which each event stream's `schema` is its item schema: what each event is,
 * the way hey-api derives the typed events of a stream from it. Fails when a stream has no item schema. The
 * docs are built from it too, so Redoc shows each event's fields beside the example streams.
 */
export function withItemSchemas<T extends JsonObject>(doc: T): T {
  const copy = structuredClone(doc);
  forEachEventStream(copy, (media, where) => {
    const item = media[ITEM_SCHEMA];
    if (!item)
      throw new Error(
        `${where}: a ${EVENT_STREAM} response needs \`${ITEM_SCHEMA}\` (the schema of each event's data)`,
      );
    media.schema = item;
    delete media[ITEM_SCHEMA];
  });
  return copy;
}
