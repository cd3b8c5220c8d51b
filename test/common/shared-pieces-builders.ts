import * as path from 'path';
import { Size, Stack } from 'aws-cdk-lib';
import {
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  EnvironmentPreset,
  EnvironmentTier,
  ElasticIpFailoverInstance,
  FailoverStrategy,
  Slot,
  SourceBundle,
} from '../../src';
import { publicOnlyVpc } from '../support/vpc';

const BUNDLE = path.join(__dirname, '..', 'beanstalk', 'fixtures', 'app');
const BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';

export const BUILDERS: Record<string, (stack: Stack) => void> = {
  standby: (stack) => new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack) }),
  'data-volume': (stack) =>
    new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20) } }),
    }),
  pair: (stack) =>
    new BeanstalkEnvironmentPair(stack, 'Shop', {
      platform: BeanstalkPlatform.latest(BRANCH),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      live: Slot.BLUE,
    }),
  worker: (stack) =>
    new BeanstalkEnvironment(stack, 'Worker', {
      application: new BeanstalkApplication(stack, 'App'),
      platform: BeanstalkPlatform.latest(BRANCH),
      preset: EnvironmentPreset.highAvailability({ minInstances: 2, maxInstances: 4 }),
      tier: EnvironmentTier.WORKER,
      sourceBundle: SourceBundle.fromAsset(BUNDLE),
    }),
};
