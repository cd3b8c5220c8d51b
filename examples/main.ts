/**
 * `npx projen example`: synthesizes every example offline (no AWS account), each in an app of its
 * own under cdk.out/<construct>, with CloudFormation Validate (strict) and cdk-nag AwsSolutions.
 * Prints what each stack contains and every finding, ends with a summary table per construct
 * (resources, findings, synth time), and exits non-zero when there is any finding.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { EXAMPLE_CONTEXT, EXAMPLES } from './app';
import { Finding, formatFindings, newCheckedApp, synthFindings } from '../test/support/checked-app';

const root = path.resolve(__dirname, '..', 'cdk.out');
fs.rmSync(root, { recursive: true, force: true });

const summary: string[][] = [['construct', 'stacks', 'resources', 'findings', 'synth']];
const allFindings: Finding[] = [];

for (const example of EXAMPLES) {
  const outdir = path.join(root, example.construct.replace(/[^A-Za-z0-9]+/g, '-'));
  const started = performance.now();
  const app = newCheckedApp({ outdir, context: EXAMPLE_CONTEXT });
  const stacks = example.build(app);
  const findings = synthFindings(app);
  const seconds = (performance.now() - started) / 1000;
  allFindings.push(...findings);

  console.log(`\n== ${example.construct}`);
  let resources = 0;
  for (const stack of stacks) {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf-8'));
    const byType = new Map<string, number>();
    for (const resource of Object.values<{ Type: string }>(template.Resources ?? {})) {
      byType.set(resource.Type, (byType.get(resource.Type) ?? 0) + 1);
    }
    const total = [...byType.values()].reduce((a, b) => a + b, 0);
    resources += total;
    const own = findings.filter((f) => f.path === stack.node.path || f.path.startsWith(`${stack.node.path}/`));
    console.log(`\n${stack.stackName}: ${total} resources, ${own.length} finding(s)`);
    for (const [type, count] of [...byType.entries()].sort()) {
      console.log(`  ${String(count).padStart(3)}  ${type}`);
    }
  }
  if (findings.length > 0) console.log(`\nfindings:\n${formatFindings(findings)}`);
  summary.push([
    example.construct,
    String(stacks.length),
    String(resources),
    String(findings.length),
    `${seconds.toFixed(1)} s`,
  ]);
}

console.log(
  `\nChecks: CloudFormation Validate (strict) and cdk-nag AwsSolutions; templates in ${path.relative(process.cwd(), root)}/\n`,
);
const widths = summary[0].map((_, i) => Math.max(...summary.map((row) => row[i].length)));
for (const [n, row] of summary.entries()) {
  console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}

if (allFindings.length > 0) {
  console.error(`\n${allFindings.length} finding(s): see above.`);
  process.exit(1);
}
console.log('\nNo findings.');
