// npx tsx scripts/check-layers.ts [SRC_DIR]
//
// Fails on an import cycle in src/ and on a folder importing one it may not (a lower layer
// importing a higher one, or a sibling of its own layer). tests/unit/layers.test.ts runs the
// same check in the suite. LAYERS below is the architecture: docs/architecture.md copies it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Who may import whom, by folder under src/, bottom to top. A folder covers its subfolders
 * ('workers' holds src/workers/model/ too); 'lib/*' is only the files directly in src/lib (leaf
 * utilities: bytes, rng, eta, backend-names, ...) and '*' only those directly in src. Imports
 * inside one folder are always allowed (cycles aside). Every file of src/ must fall in one of
 * these folders: a new folder is a decision, written here.
 *
 * Besides imports, any folder may start a worker in 'workers' by URL
 * (`new Worker(new URL('…', import.meta.url))`): the worker runs in its own thread and shares
 * nothing with its starter but messages, whose types live in lib.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'lib/*': [],
  'lib/archive': ['lib/*'],
  'lib/dataset': ['lib/*', 'lib/archive'],
  'lib/tokenizer': ['lib/*'],
  'lib/webgpu': ['lib/*'],
  'lib/model': ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu'],
  'lib/lora': ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu', 'lib/model'],
  'lib/generate': ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu', 'lib/model'],
  'lib/storage': ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu', 'lib/model'],
  'lib/train': ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu', 'lib/model', 'lib/storage', 'lib/lora'],
  workers: ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu', 'lib/model', 'lib/generate', 'lib/train', 'lib/storage', 'lib/lora'],
  ui: ['lib/*', 'lib/archive', 'lib/dataset', 'lib/tokenizer', 'lib/webgpu', 'lib/model', 'lib/generate', 'lib/train', 'lib/storage', 'lib/lora', 'workers'],
  '*': ['ui'],
};

/** A known violation that another branch removes; `to` ending in '/' covers a folder. */
export type Pending = { from: string; to: string; why: string } | { cycle: string[]; why: string };

/**
 * Imports allowed for now, each with its reason (empty: the code holds the table). Each entry
 * must still match a violation: one that matches nothing fails the check, so none outlives its reason.
 */
export const PENDING: readonly Pending[] = [];

export interface Edge {
  from: string; // repository-relative, posix
  to: string;
  line: number;
  kind: 'import' | 'type' | 'dynamic' | 'start';
}

export interface LayerReport {
  files: string[];
  edges: Edge[];
  /** One readable line each; empty when src/ keeps to LAYERS. */
  problems: string[];
  /** Violations let through by PENDING, with their reason. */
  pending: string[];
}

const SOURCE = /\.(ts|mts|js|mjs|svelte)$/;
const RESOLVE_SUFFIXES = ['', '.ts', '.js', '.svelte', '/index.ts', '/index.js'];

function listSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listSources(p);
    return SOURCE.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The script blocks of a .svelte file, each with the line it starts on. */
function scriptBlocks(text: string, file: string): { code: string; line: number }[] {
  if (!file.endsWith('.svelte')) return [{ code: text, line: 0 }];
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => ({
    code: m[1],
    line: text.slice(0, m.index + m[0].indexOf('>') + 1).split('\n').length - 1,
  }));
}

interface RawImport {
  spec: string;
  line: number;
  kind: Edge['kind'];
}

function isImportMetaUrl(n: ts.Node): boolean {
  return ts.isPropertyAccessExpression(n) && n.name.text === 'url' && ts.isMetaProperty(n.expression) && n.expression.keywordToken === ts.SyntaxKind.ImportKeyword;
}

/** Every module specifier a file names: imports, re-exports, import(), and new URL(…, import.meta.url). */
export function importsOf(code: string, fileName = 'x.ts'): RawImport[] {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: RawImport[] = [];
  const add = (lit: ts.Node, kind: Edge['kind']) => {
    if (ts.isStringLiteralLike(lit)) out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart()).line + 1, kind });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier, typeOnly ? 'type' : 'import');
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier) {
      add(n.moduleSpecifier, n.isTypeOnly ? 'type' : 'import');
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments.length > 0) {
      add(n.arguments[0], 'dynamic');
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      add(n.argument.literal, 'type');
    } else if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'URL' && n.arguments?.length === 2 && isImportMetaUrl(n.arguments[1])) {
      add(n.arguments[0], 'start');
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The folder of LAYERS a src-relative path belongs to, or undefined. */
export function unitOf(srcRel: string, layers: Readonly<Record<string, readonly string[]>> = LAYERS): string | undefined {
  const dir = path.posix.dirname(srcRel);
  let best: string | undefined;
  for (const key of Object.keys(layers)) {
    const hit = key === '*' ? dir === '.' : key.endsWith('/*') ? dir === key.slice(0, -2) : dir === key || dir.startsWith(key + '/');
    if (hit && (best === undefined || key.length > best.length)) best = key;
  }
  return best;
}

/** Strongly connected components with more than one file (or a file importing itself). */
function cycles(files: string[], edges: Edge[]): string[][] {
  const next = new Map(files.map((f) => [f, [] as string[]]));
  for (const e of edges) if (e.kind !== 'start' && next.has(e.to)) next.get(e.from)!.push(e.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || next.get(v)!.includes(v)) found.push(scc.sort());
  };
  for (const f of files) if (!index.has(f)) strong(f);
  return found;
}

