import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { UNITS } from './reference-app';
import { HighlyAvailableWebApp } from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

// The expectations every consumer app (Python, Java, Go) checks its synthesized templates against.
// This test builds the same units in TypeScript and holds the file to them, so no language can
// drift: change a construct, run `UPDATE_CONSUMER_EXPECTATIONS=1 npx jest test/consumers` and
// review the file's diff.
const FILE = path.join(__dirname, 'expectations.json');

interface UnitExpectation {
  readonly stacks: Record<string, Record<string, number>>;
  readonly lambdaFunctions: number;
}

/** Every consumer app sets this too: cross-stack references are CloudFormation exports. */
const CONTEXT = { '@aws-cdk/core:defaultCrossStackReferences': 'strong' };

function synthUnit(build: (app: App) => void): UnitExpectation {
  const app = newCheckedApp({ context: CONTEXT });
  build(app);
  expectNoFindings(app);
  const stacks: Record<string, Record<string, number>> = {};
  let lambdaFunctions = 0;
  for (const stack of app.synth().stacks) {
    const counts: Record<string, number> = {};
    for (const resource of Object.values<{ Type: string }>(stack.template.Resources ?? {})) {
      counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
    }
    stacks[stack.stackName] = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
    lambdaFunctions += counts['AWS::Lambda::Function'] ?? 0;
  }
  return { stacks, lambdaFunctions };
}

describe('consumer expectations (shared with the Python, Java and Go consumer apps)', () => {
  const actual = Object.fromEntries(Object.entries(UNITS).map(([name, build]) => [name, synthUnit(build)]));

  if (process.env.UPDATE_CONSUMER_EXPECTATIONS) {
    const current = JSON.parse(fs.readFileSync(FILE, 'utf-8'));
    fs.writeFileSync(FILE, JSON.stringify({ ...current, units: actual }, undefined, 2) + '\n');
  }
  const expected = JSON.parse(fs.readFileSync(FILE, 'utf-8'));

  test.each(Object.keys(UNITS))('%s: resource counts per stack and type match expectations.json', (unit) => {
    expect(actual[unit]).toEqual(expected.units[unit]);
  });

  test('expectations.json names no unit the reference app does not build', () => {
    expect(Object.keys(expected.units).sort()).toEqual(Object.keys(UNITS).sort());
  });

  test('the bad input every consumer passes is refused with the message expectations.json quotes', () => {
    const { minCapacity, maxCapacity, messageContains } = expected.badInput;
    const app = newCheckedApp();
    const stack = new Stack(app, 'Bad');
    expect(() => new HighlyAvailableWebApp(stack, 'Shop', { minCapacity, maxCapacity })).toThrow(
      new RegExp(messageContains.map((s: string) => s.replace(/[()]/g, '\\$&')).join('[^]*')),
    );
  });
});
