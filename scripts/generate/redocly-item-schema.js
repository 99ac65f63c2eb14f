// A Redocly plugin: `x-item-schema` on a media type (the schema of each event of a `text/event-stream`, OpenAPI
// 3.2's `itemSchema` as an extension of 3.1; scripts/generate/event-streams.ts) is a Schema, so `redocly lint`
// checks it and `redocly bundle` moves what it references into components like any other schema.
export default function itemSchemaPlugin() {
  return {
    id: 'item-schema',
    typeExtension: {
      oas3(types) {
        return {
          ...types,
          MediaType: { ...types.MediaType, properties: { ...types.MediaType.properties, 'x-item-schema': 'Schema' } },
        };
      },
    },
  };
}
