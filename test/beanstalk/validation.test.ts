import { App, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { BUNDLE, CERT_ARN, ENV, PLATFORM_ARN } from './support';
import {
  BatchSize,
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkEnvironmentPairProps,
  BeanstalkPlatform,
  Cutover,
  DeploymentPolicy,
  EnvironmentPreset,
  EnvironmentTier,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';
import { validateCnamePrefix } from '../../src/beanstalk/checks';
import { PropsValidator } from '../../src/common/validation';

// The validation of the Beanstalk constructs' props: one rule per test, and every problem reported at once.

describe('validation', () => {
  const stackFor = () => new Stack(new App(), 'Stack', { env: ENV });
  const pairProps = (extra: Partial<BeanstalkEnvironmentPairProps> = {}): BeanstalkEnvironmentPairProps => ({
    platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
    blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
    green: {},
    live: Slot.BLUE,
    ...extra,
  });

  test('min > max instances', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ preset: EnvironmentPreset.highAvailability({ minInstances: 5, maxInstances: 2 }) }),
        ),
    ).toThrow(/preset\.minInstances \(5\) must be <= preset\.maxInstances \(2\)/);
  });

  test('fewer than 2 AZs for the highAvailability preset', () => {
    const stack = stackFor();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 });
    expect(() => new BeanstalkEnvironmentPair(stack, 'Pair', pairProps({ vpc }))).toThrow(
      /vpc must have private subnets with egress in at least 2 Availability Zones for the highAvailability preset \(the instances run there\), received '1 zone\(s\)'/,
    );
  });

  test('traffic splitting outside 1-100%', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.trafficSplitting(0) }),
        ),
    ).toThrow(
      /DeploymentPolicy\.trafficSplitting\(percent\): percent must be a whole number from 1 to 100, received 0/,
    );
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.trafficSplitting(101) }),
        ),
    ).toThrow(/received 101/);
  });

  test('traffic splitting on a single instance', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({
            preset: EnvironmentPreset.singleInstance(),
            deploymentPolicy: DeploymentPolicy.trafficSplitting(10),
          }),
        ),
    ).toThrow(
      /deploymentPolicy DeploymentPolicy.trafficSplitting\(\) needs a load balancer.*received 'singleInstance preset, WebServer tier'/,
    );
  });

  test('traffic splitting evaluation time out of range', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.trafficSplitting(10, Duration.minutes(1)) }),
        ),
    ).toThrow(
      /DeploymentPolicy\.trafficSplitting\(percent, evaluationTime\): evaluationTime must be a whole number of minutes from 3 to 600, received '1 minute'/,
    );
  });

  test('batch sizes out of range (percentage 1-100, fixed at least 1)', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.rolling(BatchSize.percentage(120)) }),
        ),
    ).toThrow(
      /DeploymentPolicy\.rolling\(BatchSize\.percentage\(percent\)\): percent must be a whole number from 1 to 100, received 120/,
    );
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.rollingWithAdditionalBatch(BatchSize.instances(0)) }),
        ),
    ).toThrow(
      /DeploymentPolicy\.rollingWithAdditionalBatch\(BatchSize\.instances\(count\)\): count must be a whole number from 1 to 10000, received 0/,
    );
  });

  test('a worker tier with a certificate', () => {
    const stack = stackFor();
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stack,
          'Pair',
          pairProps({
            tier: EnvironmentTier.WORKER,
            certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
          }),
        ),
    ).toThrow(
      /certificate is only for the web server tier \(a worker has no load balancer\), received 'a certificate with EnvironmentTier.WORKER'/,
    );
  });

  test('a worker tier with the default CNAME swap cutover (workers have no CNAME)', () => {
    const stack = stackFor();
    expect(() => new BeanstalkEnvironmentPair(stack, 'Pair', pairProps({ tier: EnvironmentTier.WORKER }))).toThrow(
      /tier must be EnvironmentTier.WEB_SERVER for the cutover Cutover.cnameSwap\(\): a worker environment has no CNAME to swap.*received 'EnvironmentTier.WORKER with Cutover.cnameSwap\(\)'/,
    );
  });

  test('a worker tier with a Route 53 cutover', () => {
    const stack = stackFor();
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z1',
      zoneName: 'example.com',
    });
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stack,
          'Pair',
          pairProps({ tier: EnvironmentTier.WORKER, cutover: Cutover.route53({ zone, recordName: 'jobs' }) }),
        ),
    ).toThrow(
      /tier must be EnvironmentTier.WEB_SERVER for the cutover Cutover.route53\(\).*received 'EnvironmentTier.WORKER with Cutover.route53\(\)'/,
    );
  });

  test('live naming a slot with no source bundle', () => {
    expect(() => new BeanstalkEnvironmentPair(stackFor(), 'Pair', pairProps({ live: Slot.GREEN }))).toThrow(
      /live must name a slot with a sourceBundle .*give green.sourceBundle or make the other slot live, received 'Slot.GREEN with no green.sourceBundle'/,
    );
  });

  test('a certificate on a single instance', () => {
    const stack = stackFor();
    expect(
      () =>
        new BeanstalkEnvironment(stack, 'Env', {
          application: new BeanstalkApplication(stack, 'App'),
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
          preset: EnvironmentPreset.singleInstance(),
          certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
        }),
    ).toThrow(/BeanstalkEnvironment props:\n.*certificate needs a load balancer to terminate HTTPS/);
  });

  test('environment names, log retention and the maintenance window are checked', () => {
    const stack = stackFor();
    expect(
      () =>
        new BeanstalkEnvironment(stack, 'Env', {
          application: new BeanstalkApplication(stack, 'App'),
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
          environmentName: 'x_',
          logRetention: 2192,
          maintenanceWindowStart: 'Sunday 3am',
        }),
    ).toThrow(
      /logRetention must be one of[^\n]*received '2192 days'\n.*maintenanceWindowStart must be 'Day:HH:MM'[^\n]*received 'Sunday 3am'\n.*environmentName must be 4 to 40 letters[^\n]*received 'x_'/s,
    );
  });

  test('reports every problem at once', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({
            live: Slot.GREEN,
            preset: EnvironmentPreset.highAvailability({ minInstances: 3, maxInstances: 1 }),
            deploymentPolicy: DeploymentPolicy.trafficSplitting(200),
          }),
        ),
    ).toThrow(
      /Invalid BeanstalkEnvironmentPair props:\n  - preset\.minInstances.*\n  - DeploymentPolicy\.trafficSplitting\(percent\): percent.*\n  - live must name/,
    );
  });

  test('an environment reports a VPC problem together with a prop problem, in one error', () => {
    const stack = stackFor();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 });
    expect(
      () =>
        new BeanstalkEnvironment(stack, 'Env', {
          application: new BeanstalkApplication(stack, 'App'),
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
          vpc,
          logRetention: 2192,
        }),
    ).toThrow(
      /^Invalid BeanstalkEnvironment props:\n  - logRetention must be one of[^\n]*received '2192 days'\n  - vpc must have private subnets with egress in at least 2 Availability Zones[^\n]*received '1 zone\(s\)'\n  - vpc must have public subnets in at least 2 Availability Zones[^\n]*received '1 zone\(s\)'$/,
    );
  });

  test('a pair reports a VPC problem together with a prop problem, in one error', () => {
    const stack = stackFor();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 });
    expect(() => new BeanstalkEnvironmentPair(stack, 'Pair', pairProps({ vpc, live: Slot.GREEN }))).toThrow(
      /^Invalid BeanstalkEnvironmentPair props:\n  - live must name a slot with a sourceBundle[^\n]*received 'Slot.GREEN with no green.sourceBundle'\n  - vpc must have private subnets with egress in at least 2 Availability Zones[^\n]*received '1 zone\(s\)'\n  - vpc must have public subnets in at least 2 Availability Zones[^\n]*received '1 zone\(s\)'$/,
    );
  });

  describe('cnamePrefix', () => {
    const environmentWith = (cnamePrefix: string, stack = stackFor()) =>
      new BeanstalkEnvironment(stack, 'Env', {
        application: new BeanstalkApplication(stack, 'App'),
        platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
        cnamePrefix,
      });
    const onlyProblem = (problem: string) =>
      new RegExp(`^Invalid BeanstalkEnvironment props:\\n  - ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

    test('shorter than 4 characters', () => {
      expect(() => environmentWith('ab')).toThrow(
        onlyProblem("cnamePrefix must be 4 to 63 characters long (it has 2), received 'ab'"),
      );
    });

    test('longer than 63 characters', () => {
      const prefix = 'a'.repeat(64);
      expect(() => environmentWith(prefix)).toThrow(
        onlyProblem(`cnamePrefix must be 4 to 63 characters long (it has 64), received '${prefix}'`),
      );
      expect(() => environmentWith('a'.repeat(63))).not.toThrow();
    });

    test('characters other than letters, digits and hyphens', () => {
      expect(() => environmentWith('my_shop!')).toThrow(
        onlyProblem(
          "cnamePrefix must contain only letters, digits and hyphens (it is one DNS label of <prefix>.<region>.elasticbeanstalk.com), received 'my_shop!'",
        ),
      );
      expect(() => environmentWith('my.shop')).toThrow(/cnamePrefix must contain only letters, digits and hyphens/);
    });

    test('a hyphen first or last', () => {
      expect(() => environmentWith('-shop-')).toThrow(
        onlyProblem("cnamePrefix must not start or end with a hyphen (it is a DNS label), received '-shop-'"),
      );
      expect(() => environmentWith('shop-')).toThrow(/cnamePrefix must not start or end with a hyphen/);
    });

    test('a valid prefix is accepted and reaches the template', () => {
      const stack = stackFor();
      environmentWith('my-shop-2', stack);
      Template.fromStack(stack).hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
        CNAMEPrefix: 'my-shop-2',
      });
    });

    test('unresolved tokens are not refused', () => {
      const stack = stackFor();
      const parameter = new CfnParameter(stack, 'Prefix', { type: 'String' });
      expect(() => environmentWith(parameter.valueAsString, stack)).not.toThrow();
      Template.fromStack(stack).hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
        CNAMEPrefix: { Ref: 'Prefix' },
      });
      expect(() => environmentWith(Lazy.string({ produce: () => 'x' }))).not.toThrow();
    });

    test('the prefixes a Route 53 pair generates satisfy the rule, whatever the construct ids', () => {
      const problemsOf = (prefix: string) => {
        const check = new PropsValidator('Test');
        validateCnamePrefix(check, 'cnamePrefix', prefix);
        return () => check.throwIfInvalid();
      };
      for (const account of ['123456789012', undefined]) {
        const stack = new Stack(new App(), 'A-Very-Long-Stack-Name-For-The-Shop-Environments', {
          env: { ...ENV, account },
        });
        const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
          hostedZoneId: 'Z1',
          zoneName: 'example.com',
        });
        const pair = new BeanstalkEnvironmentPair(
          stack,
          `My_Shop! Pair ${'x'.repeat(100)} -`,
          pairProps({ cutover: Cutover.route53({ zone, recordName: 'shop' }) }),
        );
        for (const env of [pair.blue, pair.green]) {
          // With a concrete account the prefix resolves to a literal; in an environment-agnostic
          // stack the account is a reference: count it as the 12 digits it is.
          const resolved = stack.resolve(env.cfnEnvironment.cnamePrefix);
          const [separator, parts] = typeof resolved === 'string' ? ['', [resolved]] : resolved['Fn::Join'];
          const prefix = parts
            .map((part: unknown) => (typeof part === 'string' ? part : '123456789012'))
            .join(separator);
          expect(prefix).toMatch(/^[a-z0-9][a-z0-9-]*-(blue|green)-123456789012$/);
          expect(problemsOf(prefix)).not.toThrow();
        }
      }
    });
  });

  test('skips unresolved tokens', () => {
    const token = Lazy.number({ produce: () => 3 });
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({
            preset: EnvironmentPreset.highAvailability({ minInstances: token, maxInstances: 2 }),
            deploymentPolicy: DeploymentPolicy.trafficSplitting(Lazy.number({ produce: () => 500 })),
            blue: {
              sourceBundle: SourceBundle.fromAsset(BUNDLE),
              environmentName: Lazy.string({ produce: () => 'x' }),
            },
          }),
        ),
    ).not.toThrow();
  });
});
