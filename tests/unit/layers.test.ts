// The import layers of src/ (scripts/check-layers.ts): no cycle, no folder importing one it may
// not. The checker is first run on a crafted tree with one of each fault, so its pass on src/
// means something.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, importsOf, layerOrder, LAYERS, unitOf, type Pending } from '../../scripts/check-layers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('src/', () => {
  it('has no import cycle and no import against LAYERS (beyond the PENDING list)', () => {
    const report = checkLayers(ROOT);
    expect(report.problems, report.problems.join('\n')).toEqual([]);
    // It did read the tree: the page, the workers and lib are all there.
    expect(report.files).toContain('src/ui/App.svelte');
    expect(report.files).toContain('src/workers/prep.worker.ts');
    expect(report.edges.length).toBeGreaterThan(150);
  });
});

describe('LAYERS', () => {
  it('is an order: every folder comes after all it may import, and none imports itself back', () => {
    const order = layerOrder();
    expect(new Set(order)).toEqual(new Set(Object.keys(LAYERS)));
    for (const [unit, allowed] of Object.entries(LAYERS)) {
      for (const a of allowed) expect(order.indexOf(a), `${unit} → ${a}`).toBeLessThan(order.indexOf(unit));
    }
    expect(order[0]).toBe('lib/*');
    expect(() => layerOrder({ a: ['b'], b: ['a'] })).toThrow('LAYERS loops: a → b → a');
    expect(() => layerOrder({ a: ['c'] })).toThrow('LAYERS names c, which is not one of its folders');
  });

  it('places files by folder: lib/* holds only src/lib\'s own files; a folder holds its subfolders', () => {
    expect(unitOf('lib/bytes.ts')).toBe('lib/*');
    expect(unitOf('lib/webgpu/gelu.ts')).toBe('lib/webgpu');
    expect(unitOf('workers/model/session.ts')).toBe('workers');
    expect(unitOf('ui/train/TrainPanel.svelte')).toBe('ui');
    expect(unitOf('main.ts')).toBe('*');
    expect(unitOf('lib/families/gpt2.ts')).toBeUndefined();
    expect(unitOf('elsewhere/x.ts')).toBeUndefined();
  });
});

describe('importsOf', () => {
  it('finds imports, re-exports, import() and worker URLs, and tells type-only ones apart', () => {
    const code = [
      "import type { A } from './a.ts';",
      "import { type B, type C } from './b.ts';",
      "import { type D, e } from './c.ts';",
      "export * from './d.ts';",
      "export type { X } from './e.ts';",
      "const f = () => import('./f.ts');",
      "let g: import('./g.ts').T;",
      "const w = new Worker(new URL('./h.worker.ts', import.meta.url));",
      "const page = new URL('./i.json', document.baseURI);",
      "// import { no } from './comment.ts';",
      "const s = \"import { no } from './string.ts'\";",
      "import 'fflate';",
    ].join('\n');
    expect(importsOf(code)).toEqual([
      { spec: './a.ts', line: 1, kind: 'type' },
      { spec: './b.ts', line: 2, kind: 'type' },
      { spec: './c.ts', line: 3, kind: 'import' },
      { spec: './d.ts', line: 4, kind: 'import' },
      { spec: './e.ts', line: 5, kind: 'type' },
      { spec: './f.ts', line: 6, kind: 'dynamic' },
      { spec: './g.ts', line: 7, kind: 'type' },
      { spec: './h.worker.ts', line: 8, kind: 'start' },
      { spec: 'fflate', line: 12, kind: 'import' },
    ]);
  });
});

