import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HighlyAvailableWebApp } from '../../src';
import { STRICT_VALIDATION_CONTEXT } from '../support/checked-app';

const app = new App({ context: STRICT_VALIDATION_CONTEXT });
const stack = new Stack(app, 'HaWebAppInteg', { env: { region: 'eu-west-1' } });

const userData = ec2.UserData.forLinux();
userData.addCommands('dnf install -y nginx', 'echo ok > /usr/share/nginx/html/health', 'systemctl enable --now nginx');
const webApp = new HighlyAvailableWebApp(stack, 'Web', { userData, healthCheckPath: '/health' });
// The experiments and their verifier (nothing runs on deployment).
webApp.addResilienceExperiments();

const integ = new IntegTest(app, 'HighlyAvailableWebAppTest', {
  testCases: [stack],
  regions: ['eu-west-1'],
  // The assertions read the load balancer's address, so they live in a stack of the same region.
  assertionStack: new Stack(app, 'HaWebAppIntegAssertions', { env: { region: 'eu-west-1' } }),
});

// Once deployed, the load balancer answers the health path through the instances.
integ.assertions
  .httpApiCall(`${webApp.url}/health`)
  .expect(ExpectedResult.objectLike({ status: 200 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
