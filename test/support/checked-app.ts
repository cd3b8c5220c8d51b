import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * The context every test app and the example app synthesize with: CloudFormation Validate on,
 * and its warnings fail synthesis as well as its errors.
 */
export const STRICT_VALIDATION_CONTEXT = {
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/core:strictCfnValidateErrors': true,
};

/** One problem found in a synthesized app: a validation finding or a CDK warning/error annotation. */
export interface Finding {
  /** Which check found it: a plugin name (`AwsSolutions`, CloudFormation Validate) or `annotation`. */
  readonly source: string;
  /** The rule id, e.g. `AwsSolutions-EC23` or `E3012`. */
  readonly rule: string;
  /** The construct path of the offending resource. */
  readonly path: string;
  /** What is wrong. */
  readonly description: string;
  /** `error` or `warning`. */
  readonly severity: string;
}

/** Options for {@link newCheckedApp}. */
export interface CheckedAppOptions extends AppProps {
  /** Register cdk-nag AwsSolutionsChecks. @default true */
  readonly nag?: boolean;
}

/**
 * An App with strict CloudFormation Validate and cdk-nag AwsSolutions registered, writing to a
 * fresh temporary directory unless `outdir` is given.
 */
export function newCheckedApp(options: CheckedAppOptions = {}): App {
  const { nag = true, ...appProps } = options;
  const app = new App({
    outdir: appProps.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-ha-patterns-')),
    ...appProps,
    context: { ...STRICT_VALIDATION_CONTEXT, ...appProps.context },
  });
  if (nag) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return app;
}

/**
 * Synthesizes the app and returns every finding: violations from the validation plugins
 * (CloudFormation Validate, cdk-nag) and warning or error annotations left on constructs.
 * Synthesis errors that are not validation failures are rethrown.
 */
export function synthFindings(app: Stage): Finding[] {
  const findings: Finding[] = [];
  try {
    app.synth({ force: true });
  } catch (e) {
    const report = path.join(app.outdir, 'validation-report.json');
    if (!fs.existsSync(report)) throw e;
    findings.push(...readValidationReport(report));
    if (findings.length === 0) throw e;
  }
  findings.push(...misplacedSuppressions(path.join(app.outdir, 'validation-report.json')));
  findings.push(...collectAnnotations(app));
  return findings;
}

/**
 * Findings that an acknowledgement on some other construct hid: aws-cdk-lib suppresses a reported
 * violation when its rule id was acknowledged anywhere in the app, so a finding on a new resource
 * can vanish behind another resource's acknowledgement with the same id. An acknowledgement
 * counts only on the violating construct or one of its ancestors; any other is reported as a
 * finding of its own (`misplaced-acknowledgement`).
 */
function misplacedSuppressions(file: string): Finding[] {
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const violation of plugin.suppressedViolations ?? []) {
      const at: string | undefined = violation.acknowledgedAt;
      for (const construct of violation.violatingConstructs ?? []) {
        const where: string = construct.constructPath ?? '';
        if (at === undefined || where === at || where.startsWith(`${at}/`)) continue;
        findings.push({
          source: plugin.pluginName,
          rule: 'misplaced-acknowledgement',
          path: where,
          description: `${violation.ruleName} on ${where} is hidden by an acknowledgement on ${at}`,
          severity: 'error',
        });
      }
    }
  }
  return findings;
}

function readValidationReport(file: string): Finding[] {
  const report = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const violation of plugin.violations ?? []) {
      for (const construct of violation.violatingConstructs ?? []) {
        findings.push({
          source: plugin.pluginName,
          rule: violation.ruleName,
          path: construct.constructPath ?? '(unknown)',
          description: violation.description,
          severity: violation.severity ?? 'error',
        });
      }
    }
  }
  return findings;
}

function collectAnnotations(root: IConstruct): Finding[] {
  const findings: Finding[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type === 'aws:cdk:warning' || entry.type === 'aws:cdk:error') {
        const text = String(entry.data);
        findings.push({
          source: 'annotation',
          rule: /\[ack: ([^\]]+)\]/.exec(text)?.[1] ?? entry.type,
          path: c.node.path,
          description: text,
          severity: entry.type === 'aws:cdk:error' ? 'error' : 'warning',
        });
      }
    }
  }
  return findings;
}

/** One line a finding: `[source] rule  path  description`. */
export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `[${f.source}] ${f.severity} ${f.rule}  ${f.path}\n    ${f.description}`).join('\n');
}

/**
 * Synthesizes the app and fails, listing each finding (rule, construct path, description), when
 * there is any.
 */
export function expectNoFindings(app: Stage): void {
  const findings = synthFindings(app);
  if (findings.length > 0) {
    throw new Error(`Expected no findings, got ${findings.length}:\n${formatFindings(findings)}`);
  }
}
