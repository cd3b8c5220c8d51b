import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import {
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  Cutover,
  DeploymentPolicy,
  EnvironmentPreset,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';
import { STRICT_VALIDATION_CONTEXT } from '../support/checked-app';

const app = new App({ context: STRICT_VALIDATION_CONTEXT });
const stack = new Stack(app, 'BeanstalkInteg', { env: { region: 'eu-west-1' } });

// Two single-instance environments keep the test cheap; green is live, so the CNAME swap custom
// resource records green's CNAME as the live one. The platform is looked up at deploy time.
const bundle = SourceBundle.fromAsset(path.join(__dirname, '..', 'beanstalk', 'fixtures', 'app'));
const pair = new BeanstalkEnvironmentPair(stack, 'Pair', {
  platform: BeanstalkPlatform.latest('Node.js 22 running on 64bit Amazon Linux 2023'),
  preset: EnvironmentPreset.singleInstance(),
  deploymentPolicy: DeploymentPolicy.allAtOnce(),
  blue: { sourceBundle: bundle },
  green: { sourceBundle: bundle },
  live: Slot.GREEN,
  cutover: Cutover.cnameSwap(),
  environmentVariables: { STAGE: 'integ' },
});
// The experiments and their verifier (nothing runs on deployment).
pair.addResilienceExperiments();

const integ = new IntegTest(app, 'BeanstalkEnvironmentPairTest', {
  testCases: [stack],
  regions: ['eu-west-1'],
  // The assertions read the application and the live URL, so they live in a stack of the same region.
  assertionStack: new Stack(app, 'BeanstalkIntegAssertions', { env: { region: 'eu-west-1' } }),
});

// The live environment is Ready and healthy...
integ.assertions
  .awsApiCall('ElasticBeanstalk', 'describeEnvironments', {
    ApplicationName: pair.application.applicationName,
    EnvironmentNames: [pair.liveEnvironment.environmentName],
  })
  .expect(ExpectedResult.objectLike({ Environments: [{ Status: 'Ready', Health: 'Green' }] }))
  .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });

// ...and the live URL (the CNAME the custom resource recorded) answers through it.
integ.assertions
  .httpApiCall(pair.liveUrl)
  .expect(ExpectedResult.objectLike({ status: 200 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