describe('checkLayers on a crafted tree', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'src/main.ts': "import App from './ui/App.svelte';\n",
    'src/lib/bytes.ts': 'export const a = 1;\n',
    // A leaf utility importing the model: upward.
    'src/lib/up.ts': "import { m } from './model/m.ts';\nexport const up = m;\n",
    // A cycle, one way through a type-only import.
    'src/lib/model/m.ts': "import type { N } from './n.ts';\nimport { a } from '../bytes.ts';\nexport const m: N = a;\n",
    'src/lib/model/n.ts': "import { m } from './m.ts';\nexport type N = number;\nexport const n = m;\n",
    // lib may start a worker by URL, not import one (nor mention one in a comment).
    'src/lib/tokenizer/t.ts': [
      "// import { no } from '../../ui/App.svelte';",
      "export const start = () => new Worker(new URL('../../workers/w.worker.ts', import.meta.url));",
      "export const load = () => import('../../workers/w.worker.ts');",
    ].join('\n'),
    'src/workers/w.worker.ts': "import { m } from '../lib/model/m.ts';\nexport const w = m;\n",
    'src/workers/deep/x.ts': "import '../w.worker.ts';\n",
    // Storage importing train: excused by PENDING below.
    'src/lib/train/tr.ts': 'export const tr = 1;\n',
    'src/lib/storage/s.ts': "import { tr } from '../train/tr.ts';\nimport { gone } from './missing.ts';\nexport const s = tr + gone;\n",
    'src/lib/newthing/z.ts': 'export const z = 1;\n',
    'src/ui/App.svelte': '<h1>hi</h1>\n<script lang="ts">\n  import B from \'./B.svelte\';\n  import { h } from \'../../tests/h.ts\';\n</script>\n<B />\n',
    'src/ui/B.svelte': "<script module>\n  import { a } from '../lib/bytes.ts';\n</script>\n",
    'tests/h.ts': 'export const h = 1;\n',
  };
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
  const pending: Pending[] = [
    { from: 'src/lib/storage/s.ts', to: 'src/lib/train/', why: 'moved elsewhere' },
    { from: 'src/lib/old.ts', to: 'src/ui/', why: 'already fixed' },
  ];

  it('reports each fault on one line, with file and line, and lets PENDING through', () => {
    const report = checkLayers(root, 'src', LAYERS, pending);
    expect(report.problems.sort()).toEqual(
      [
        'src/lib/up.ts:1 imports src/lib/model/m.ts (lib/* may not import lib/model)',
        'src/lib/tokenizer/t.ts:3 imports src/workers/w.worker.ts (lib/tokenizer may not import workers)',
        'src/ui/App.svelte:4 imports tests/h.ts (src/ may not import from outside src/)',
        'src/lib/storage/s.ts:2 names ./missing.ts, which does not exist',
        'src/lib/newthing/ is in no layer: add the folder to LAYERS in scripts/check-layers.ts',
        'import cycle: src/lib/model/m.ts → src/lib/model/n.ts → src/lib/model/m.ts',
        'PENDING entry src/lib/old.ts → src/ui/ matches nothing any more: remove it from scripts/check-layers.ts',
      ].sort(),
    );
    expect(report.pending).toEqual([
      'src/lib/storage/s.ts:1 imports src/lib/train/tr.ts (lib/storage may not import lib/train): pending, moved elsewhere',
    ]);
    // The worker start and the imports inside a folder and downward were seen and allowed.
    expect(report.edges).toContainEqual({ from: 'src/lib/tokenizer/t.ts', to: 'src/workers/w.worker.ts', line: 2, kind: 'start' });
    expect(report.edges).toContainEqual({ from: 'src/ui/B.svelte', to: 'src/lib/bytes.ts', line: 2, kind: 'import' });
    expect(report.edges).toContainEqual({ from: 'src/workers/deep/x.ts', to: 'src/workers/w.worker.ts', line: 1, kind: 'import' });
  });

  it('reports a cycle as pending only when PENDING names exactly its files', () => {
    const cycle = { cycle: ['src/lib/model/n.ts', 'src/lib/model/m.ts'], why: 'split elsewhere' };
    const report = checkLayers(root, 'src', LAYERS, [...pending, cycle]);
    expect(report.problems.filter((p) => p.startsWith('import cycle'))).toEqual([]);
    expect(report.pending).toContain('import cycle: src/lib/model/m.ts → src/lib/model/n.ts → src/lib/model/m.ts: pending, split elsewhere');
  });
});
