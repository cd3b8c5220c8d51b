#!/usr/bin/env node
/*
 * Lets integ-runner read the cloud assemblies this project's aws-cdk-lib writes.
 *
 * aws-cdk-lib >= 2.262 (needed for CloudFormation Validate) writes cloud assembly schema 54+, and
 * the newest @aws-cdk/integ-runner on the npm registry (2.197.10) bundles schema 53, so it refuses
 * every manifest ("Maximum schema version supported is 53.x.x, but found 55.0.0") before comparing
 * any template. Snapshot mode only reads templates and the integ manifest, which these schema
 * revisions did not change, so this script raises the schema revision integ-runner's bundle accepts
 * to the one aws-cdk-lib uses. It changes nothing else, is idempotent, and fails loudly when the
 * bundle does not look as expected (a newer integ-runner that knows the schema needs no patch).
 *
 * Remove this script and its call in .projenrc.ts once integ-runner supports the schema itself.
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const schemaDir = path.dirname(
  require.resolve('@aws-cdk/cloud-assembly-schema/package.json', {
    paths: [path.dirname(require.resolve('aws-cdk-lib/package.json', { paths: [root] }))],
  }),
);
const wanted = JSON.parse(fs.readFileSync(path.join(schemaDir, 'schema', 'version.json'), 'utf-8')).revision;
const bundle = path.join(path.dirname(require.resolve('@aws-cdk/integ-runner/package.json', { paths: [root] })), 'lib', 'workers', 'extract', 'index.js');

const text = fs.readFileSync(bundle, 'utf-8');
const block = /("\.\.\/cloud-assembly-schema\/schema\/version\.json"\(exports2, module2\) \{\s*module2\.exports = \{[^}]*?revision: )(\d+)/;
const match = block.exec(text);
if (!match) {
  console.error(`integ-runner-schema-compat: schema version block not found in ${bundle}; check whether this integ-runner still needs the patch`);
  process.exit(1);
}
const bundled = Number(match[2]);
if (bundled >= wanted) {
  console.log(`integ-runner-schema-compat: integ-runner accepts schema ${bundled} (aws-cdk-lib writes ${wanted}); nothing to do`);
  process.exit(0);
}
fs.writeFileSync(bundle, text.replace(block, `$1${wanted}`));
console.log(`integ-runner-schema-compat: integ-runner schema revision ${bundled} -> ${wanted}`);
