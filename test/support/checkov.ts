import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// checkov (the pinned one `npx projen checkov-tools` installs) over one synthesized template.

/** The checkov the compliance task runs. */
export const CHECKOV = path.join(__dirname, '..', '..', '.venv-checkov', 'bin', 'checkov');

/** One failed check: `<check id> <logical id>`, e.g. `CKV_AWS_117 FailoverFunction1234ABCD`. */
export type FailedCheck = string;

/** The checks checkov fails on the template (skips in resource Metadata honoured), one line each. */
export function checkovFailures(template: object): FailedCheck[] {
  if (!fs.existsSync(CHECKOV)) {
    throw new Error(`checkov is not installed at ${CHECKOV}: run \`npx projen checkov-tools\` (npx projen test does)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-pieces-checkov-'));
  const file = path.join(dir, 'template.json');
  fs.writeFileSync(file, JSON.stringify(template));
  const run = childProcess.spawnSync(
    CHECKOV,
    ['-f', file, '--framework', 'cloudformation', '-o', 'json', '--skip-download', '--quiet'],
    { encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0 && run.status !== 1) throw new Error(`checkov failed (${run.status}): ${run.stderr}`);
  const report = JSON.parse(run.stdout);
  const results = (Array.isArray(report) ? report[0] : report).results ?? {};
  return (results.failed_checks ?? []).map(
    (c: { check_id: string; resource: string }) => `${c.check_id} ${c.resource.split('.').pop()}`,
  );
}
