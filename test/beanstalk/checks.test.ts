import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { BRANCH, BUNDLE, CERT_ARN, ENV } from './support';
import {
  BatchSize,
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  Cutover,
  DeploymentPolicy,
  EnvironmentPreset,
  EnvironmentTier,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';
import { DetachableDatabase } from '../../src/database';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

// cdk-nag and strict CloudFormation Validate over the Beanstalk constructs.

describe('checks: zero cdk-nag and strict CloudFormation Validate findings', () => {
  test('dev: a single-instance environment', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Dev', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    new BeanstalkEnvironment(stack, 'Dev', {
      application,
      platform: BeanstalkPlatform.latest(BRANCH),
      preset: EnvironmentPreset.singleInstance(),
      sourceBundle: SourceBundle.fromAsset(BUNDLE),
      environmentVariables: { STAGE: 'dev' },
    });
    expectNoFindings(app);
  });

  test('the longest cnamePrefix the construct accepts (63 characters) passes strict Validate too', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Dev', { env: ENV });
    new BeanstalkEnvironment(stack, 'Dev', {
      application: new BeanstalkApplication(stack, 'App'),
      platform: BeanstalkPlatform.latest(BRANCH),
      preset: EnvironmentPreset.singleInstance(),
      sourceBundle: SourceBundle.fromAsset(BUNDLE),
      cnamePrefix: `shop-${'a'.repeat(53)}-dev1`,
    });
    expectNoFindings(app);
  });

  test('prod: a high-availability blue/green pair with HTTPS, Route 53 and a database in its own stack', () => {
    const app = newCheckedApp({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
    const data = new Stack(app, 'Data', { env: ENV });
    const vpc = new ec2.Vpc(data, 'Vpc', {
      maxAzs: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: { All: {} },
    });
    const database = new DetachableDatabase(data, 'Db', { vpc });
    const prod = new Stack(app, 'Prod', { env: ENV });
    const zone = route53.HostedZone.fromHostedZoneAttributes(prod, 'Zone', {
      hostedZoneId: 'Z1',
      zoneName: 'example.com',
    });
    new BeanstalkEnvironmentPair(prod, 'Shop', {
      vpc,
      database,
      platform: BeanstalkPlatform.latest(BRANCH),
      preset: EnvironmentPreset.highAvailability({ minInstances: 2, maxInstances: 6 }),
      deploymentPolicy: DeploymentPolicy.trafficSplitting(10),
      certificate: acm.Certificate.fromCertificateArn(prod, 'Cert', CERT_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      live: Slot.GREEN,
      cutover: Cutover.route53({ zone, recordName: 'shop' }),
    });
    expectNoFindings(app);
  });

  test('prod: a high-availability pair with the CNAME swap and a new VPC', () => {
    const app = newCheckedApp();
    const prod = new Stack(app, 'Prod', { env: ENV });
    new BeanstalkEnvironmentPair(prod, 'Shop', {
      platform: BeanstalkPlatform.latest(BRANCH),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
    });
    expectNoFindings(app);
  });

  test('worker: a high-availability worker environment', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Worker', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    new BeanstalkEnvironment(stack, 'Jobs', {
      application,
      tier: EnvironmentTier.WORKER,
      platform: BeanstalkPlatform.latest(BRANCH),
      deploymentPolicy: DeploymentPolicy.rolling(BatchSize.instances(1)),
      sourceBundle: SourceBundle.fromAsset(BUNDLE),
    });
    expectNoFindings(app);
  });
});
