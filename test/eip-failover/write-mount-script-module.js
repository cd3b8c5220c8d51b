// Regenerates src/eip-failover/mount-data-volume-script.ts from src/eip-failover/mount-data-volume.sh:
//   node test/eip-failover/write-mount-script-module.js && npx prettier --write src/eip-failover/mount-data-volume-script.ts
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, '..', '..', 'src', 'eip-failover');
const lines = fs.readFileSync(path.join(dir, 'mount-data-volume.sh'), 'utf-8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
const body = lines.map((l) => `  ${JSON.stringify(l)},`).join('\n');
fs.writeFileSync(
  path.join(dir, 'mount-data-volume-script.ts'),
  `// The text of mount-data-volume.sh, which the construct writes into the instances' user data.
//
// jsii packages ship lib/ and assets/, not src/, so the script travels as this constant (compiled
// into lib/ like any other module, and so available to every jsii language). The shell file is the
// one to edit and lint (shellcheck); a unit test fails when this constant differs from it. After
// editing the script, regenerate this file with:
//
//   node test/eip-failover/write-mount-script-module.js && npx prettier --write src/eip-failover/mount-data-volume-script.ts

/** The mount script, line by line. */
const LINES: string[] = [
${body}
];

/** The mount script (bash), ending with a newline. */
export const MOUNT_DATA_VOLUME_SCRIPT: string = LINES.join('\\n') + '\\n';
`,
);
