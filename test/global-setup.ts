import * as fs from 'fs';
import * as path from 'path';

/**
 * Runs once, in Jest's main process, before the workers start (they inherit its environment).
 * Every app the tests synthesize writes into a temporary directory (aws-cdk-lib's default outdir,
 * and newCheckedApp's), so pointing TMPDIR at a directory of this run's own, under .templates/unit,
 * keeps the templates of this run for `npx projen cfn-lint` (which lints every run present). Runs of
 * Jest whose process has ended are removed; runs still going are left alone.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '..', '.templates', 'unit');
  fs.mkdirSync(root, { recursive: true });
  for (const entry of fs.readdirSync(root)) {
    const pid = Number(/^run-\d+-(\d+)$/.exec(entry)?.[1]);
    if (!pid || !isAlive(pid)) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
  const runDir = path.join(root, `run-${Date.now()}-${process.pid}`);
  fs.mkdirSync(runDir);
  process.env.TMPDIR = runDir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
