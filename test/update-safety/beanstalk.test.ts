import * as path from 'path';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { CfnTemplate } from './diff';
import {
  deployment,
  expectKept,
  expectReplaced,
  expectStatefulKept,
  expectUpdated,
  idsOfType,
  ofType,
  synthWith,
  withId,
} from './safety';
import {
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkEnvironmentPairProps,
  BeanstalkPlatform,
  Cutover,
  EnvironmentPreset,
  EnvironmentTier,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';

// BeanstalkEnvironmentPair: a new release, a cutover and an instance type change update the
// environments in place (the live one is never replaced or destroyed); the changes that do replace
// an environment are reported as replacements, so the README can name them.

const BUNDLE = path.join(__dirname, '..', 'beanstalk', 'fixtures', 'app');
const BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';
const PLATFORM_ARN = `arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/6.6.0`;
const ENVIRONMENT = 'AWS::ElasticBeanstalk::Environment';

/** A release: the same fixture directory, told apart by its asset hash as two builds would be. */
function release(version: string): SourceBundle {
  return SourceBundle.fromAsset(BUNDLE, { assetHash: `release-${version}` });
}

type Props = (stack: Stack) => BeanstalkEnvironmentPairProps;

const BASE: Props = () => ({
  platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
  blue: { sourceBundle: release('41') },
  green: { sourceBundle: release('42') },
  live: Slot.BLUE,
});

interface Built {
  readonly template: CfnTemplate;
  /** Logical ids of the environments. */
  readonly blue: string;
  readonly green: string;
  readonly live: string;
  readonly blueVersion?: string;
  readonly greenVersion?: string;
}

function build(props: Props): Built {
  const { template, built: pair, stack } = synthWith((s) => new BeanstalkEnvironmentPair(s, 'Shop', props(s)));
  const id = (env: BeanstalkEnvironment) => stack.resolve(env.cfnEnvironment.logicalId) as string;
  const versionId = (env: BeanstalkEnvironment) =>
    env.applicationVersion ? (stack.resolve(env.applicationVersion.logicalId) as string) : undefined;
  return {
    template,
    blue: id(pair.blue),
    green: id(pair.green),
    live: id(pair.liveEnvironment),
    blueVersion: versionId(pair.blue),
    greenVersion: versionId(pair.green),
  };
}

function zone(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
}

/** Whatever the deployment, the application holding the versions and both environments, and the VPC, stay. */
const APPLICATION_AND_NETWORK = ofType(
  'AWS::ElasticBeanstalk::Application',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::NatGateway',
);

let base: Built;
beforeAll(() => {
  base = build(BASE);
});

/** The live environment before and after the deployment is neither replaced nor destroyed, nor any other environment. */
function expectEnvironmentsKept(before: Built, after: Built, result: ReturnType<typeof deployment>): void {
  expectStatefulKept(result);
  expectKept(result, 'the live environment (before and after)', withId(before.live, after.live));
  expectKept(result, 'Beanstalk environments', ofType(ENVIRONMENT));
  expectKept(result, 'the application and the network', APPLICATION_AND_NETWORK);
}

describe('BeanstalkEnvironmentPair update safety', () => {
  test('a new source bundle for the idle slot: a new application version, the idle environment updated, the live one untouched', () => {
    const after = build((s) => ({ ...BASE(s), green: { sourceBundle: release('43') } }));
    const result = deployment(base.template, after.template);
    expectEnvironmentsKept(base, after, result);
    // The new code is a new application version (its source bundle cannot change in place)...
    expectReplaced(result, base.greenVersion!);
    // ...which the idle environment switches to in place.
    expectUpdated(result, base.green, new RegExp(`Ref ${base.greenVersion}: ${base.greenVersion} is replaced`));
    expect(result.change(base.live)).toBeUndefined();
  });

  test('a new source bundle for the live slot (a hotfix): the live environment is updated in place', () => {
    const after = build((s) => ({ ...BASE(s), blue: { sourceBundle: release('41.1') } }));
    const result = deployment(base.template, after.template);
    expectEnvironmentsKept(base, after, result);
    expectUpdated(result, base.live, new RegExp(`Ref ${base.blueVersion}: ${base.blueVersion} is replaced`));
    expect(result.change(base.green)).toBeUndefined();
  });

  test.each<[string, Slot, Slot]>([
    ['blue to green (cutover)', Slot.BLUE, Slot.GREEN],
    ['green to blue (roll back)', Slot.GREEN, Slot.BLUE],
  ])('live flipped from %s with the CNAME swap: only the swap resource is updated', (_, from, to) => {
    const before = build((s) => ({ ...BASE(s), live: from }));
    const after = build((s) => ({ ...BASE(s), live: to }));
    expect(after.live).not.toBe(before.live);
    const result = deployment(before.template, after.template);
    expectEnvironmentsKept(before, after, result);
    expect(result.change(before.blue)).toBeUndefined();
    expect(result.change(before.green)).toBeUndefined();
    const [swap] = idsOfType(before.template, 'Custom::BeanstalkCnameSwap');
    expectUpdated(result, swap);
    expect(result.changes.map((c) => c.logicalId)).toEqual([swap]);
  });

  test('live flipped from blue to green with the Route 53 cutover: the record and its check and bake are updated, nothing replaced', () => {
    const route53Props: Props = (s) => ({
      ...BASE(s),
      cutover: Cutover.route53({ zone: zone(s), recordName: 'shop' }),
    });
    const before = build(route53Props);
    const after = build((s) => ({ ...route53Props(s), live: Slot.GREEN }));
    const result = deployment(before.template, after.template);
    expectEnvironmentsKept(before, after, result);
    expect(result.change(before.blue)).toBeUndefined();
    expect(result.change(before.green)).toBeUndefined();
    const [record] = idsOfType(before.template, 'AWS::Route53::RecordSet');
    expectUpdated(result, record);
    // The check before the record and the bake after it act on this update (LiveEnvironmentName changes).
    const checks = idsOfType(before.template, 'Custom::BeanstalkCutoverCheck');
    expect(checks).toHaveLength(2);
    for (const id of checks) {
      expectUpdated(result, id);
      const live = (t: any) => JSON.stringify(t.Resources[id].Properties.LiveEnvironmentName);
      expect(live(after.template)).not.toEqual(live(before.template));
    }
    expect(result.changes.map((c) => c.logicalId).sort()).toEqual([record, ...checks].sort());
  });

  test.each<[string, Props]>([
    [
      'another instance type',
      (s) => ({ ...BASE(s), instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL) }),
    ],
    [
      'more instances',
      (s) => ({ ...BASE(s), preset: EnvironmentPreset.highAvailability({ minInstances: 3, maxInstances: 8 }) }),
    ],
    [
      'a newer platform version by ARN',
      (s) => ({ ...BASE(s), platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN.replace('6.6.0', '6.7.0')) }),
    ],
  ])('%s: both environments are updated in place', (_, to) => {
    const after = build(to);
    const result = deployment(base.template, after.template);
    expectEnvironmentsKept(base, after, result);
    expectUpdated(result, base.blue);
    expectUpdated(result, base.green);
  });

  test('another platform branch with BeanstalkPlatform.latest(): the lookup runs again and the environments are updated in place', () => {
    const latest: Props = (s) => ({ ...BASE(s), platform: BeanstalkPlatform.latest(BRANCH) });
    const before = build(latest);
    const after = build((s) => ({ ...latest(s), platform: BeanstalkPlatform.latest(BRANCH.replace('22', '24')) }));
    const result = deployment(before.template, after.template);
    expectEnvironmentsKept(before, after, result);
    // One lookup per branch: the new branch is a new lookup resource, whose PlatformArn the environments take.
    expect(idsOfType(after.template, 'Custom::BeanstalkPlatform')).not.toEqual(
      idsOfType(before.template, 'Custom::BeanstalkPlatform'),
    );
    for (const env of [before.blue, before.green]) {
      expect(expectUpdated(result, env).properties.map((p) => p.name)).toContain('PlatformArn');
    }
  });
});

