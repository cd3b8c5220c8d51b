import * as fs from 'fs';
import * as path from 'path';

// How the modules of src/ may depend on each other. eslint's import/no-cycle guards runtime
// imports; this also counts `import type`, so a circle of type imports (the kind that tied six
// files of src/eip-failover together) fails too.

const SRC = path.join(__dirname, '..', 'src');

/** Every .ts file under src/, relative to src/ without the extension (`eip-failover/options`). */
function modules(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return modules(full);
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full).replace(/\.ts$/, '')] : [];
  });
}

/**
 * What a module imports or re-exports (`import ... from`, `import '...'`, `export ... from`):
 * relative specifiers resolved to modules (`isModule` tells a file from a folder), others as written.
 */
export function importsOf(
  source: string,
  from: string,
  isModule: (m: string) => boolean = (m) => fs.existsSync(path.join(SRC, `${m}.ts`)),
): string[] {
  const pattern = /^\s*(?:(?:import|export)\s[^;]*?\sfrom\s*|import\s*)['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map(([, s]) => {
    if (!s.startsWith('.')) return s;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), s));
    return isModule(target) ? target : `${target}/index`;
  });
}

const graph = new Map(
  modules().map((m) => [m, importsOf(fs.readFileSync(path.join(SRC, `${m}.ts`), 'utf8'), m)] as const),
);

/** The strongly connected components of more than one module (or a module importing itself). */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Every module `start` reaches through its imports (itself included). */
function reachable(start: string): Set<string> {
  const seen = new Set<string>();
  const walk = (m: string) => {
    if (seen.has(m) || !graph.has(m)) return;
    seen.add(m);
    for (const target of graph.get(m)!) walk(target);
  };
  walk(start);
  return seen;
}

describe('module dependencies of src/', () => {
  test('the cycle finder finds a cycle of type imports (so the next test can fail)', () => {
    const known = (m: string) => ['a', 'b', 'c', 'd'].includes(m);
    const edges = new Map([
      ['a', importsOf("import type { B } from './b';\nexport const NAME = 'from';", 'a', known)],
      ['b', importsOf("import {\n  C,\n} from './c';", 'b', known)],
      ['c', importsOf("export * from './a';", 'c', known)],
      ['d', importsOf("import { A } from './a';\nimport 'e';", 'd', known)],
    ]);
    expect(edges.get('a')).toEqual(['b']);
    expect(edges.get('d')).toEqual(['a', 'e']);
    expect(cycles(edges)).toEqual([['a', 'b', 'c']]);
  });

  test('no module is part of an import cycle, type imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('no module of src/eip-failover imports the construct, except the folder index', () => {
    const importers = [...graph]
      .filter(
        ([m, targets]) => m !== 'eip-failover/index' && targets.includes('eip-failover/elastic-ip-failover-instance'),
      )
      .map(([m]) => m);
    expect(importers).toEqual([]);
  });

  test('the eip-failover options and the contract modules are leaves (options imports only the backup plan, the health probe and the experiment options it names, which never reach back)', () => {
    expect(
      graph
        .get('eip-failover/options')!
        .filter((t) => graph.has(t))
        .sort(),
    ).toEqual(['eip-failover/data-volume-backup-plan', 'eip-failover/health-probe', 'resilience/options']);
    expect(graph.get('resilience/options')!.filter((t) => graph.has(t))).toEqual([]);
    expect(graph.get('resilience/contract')).toEqual([]);
    expect([...reachable('eip-failover/data-volume-backup-plan')]).not.toContain('eip-failover/options');
    expect([...reachable('eip-failover/health-probe')]).not.toContain('eip-failover/options');
    expect(graph.get('eip-failover/contract')).toEqual([]);
    expect(graph.get('beanstalk/contract')).toEqual([]);
  });

  test('the Beanstalk checks do not import the environment construct', () => {
    expect([...reachable('beanstalk/checks')]).not.toContain('beanstalk/environment');
  });

  test('handlers never reach aws-cdk-lib or constructs, nor another construct folder', () => {
    const handlers = [...graph.keys()].filter((m) => m.endsWith('.lambda'));
    expect(handlers.length).toBeGreaterThanOrEqual(5);
    for (const handler of handlers) {
      const folder = handler.split('/')[0];
      for (const m of reachable(handler)) {
        const external = graph.get(m)!.filter((t) => !graph.has(t));
        expect({ handler, module: m, external: external.filter((t) => /^(aws-cdk-lib|constructs)/.test(t)) }).toEqual({
          handler,
          module: m,
          external: [],
        });
        expect({ handler, module: m, inFolder: [folder, 'common'].includes(m.split('/')[0]) }).toEqual({
          handler,
          module: m,
          inFolder: true,
        });
      }
    }
  });
});
