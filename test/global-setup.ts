import * as fs from 'fs';
import * as path from 'path';

/**
 * Runs once, in Jest's main process, before the workers start (they inherit its environment).
 * Every app the tests synthesize writes into a temporary directory (aws-cdk-lib's default outdir,
 * and newCheckedApp's), so pointing TMPDIR at .templates/unit, emptied here, keeps the templates of
 * this run for `npx projen cfn-lint`.
 */
export default function globalSetup(): void {
  const templatesDir = path.resolve(__dirname, '..', '.templates', 'unit');
  fs.rmSync(templatesDir, { recursive: true, force: true });
  fs.mkdirSync(templatesDir, { recursive: true });
  process.env.TMPDIR = templatesDir;
}
