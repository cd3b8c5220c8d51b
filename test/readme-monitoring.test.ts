// The README's "Alarms" tables and dashboard pictures are drawn from what the library synthesizes:
// each block between `<!-- monitoring: <unit> -->` and `<!-- /monitoring -->` must equal the table
// of the construct's alarms and the picture of its dashboard section, built here with the
// construct's defaults. `UPDATE_README=1 npx jest test/readme-monitoring.test.ts` rewrites them.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  DetachableDatabase,
  ElasticIpFailoverInstance,
  FailoverStrategy,
  HighlyAvailableWebApp,
  Slot,
  SourceBundle,
} from '../src';
import { BRANCH, BUNDLE } from './beanstalk/support';
import { alarmTable, dashboardPicture } from './support/readme-monitoring';
import { publicOnlyVpc } from './support/vpc';

const README = path.join(__dirname, '..', 'README.md');
const ENV = { account: '111111111111', region: 'eu-west-1' };

interface Monitored {
  readonly alarms: readonly cloudwatch.IAlarm[];
  addToDashboard(dashboard: cloudwatch.Dashboard): void;
}

/** Each unit: the construct as a user writes it with the defaults, and the alarms its table lists. */
const UNITS: Record<string, (stack: Stack) => Monitored> = {
  'web-app': (stack) => new HighlyAvailableWebApp(stack, 'Web'),
  database: (stack) => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    return new DetachableDatabase(stack, 'Database', { vpc });
  },
  'failover-standby': (stack) => {
    const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack) });
    return { alarms: server.operatorAlarms, addToDashboard: (d) => server.addToDashboard(d) };
  },
  'failover-asg': (stack) => {
    const server = new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { sizeGiB: 20 } }),
    });
    return { alarms: server.operatorAlarms, addToDashboard: (d) => server.addToDashboard(d) };
  },
  'beanstalk-pair': (stack) =>
    new BeanstalkEnvironmentPair(stack, 'Shop', {
      platform: BeanstalkPlatform.latest(BRANCH),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      live: Slot.BLUE,
    }),
};

/** The block the README must hold for a unit: its alarm table, then its dashboard picture. */
function render(unit: string): string {
  // The zones the README names (the context provider's placeholders would read dummy1a).
  const app = new App({
    context: { [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: ['eu-west-1a', 'eu-west-1b'] },
  });
  const stack = new Stack(app, 'Stack', { env: ENV });
  const construct = UNITS[unit](stack);
  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
  construct.addToDashboard(dashboard);
  return [
    alarmTable(stack, construct.alarms),
    '',
    'The dashboard section `addToDashboard(dashboard)` adds:',
    '',
    '```text',
    dashboardPicture(stack, dashboard),
    '```',
  ].join('\n');
}

// A block's body may be empty and never holds another block's opening.
const BLOCK = /(<!-- monitoring: ([a-z-]+) -->)\n((?:(?!<!-- monitoring)[\s\S])*?)\n?(<!-- \/monitoring -->)/g;

describe('README monitoring blocks', () => {
  const readme = fs.readFileSync(README, 'utf-8');
  const found = [...readme.matchAll(BLOCK)].map((m) => m[2]);

  test('every construct has its block, once', () => {
    expect([...found].sort()).toEqual(Object.keys(UNITS).sort());
  });

  if (process.env.UPDATE_README === '1') {
    test('rewrites the blocks', () => {
      const rewritten = readme.replace(BLOCK, (_all, open, unit, _body, close) => `${open}\n${render(unit)}\n${close}`);
      fs.writeFileSync(README, rewritten);
    });
    return;
  }

  test.each(Object.keys(UNITS))('%s: the table and the picture are what the construct synthesizes', (unit) => {
    const match = [...readme.matchAll(BLOCK)].find((m) => m[2] === unit);
    expect(match).toBeDefined();
    expect(match![3]).toBe(render(unit));
  });
});
