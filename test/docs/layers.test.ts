// docs/architecture.md's "Layers" table stays true: every import edge between folders
// of src/ and workers/ is one the table allows, no file-level import cycle exists
// (lazy import() and type-only imports included), the browser-safe modules reach no
// Node built-in or package, and bench/ imports nothing from test/. Reads the sources
// with the TypeScript parser, so `import type`, `export … from` and `import()` count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Edge {
  /** Absolute path of the importing .ts file. */
  from: string;
  specifier: string;
  typeOnly: boolean;
  dynamic: boolean;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: Edge[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ from: file, specifier: node.moduleSpecifier.text, typeOnly, dynamic: false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ from: file, specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteral(arg)) out.push({ from: file, specifier: arg.text, typeOnly: false, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The .ts file a relative specifier names ('./x.js' → x.ts), or null for packages and built-ins. */
function target(e: Edge): string | null {
  if (!e.specifier.startsWith('.')) return null;
  return resolve(dirname(e.from), e.specifier).replace(/\.js$/, '.ts');
}

/** The layer a file belongs to: the first folder under src/, 'workers', 'bench', or the root file's name. */
function layerOf(file: string): string {
  const rel = relative(ROOT, file).split('/');
  if (rel[0] === 'src') return rel.length === 2 ? rel[1]! : rel[1]!;
  return rel[0]!;
}

/** The table: row name (`wire/`, `server.ts`, …) → allowed layers. */
function readTable(): Map<string, Set<string>> {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'), doc.indexOf('\n## ', doc.indexOf('## Layers') + 5));
  const rows = new Map<string, Set<string>>();
  for (const m of section.matchAll(/^\| (`[^|]+`(?:, `[^|]+`)*) \| ([^|]+) \|/gm)) {
    const names = [...m[1]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!.replace(/\/$/, ''));
    const allowedCell = m[2]!.trim();
    const allowed = new Set<string>();
    if (allowedCell.startsWith('every folder but')) {
      const except = new Set([...allowedCell.matchAll(/`([^`]+)`/g)].map((x) => x[1]!));
      // Every folder the table has a row for (so a new folder's row is enough).
      const folders = [...section.matchAll(/^\| `([a-z]+)\/` \|/gm)].map((x) => x[1]!);
      for (const n of folders) {
        if (!except.has(n)) allowed.add(n);
      }
      allowed.add('server.ts');
    } else if (allowedCell !== '—') {
      for (const x of allowedCell.matchAll(/`([^`]+)`/g)) allowed.add(x[1]!.replace(/\/$/, ''));
    }
    for (const n of names) rows.set(n, allowed);
  }
  return rows;
}

const SOURCES = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'workers'))];
const EDGES = SOURCES.flatMap(importsOf);

test('every import between folders is one the Layers table allows', () => {
  const table = readTable();
  assert.ok(table.has('wire') && table.has('server.ts') && table.get('wire')!.size === 0, 'the Layers table parses');
  const bad: string[] = [];
  for (const e of EDGES) {
    const t = target(e);
    if (t === null) continue;
    const from = layerOf(e.from);
    const to = layerOf(t);
    if (from === to) continue;
    const allowed = table.get(from);
    if (allowed === undefined) {
      bad.push(`${relative(ROOT, e.from)}: folder '${from}' has no row in the Layers table`);
      continue;
    }
    // The one narrowed cell: only the client's Node fill registers the Node codecs.
    if (from === 'client' && to === 'compression' && relative(ROOT, e.from) !== 'src/client/node.ts') {
      bad.push(`${relative(ROOT, e.from)} → ${e.specifier}: only src/client/node.ts may import compression/`);
      continue;
    }
    if (!allowed.has(to)) bad.push(`${relative(ROOT, e.from)} → ${e.specifier} (${from} → ${to})`);
  }
  assert.deepEqual(bad, [], `edges the Layers table does not allow:\n${bad.join('\n')}`);
});

test('no import cycle between files, lazy import() and type-only imports included', () => {
  const graph = new Map<string, string[]>();
  for (const f of SOURCES) graph.set(f, []);
  for (const e of EDGES) {
    const t = target(e);
    if (t !== null && graph.has(t)) graph.get(e.from)!.push(t);
  }
  // Iterative DFS with colours; reports the first cycle found.
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Map<string, number>(SOURCES.map((f) => [f, WHITE]));
  const cycles: string[] = [];
  for (const start of SOURCES) {
    if (colour.get(start) !== WHITE) continue;
    const stack: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    colour.set(start, GREY);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const succ = graph.get(top.node)!;
      if (top.next < succ.length) {
        const n = succ[top.next++]!;
        if (colour.get(n) === GREY) {
          const from = stack.findIndex((s) => s.node === n);
          cycles.push([...stack.slice(from).map((s) => relative(ROOT, s.node)), relative(ROOT, n)].join(' → '));
        } else if (colour.get(n) === WHITE) {
          colour.set(n, GREY);
          stack.push({ node: n, next: 0 });
        }
      } else {
        colour.set(top.node, BLACK);
        stack.pop();
      }
    }
  }
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
});

test('the browser-safe modules reach no Node built-in and no package', () => {
  const browserRoots = [join(ROOT, 'src/client/browser.ts'), ...SOURCES.filter((f) => layerOf(f) === 'wire')];
  const seen = new Set<string>();
  const queue = [...browserRoots];
  const bad: string[] = [];
  while (queue.length > 0) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const e of importsOf(f)) {
      if (e.typeOnly) continue; // erased at compile time
      const t = target(e);
      if (t === null) bad.push(`${relative(ROOT, f)} imports '${e.specifier}'`);
      else queue.push(t);
    }
  }
  assert.ok(seen.has(join(ROOT, 'src/wire/records.ts')), 'the walk reached the record codec');
  assert.deepEqual(bad, [], `browser-safe modules importing Node or packages:\n${bad.join('\n')}`);
});

test('nothing imports workers/ (thread entries are started by URL), and bench/ imports nothing from test/', () => {
  const bad: string[] = [];
  for (const e of EDGES) {
    const t = target(e);
    if (t !== null && layerOf(t) === 'workers' && layerOf(e.from) !== 'workers') bad.push(`${relative(ROOT, e.from)} → ${e.specifier}`);
  }
  for (const e of walk(join(ROOT, 'bench')).flatMap(importsOf)) {
    const t = target(e);
    if (t !== null && layerOf(t) === 'test') bad.push(`${relative(ROOT, e.from)} → ${e.specifier}`);
  }
  assert.deepEqual(bad, []);
});