describe('BeanstalkEnvironmentPair: the changes that replace the environments are reported as replacements', () => {
  test.each<[string, Props]>([
    [
      'the cutover (CNAME swap to Route 53: each environment gets a fixed CNAME prefix)',
      (s) => ({ ...BASE(s), cutover: Cutover.route53({ zone: zone(s), recordName: 'shop' }) }),
    ],
  ])('%s replaces both environments', (_, to) => {
    const after = build(to);
    const result = deployment(base.template, after.template);
    expectStatefulKept(result);
    expectReplaced(result, base.blue);
    expectReplaced(result, base.green);
  });

  test('a new solution stack name replaces the environments (a platform ARN would update them)', () => {
    const stackName =
      (version: string): Props =>
      (s) => ({
        ...BASE(s),
        platform: BeanstalkPlatform.fromSolutionStackName(`64bit Amazon Linux 2023 v${version} running Node.js 22`),
      });
    const before = build(stackName('6.6.0'));
    const result = deployment(before.template, build(stackName('6.7.0')).template);
    expectStatefulKept(result);
    expectReplaced(result, before.blue);
    expectReplaced(result, before.green);
  });

  test("a slot's environmentName replaces that environment only", () => {
    const after = build((s) => ({ ...BASE(s), green: { ...BASE(s).green, environmentName: 'shop-green-2' } }));
    const result = deployment(base.template, after.template);
    expectReplaced(result, base.green);
    expectKept(result, 'the live environment', withId(base.live));
  });
});

describe('BeanstalkEnvironment (single environment) update safety', () => {
  interface SingleOptions {
    readonly bundle?: string;
    readonly instanceType?: string;
    readonly tier?: EnvironmentTier;
  }
  const single = ({ bundle = '0', instanceType = 't3.micro', tier }: SingleOptions = {}) =>
    synthWith((s) => {
      const application = new BeanstalkApplication(s, 'App');
      const env = new BeanstalkEnvironment(s, 'Dev', {
        application,
        platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
        preset: EnvironmentPreset.singleInstance(),
        sourceBundle: release(bundle),
        instanceType: new ec2.InstanceType(instanceType),
        tier,
      });
      return s.resolve(env.cfnEnvironment.logicalId) as string;
    });

  test.each<[string, SingleOptions]>([
    ['a new source bundle', { bundle: '1' }],
    ['another instance type', { instanceType: 't3.small' }],
  ])('%s: the environment is updated in place', (_, options) => {
    const before = single();
    const result = deployment(before.template, single(options).template);
    expectStatefulKept(result);
    expectKept(
      result,
      'the application and the environment',
      ofType('AWS::ElasticBeanstalk::Application', ENVIRONMENT),
    );
    expectUpdated(result, before.built);
  });

  test('the tier (web server to worker) replaces the environment, which cdk diff alone reports as an update', () => {
    const before = single();
    const after = single({ tier: EnvironmentTier.WORKER });
    const result = deployment(before.template, after.template);
    const change = expectReplaced(result, before.built);
    expect(change.properties.find((p) => p.name === 'Tier')?.replacedBy).toMatch(/^Tier\.(Name|Type)$/);
    expect(fullDiff(before.template, after.template).resources.get(before.built).changeImpact).toBe(
      ResourceImpact.WILL_UPDATE,
    );
    expectKept(result, 'the application', ofType('AWS::ElasticBeanstalk::Application'));
  });
});
