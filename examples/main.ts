/**
 * `npx projen example`: synthesizes the example app offline (no AWS account) with CloudFormation
 * Validate (strict) and cdk-nag AwsSolutions, prints what each stack contains and every finding,
 * and exits non-zero when there is any finding.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { addExampleStacks } from './app';
import { formatFindings, newCheckedApp, synthFindings } from '../test/support/checked-app';

const outdir = path.resolve(__dirname, '..', 'cdk.out');
fs.rmSync(outdir, { recursive: true, force: true });

const started = performance.now();
const app = newCheckedApp({ outdir });
const stacks = addExampleStacks(app);
const findings = synthFindings(app);
const seconds = (performance.now() - started) / 1000;

const summary: string[][] = [['stack', 'resources', 'findings']];
for (const stack of stacks) {
  const template = JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf-8'));
  const byType = new Map<string, number>();
  for (const resource of Object.values<{ Type: string }>(template.Resources ?? {})) {
    byType.set(resource.Type, (byType.get(resource.Type) ?? 0) + 1);
  }
  const total = [...byType.values()].reduce((a, b) => a + b, 0);
  const stackFindings = findings.filter((f) => f.path === stack.node.path || f.path.startsWith(`${stack.node.path}/`));
  console.log(`\n${stack.stackName}: ${total} resources`);
  for (const [type, count] of [...byType.entries()].sort()) {
    console.log(`  ${String(count).padStart(3)}  ${type}`);
  }
  console.log(`  findings: ${stackFindings.length}`);
  summary.push([stack.stackName, String(total), String(stackFindings.length)]);
}

console.log(
  `\nChecks: CloudFormation Validate (strict), cdk-nag AwsSolutions; synthesized into ${path.relative(process.cwd(), outdir)} in ${seconds.toFixed(1)} s\n`,
);
const widths = summary[0].map((_, i) => Math.max(...summary.map((row) => row[i].length)));
for (const row of summary) {
  console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
}

if (findings.length > 0) {
  console.error(`\n${findings.length} finding(s):\n${formatFindings(findings)}`);
  process.exit(1);
}
console.log('\nNo findings.');
