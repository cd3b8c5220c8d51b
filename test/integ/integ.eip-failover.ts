import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ElasticIpFailoverInstance, FailoverStrategy, HealthProbe } from '../../src';
import { STRICT_VALIDATION_CONTEXT } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

const app = new App({ context: STRICT_VALIDATION_CONTEXT });
const stack = new Stack(app, 'HaEipFailoverInteg', { env: { region: 'eu-west-1' } });

const vpc = publicOnlyVpc(stack);
const userData = ec2.UserData.forLinux();
userData.addCommands(
  'dnf install -y nginx',
  // Each instance answers with its own id, so the test can see which one holds the Elastic IP.
  'TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")',
  'curl -sH "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id > /usr/share/nginx/html/index.html',
  'systemctl enable --now nginx',
);
const server = new ElasticIpFailoverInstance(stack, 'Server', {
  vpc,
  userData,
  // The test deletes the stack afterwards.
  strategy: FailoverStrategy.standbyInstance({ terminationProtection: false }),
});
server.allowFromInternet(ec2.Port.tcp(80), 'HTTP from the integration test');
// The experiments and their verifier (nothing runs on deployment).
server.addResilienceExperiments({ probe: HealthProbe.http() });

const integ = new IntegTest(app, 'ElasticIpFailoverInstanceTest', {
  testCases: [stack],
  regions: ['eu-west-1'],
  assertionStack: new Stack(app, 'HaEipFailoverIntegAssertions', { env: { region: 'eu-west-1' } }),
});

const primaryId = server.primaryInstance!.ref;
const standbyId = server.standbyInstance!.ref;

// 1. The Elastic IP serves from the primary.
const servedByPrimary = integ.assertions
  .httpApiCall(`http://${server.publicIp}/`)
  .expect(ExpectedResult.objectLike({ status: 200, body: primaryId }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(20) });

// 2. Stop the primary: the state-change rule fires and the function moves the Elastic IP.
const stopPrimary = integ.assertions.awsApiCall('EC2', 'StopInstances', { InstanceIds: [primaryId] });

// 3. The Elastic IP is on the standby, which now answers.
const movedToStandby = integ.assertions
  .awsApiCall('EC2', 'DescribeAddresses', { AllocationIds: [server.allocationId] })
  .expect(ExpectedResult.objectLike({ Addresses: [{ InstanceId: standbyId }] }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });
const servedByStandby = integ.assertions
  .httpApiCall(`http://${server.publicIp}/`)
  .expect(ExpectedResult.objectLike({ status: 200, body: standbyId }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });

servedByPrimary.next(stopPrimary).next(movedToStandby).next(servedByStandby);
