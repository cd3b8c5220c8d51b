/**
 * `npx projen bench`: HighlyAvailableWebApp against the same architecture hand-written with aws-cdk-lib
 * L2 constructs. Each run is a separate process (alternating library / hand-written), timed inside
 * the process from App creation to the end of synthesis. Prints the median CPU of each, their ratio,
 * and the user's lines of code of each. Fails if the library adds more than 10% CPU or the user's
 * code is more than a quarter of the hand-written lines.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const runs = Number(process.env.BENCH_RUNS ?? 11);
const variants = ['library', 'handwritten'] as const;
const samples: Record<string, number[]> = { library: [], handwritten: [] };
const resources: Record<string, number> = {};

for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? variants : [...variants].reverse();
  for (const variant of order) {
    const out = execFileSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'child.ts'), variant],
      { encoding: 'utf-8', env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.dev.json') } },
    );
    const result = JSON.parse(out.trim().split('\n').pop()!);
    samples[variant].push(result.cpuMicros / 1000);
    resources[variant] = result.resources;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Lines of the user's code: non-blank, non-comment lines between the BEGIN/END USER CODE markers. */
function userLines(variant: string): number {
  const text = fs.readFileSync(path.join(__dirname, `${variant}.ts`), 'utf-8');
  const body = text.split('// BEGIN USER CODE')[1].split('// END USER CODE')[0];
  return body.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//')).length;
}

const lib = median(samples.library);
const hand = median(samples.handwritten);
const ratio = lib / hand;
const libLines = userLines('library');
const handLines = userLines('handwritten');

console.log(`runs per variant: ${runs} (alternating, one process each)`);
console.log(`library      median CPU ${lib.toFixed(0)} ms  resources ${resources.library}  user lines ${libLines}`);
console.log(
  `hand-written median CPU ${hand.toFixed(0)} ms  resources ${resources.handwritten}  user lines ${handLines}`,
);
console.log(`CPU ratio library / hand-written: ${ratio.toFixed(3)} (limit 1.10)`);
console.log(`lines ratio library / hand-written: ${(libLines / handLines).toFixed(3)} (limit 0.25)`);

let failed = false;
if (ratio > 1.1) {
  console.error('FAIL: the library adds more than 10% CPU over the hand-written version');
  failed = true;
}
if (libLines * 4 > handLines) {
  console.error("FAIL: the user's code is more than a quarter of the hand-written lines");
  failed = true;
}
process.exit(failed ? 1 : 0);
