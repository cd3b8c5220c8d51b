/**
 * `npx projen compliance`: synthesizes every example (and the hand-written L2 lab of bench/) with
 * cdk-nag's AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs together, runs
 * checkov over the templates, and prints one table per construct: for each pack (and checkov) the
 * findings left and the acknowledgements (checkov: skips) made. Every acknowledgement is listed with
 * its reason, so each can be reviewed.
 *
 * Exits non-zero when a library example has a finding, unless COMPLIANCE_REPORT_ONLY=1 (the
 * hand-written lab is printed beside it for comparison and never fails the run).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { EXAMPLE_CONTEXT, EXAMPLES } from './app';
import { build as buildHandwritten } from '../bench/handwritten';
import { Finding, STRICT_VALIDATION_CONTEXT, synthFindings } from '../test/support/checked-app';

// Not under cdk.out: cfn-lint lints the example app's templates there, and these include the hand-written lab.
const root = path.resolve(__dirname, '..', '.compliance');
fs.rmSync(root, { recursive: true, force: true });

/** The packs, by the prefix their rule ids carry. */
const PACKS = [
  { name: 'AwsSolutions', prefix: 'AwsSolutions-' },
  { name: 'NIST.800.53.R5', prefix: 'NIST.800.53.R5-' },
  { name: 'HIPAA.Security', prefix: 'HIPAA.Security-' },
  { name: 'PCI.DSS.321', prefix: 'PCI.DSS.321-' },
];
const CHECKOV = path.resolve(__dirname, '..', '.venv-checkov', 'bin', 'checkov');

interface Acknowledgement {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
}

interface Subject {
  readonly name: string;
  /** Counted in the verdict: the library's examples are, the hand-written lab is not. */
  readonly judged: boolean;
  readonly build: (app: App) => Stack[];
}

const SUBJECTS: Subject[] = [
  ...EXAMPLES.map((e) => ({ name: e.construct, judged: true, build: (app: App) => e.build(app) })),
  {
    name: 'hand-written L2 lab (bench/handwritten.ts)',
    judged: false,
    build: (app: App) => {
      const stack = new Stack(app, 'Handwritten', { env: { account: '111111111111', region: 'eu-west-1' } });
      buildHandwritten(stack);
      return [stack];
    },
  },
];

/** The acknowledgements recorded on constructs (`Validations.of(x).acknowledge()`), with their reasons. */
function acknowledgements(scope: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ id: id.replace(/^[A-Za-z]+::/, ''), path: c.node.path, reason: String(reason) });
      }
    }
  }
  return found;
}

interface CheckovResult {
  readonly failed: { id: string; resource: string; file: string }[];
  readonly skipped: { id: string; resource: string; comment: string }[];
}

/** checkov over the CloudFormation templates in `dir`; undefined when checkov is not installed. */
function checkov(dir: string): CheckovResult | undefined {
  if (!fs.existsSync(CHECKOV)) return undefined;
  let out: string;
  try {
    out = execFileSync(
      CHECKOV,
      [
        '--directory',
        dir,
        '--framework',
        'cloudformation',
        '--output',
        'json',
        // Not --quiet: it drops the skipped checks from the JSON report, and they are counted and listed.
        '--compact',
        '--skip-download',
      ],
      { encoding: 'utf-8', maxBuffer: 256 * 1024 * 1024 },
    );
  } catch (e) {
    // checkov exits 1 when a check fails; its report is still on stdout.
    out = (e as { stdout?: string }).stdout ?? '';
    if (out.trim() === '') throw e;
  }
  const parsed = JSON.parse(out);
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const result: CheckovResult = { failed: [], skipped: [] };
  for (const report of reports) {
    for (const c of report.results?.failed_checks ?? []) {
      result.failed.push({ id: c.check_id, resource: c.resource, file: path.basename(c.file_path ?? '') });
    }
    for (const c of report.results?.skipped_checks ?? []) {
      result.skipped.push({ id: c.check_id, resource: c.resource, comment: c.check_result?.suppress_comment ?? '' });
    }
  }
  return result;
}

const rows: string[][] = [['construct', 'check', 'findings', 'acknowledged']];
const reviewed: string[] = [];
let judgedFindings = 0;

for (const subject of SUBJECTS) {
  const outdir = path.join(root, subject.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, ''));
  const app = new App({ outdir, context: { ...STRICT_VALIDATION_CONTEXT, ...EXAMPLE_CONTEXT } });
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new PCIDSS321Checks(app),
  );
  subject.build(app);
  const findings: Finding[] = synthFindings(app);
  const acks = acknowledgements(app);

  console.log(`\n== ${subject.name}`);
  for (const pack of PACKS) {
    const own = findings.filter((f) => f.rule.startsWith(pack.prefix));
    const ownAcks = acks.filter((a) => a.id.startsWith(pack.prefix));
    rows.push([subject.name, pack.name, String(own.length), String(ownAcks.length)]);
    if (subject.judged) judgedFindings += own.length;
    for (const f of own) console.log(`  [${pack.name}] ${f.rule}  ${f.path}`);
    if (subject.judged) {
      for (const a of ownAcks) reviewed.push(`${subject.name}  ${a.id}  ${a.path}\n    ${a.reason}`);
    }
  }
  const other = findings.filter((f) => !PACKS.some((p) => f.rule.startsWith(p.prefix)));
  rows.push([subject.name, 'Validate and warnings', String(other.length), '-']);
  if (subject.judged) judgedFindings += other.length;
  for (const f of other) console.log(`  [${f.source}] ${f.rule}  ${f.path}`);

  const scan = checkov(outdir);
  if (scan === undefined) {
    rows.push([subject.name, 'checkov', 'not installed', '-']);
  } else {
    rows.push([subject.name, 'checkov', String(scan.failed.length), String(scan.skipped.length)]);
    if (subject.judged) judgedFindings += scan.failed.length;
    for (const f of scan.failed) console.log(`  [checkov] ${f.id}  ${f.resource}  (${f.file})`);
    if (subject.judged) {
      for (const s of scan.skipped) reviewed.push(`${subject.name}  checkov ${s.id}  ${s.resource}\n    ${s.comment}`);
    }
  }
}

console.log('\nAcknowledgements and skips in the library (each with its reason):');
for (const line of reviewed) console.log(`  ${line}`);

console.log(
  `\nChecks: cdk-nag ${PACKS.map((p) => p.name).join(', ')} together, CloudFormation Validate (strict), checkov\n`,
);
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const [n, row] of rows.entries()) {
  console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
console.log(`\nlibrary examples: ${judgedFindings} finding(s), ${reviewed.length} acknowledgement(s) and skip(s)`);

if (judgedFindings > 0 && process.env.COMPLIANCE_REPORT_ONLY !== '1') {
  console.error(`\n${judgedFindings} finding(s) in the library's examples: see above.`);
  process.exit(1);
}
