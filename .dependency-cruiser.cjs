// The borders of src/, checked by `npm run lint:deps` (dependency-cruiser) in CI. An area is a folder of src/
// with a handlers.ts; its public interface is its index.ts. The shared kernel (platform/, ai/, realtime/) and
// the HTTP adapter (http/) belong to no area; app.ts, services.ts, areas.ts, server.ts and demo/ compose.
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const areas = readdirSync(join(__dirname, 'src'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(__dirname, 'src', e.name, 'handlers.ts')))
  .map((e) => e.name);
const AREA = `(${areas.join('|')})`;
/** Koa and what serves requests with it: the inbound HTTP layer. */
const HTTP_PACKAGES = '^node_modules/(@types/)?(koa|koa-compress|find-my-way|openapi-backend)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'area-private-files',
      severity: 'error',
      comment: "An area's files are private to it: import what another area offers from its public file, " +
        "src/<area>/index.ts (add the read or type you need there, in the owning area, if it is missing).",
      from: { path: '^src/([^/]+)/' },
      to: { path: `^src/${AREA}/(?!index\\.ts$)`, pathNot: '^src/$1/' },
    },
    {
      name: 'composition-root-uses-public-files',
      severity: 'error',
      comment: "The composition root (src/app.ts, services.ts, areas.ts, server.ts) uses an area through its public file, " +
        'src/<area>/index.ts: export what it needs from there.',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: `^src/${AREA}/(?!index\\.ts$)` },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'This import closes a cycle (the path is listed). Break it: move what both sides need to the one that ' +
        'owns it or to the shared kernel (src/platform/), or let the lower area take a function (a port) that the ' +
        'composition root (src/services.ts) wires, as RenewalJob.priceLoungesWith does.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'kernel-knows-no-area',
      severity: 'error',
      comment: 'The shared kernel (src/platform/, src/ai/, src/realtime/) and the HTTP adapter (src/http/) serve every ' +
        'area and depend on none: pass what they need in as a value or a function from the composition root.',
      from: { path: '^src/(platform|ai|realtime|http)/' },
      to: { path: `^src/${AREA}/` },
    },
    {
      name: 'http-only-in-handlers',
      severity: 'error',
      comment: "HTTP stays in src/http/, src/app.ts, src/server.ts and each area's handlers.ts: a service, read or job " +
        'takes plain values (ids, a base URL) or a function, never Koa, the request context, its logger or src/http/.',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/(app|server)\\.ts$', '^src/[^/]+/handlers\\.ts$', '^src/areas\\.ts$'] },
      to: { path: ['^src/http/', HTTP_PACKAGES] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