/** One concrete loop through a component, for the report: a → b → a. */
function loopThrough(scc: string[], edges: Edge[]): string[] {
  const inside = new Set(scc);
  const start = scc[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const e of edges) {
      if (e.from !== v || e.kind === 'start' || !inside.has(e.to)) continue;
      if (e.to === start) {
        const loop = [start];
        for (let u = v; u !== start; u = prev.get(u)!) loop.splice(1, 0, u);
        return [...loop, start];
      }
      if (!prev.has(e.to)) {
        prev.set(e.to, v);
        queue.push(e.to);
      }
    }
  }
  return [...scc, start];
}

/** Reads every source file under `srcDir` (a path inside `root`) and checks it against `layers`. */
export function checkLayers(
  root: string,
  srcDir = 'src',
  layers: Readonly<Record<string, readonly string[]>> = LAYERS,
  pending: readonly Pending[] = PENDING,
): LayerReport {
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
  const src = path.resolve(root, srcDir);
  const files = listSources(src).map(rel).sort();
  const problems: string[] = [];
  const allowed: string[] = [];
  const used = new Set<Pending>();
  const excuse = (match: (p: Pending) => boolean): Pending | undefined => {
    const p = pending.find(match);
    if (p) used.add(p);
    return p;
  };

  const edges: Edge[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const block of scriptBlocks(text, file)) {
      for (const imp of importsOf(block.code, file)) {
        if (!imp.spec.startsWith('.')) continue; // a package
        const base = path.resolve(path.dirname(path.join(root, file)), imp.spec);
        const hit = RESOLVE_SUFFIXES.map((s) => base + s).find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
        const line = imp.line + block.line;
        if (!hit) problems.push(`${file}:${line} names ${imp.spec}, which does not exist`);
        else edges.push({ from: file, to: rel(hit), line, kind: imp.kind });
      }
    }
  }

  const srcRel = (f: string) => path.relative(src, path.join(root, f)).split(path.sep).join('/');
  const unclassified = new Set<string>();
  for (const f of files) {
    if (unitOf(srcRel(f), layers) === undefined) unclassified.add(path.posix.dirname(f));
  }
  for (const d of unclassified) problems.push(`${d}/ is in no layer: add the folder to LAYERS in scripts/check-layers.ts`);

  for (const e of edges) {
    const from = unitOf(srcRel(e.from), layers);
    if (from === undefined) continue;
    const inSrc = !srcRel(e.to).startsWith('..');
    const to = inSrc ? unitOf(srcRel(e.to), layers) : undefined;
    if (inSrc && to === undefined) continue; // reported above
    if (from === to || (to !== undefined && layers[from]?.includes(to))) continue;
    if (e.kind === 'start' && to === 'workers') continue;
    const why = inSrc ? `${from} may not import ${to}` : `src/ may not import from outside src/`;
    const line = `${e.from}:${e.line} ${e.kind === 'start' ? 'starts' : 'imports'} ${e.to} (${why})`;
    const p = excuse((p) => 'from' in p && p.from === e.from && (p.to === e.to || (p.to.endsWith('/') && e.to.startsWith(p.to))));
    if (p) allowed.push(`${line}: pending, ${p.why}`);
    else problems.push(line);
  }

  for (const scc of cycles(files, edges)) {
    const line = `import cycle: ${loopThrough(scc, edges).join(' → ')}`;
    const p = excuse((p) => 'cycle' in p && [...p.cycle].sort().join() === scc.join());
    if (p) allowed.push(`${line}: pending, ${p.why}`);
    else problems.push(line);
  }

  for (const p of pending) {
    if (used.has(p)) continue;
    const what = 'cycle' in p ? `cycle ${p.cycle.join(' ↔ ')}` : `${p.from} → ${p.to}`;
    problems.push(`PENDING entry ${what} matches nothing any more: remove it from scripts/check-layers.ts`);
  }
  return { files, edges, problems, pending: allowed };
}

/** Folders of LAYERS in an order where each comes after all it may import; throws on a loop. */
export function layerOrder(layers: Readonly<Record<string, readonly string[]>> = LAYERS): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (u: string, trail: string[]): void => {
    if (state.get(u) === 'done') return;
    if (state.get(u) === 'visiting') throw new Error(`LAYERS loops: ${[...trail, u].join(' → ')}`);
    if (!(u in layers)) throw new Error(`LAYERS names ${u}, which is not one of its folders`);
    state.set(u, 'visiting');
    for (const v of layers[u]) visit(v, [...trail, u]);
    state.set(u, 'done');
    order.push(u);
  };
  for (const u of Object.keys(layers)) visit(u, []);
  return order;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  layerOrder();
  const r = checkLayers(root, process.argv[2] ?? 'src');
  for (const p of r.pending) console.log(`allowed for now: ${p}`);
  for (const p of r.problems) console.error(p);
  console.log(`${r.files.length} files, ${r.edges.length} imports: ${r.problems.length} problem(s), ${r.pending.length} pending`);
  process.exit(r.problems.length > 0 ? 1 : 0);
}
