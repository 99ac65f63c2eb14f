// `tsx scripts/bench/profile-summary.ts FILE.cpuprofile [N]`: where a server's CPU went during a bench run
// (`npm run bench -- --profile full`). Prints self time by package / source file and by function, and the
// inclusive time of the platform's own functions (src/) and of a few libraries' entry points.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Frames of the repository's own files, named relative to it (src/app.ts). */
const ROOT_URL = `${pathToFileURL(join(import.meta.dirname, '..', '..')).href}/`;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (url: string) => {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  return url.startsWith(ROOT_URL) ? url.slice(ROOT_URL.length) : url;
};

const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
const selfByPlace = new Map<string, number>();
const selfByFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const place = where(node.callFrame.url);
  add(selfByPlace, place, us);
  add(selfByFunction, `${node.callFrame.functionName || '(anonymous)'}  ${place}:${node.callFrame.lineNumber + 1}`, us);
}

// Inclusive time per package / file, and per function of src/ and generated/: a sample counts once for
// every distinct one on its (synchronous) stack, however often it recurs there.
const inclusiveByPlace = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  const once = (map: Map<string, number>, key: string) => {
    if (!seen.has(key)) {
      seen.add(key);
      add(map, key, us);
    }
  };
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = byId.get(cur)!.callFrame;
    const place = where(frame.url);
    once(inclusiveByPlace, place);
    if (place.startsWith('src/') || place.startsWith('generated/'))
      once(inclusive, `${frame.functionName || '(anonymous)'}  ${place}:${frame.lineNumber + 1}`);
  }
}

const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
  }
};
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`);
print('Self time by package / file', selfByPlace);
print('Self time by function', selfByFunction);
print('Inclusive time by package / file (synchronous stacks)', inclusiveByPlace);
print("Inclusive time of the platform's own functions (src/, generated/)", inclusive);
