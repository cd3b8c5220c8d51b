// One measured synthesis: `child.ts <variant>` builds bench/<variant>.ts into a fresh App, synthesizes
// it and prints the CPU time (user + system, microseconds) spent building and synthesizing, and the
// template's resource count, as JSON.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';

const variant = process.argv[2];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { build } = require(`./${variant}`) as { build: (stack: Stack) => void };

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${variant}-`));
const before = process.cpuUsage();
const app = new App({ outdir });
const stack = new Stack(app, 'Bench', { env: { region: 'eu-west-1' } });
build(stack);
const assembly = app.synth();
const used = process.cpuUsage(before);
const template = assembly.getStackByName('Bench').template;
fs.rmSync(outdir, { recursive: true, force: true });
console.log(
  JSON.stringify({ variant, cpuMicros: used.user + used.system, resources: Object.keys(template.Resources).length }),
);
