#!/usr/bin/env node
// The one source of the versions every consumer app installs: aws-cdk-lib, constructs and cdk-nag as
// package.json pins them for the TypeScript build. Each language's setup reads them from here.
//   node test/consumers/versions.js              -> {"aws-cdk-lib":"2.263.0",...}
//   node test/consumers/versions.js aws-cdk-lib  -> 2.263.0
const path = require('path');
const pkg = require(path.join(__dirname, '..', '..', 'package.json'));
const versions = {};
for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
  const version = pkg.devDependencies[name];
  if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) {
    console.error(`versions.js: package.json must pin ${name} to an exact version, found ${version}`);
    process.exit(1);
  }
  versions[name] = version;
}
const wanted = process.argv[2];
if (wanted && !(wanted in versions)) {
  console.error(`versions.js: unknown package ${wanted}`);
  process.exit(1);
}
console.log(wanted ? versions[wanted] : JSON.stringify(versions));
