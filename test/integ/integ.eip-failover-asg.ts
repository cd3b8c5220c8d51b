import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ElasticIpFailoverInstance, FailoverStrategy, HealthProbe } from '../../src';
import { STRICT_VALIDATION_CONTEXT } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

// The Auto Scaling strategy with a data volume: the first instance writes its id to the volume,
// the test terminates it, and the replacement (in either zone) must serve the same file through
// the same Elastic IP. Volumes and snapshots outlive the stack (its retention function goes with
// it): delete the ones tagged cdk-ha-patterns:data-volume=<group> after the test.

const app = new App({ context: STRICT_VALIDATION_CONTEXT });
const stack = new Stack(app, 'HaEipFailoverAsgInteg', { env: { region: 'eu-west-1' } });

const vpc = publicOnlyVpc(stack);
const userData = ec2.UserData.forLinux();
userData.addCommands(
  'dnf install -y nginx',
  'TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")',
  'ID=$(curl -sH "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)',
  // Written once, by the first instance, on the data volume (mounted at /data before these commands).
  '[ -f /data/first-instance ] || echo "$ID" > /data/first-instance',
  'echo "instance=$ID first=$(cat /data/first-instance)" > /usr/share/nginx/html/index.html',
  'systemctl enable --now nginx',
);
const server = new ElasticIpFailoverInstance(stack, 'Server', {
  vpc,
  userData,
  strategy: FailoverStrategy.autoScalingGroup({
    healthCheckGracePeriod: Duration.minutes(3),
    dataVolume: { size: Size.gibibytes(8), snapshotInterval: Duration.hours(1), snapshotRetention: 2 },
  }),
});
server.allowFromInternet(ec2.Port.tcp(80), 'HTTP from the integration test');
// The experiments and their verifier (nothing runs on deployment).
server.addResilienceExperiments({ probe: HealthProbe.http() });

const integ = new IntegTest(app, 'ElasticIpFailoverAsgTest', {
  testCases: [stack],
  regions: ['eu-west-1'],
  assertionStack: new Stack(app, 'HaEipFailoverAsgIntegAssertions', { env: { region: 'eu-west-1' } }),
});

const groupName = server.autoScalingGroup!.autoScalingGroupName;

// 1. One instance, InService (so its launch hook continued: it has its data volume and the EIP).
const inService = integ.assertions
  .awsApiCall('AutoScaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [groupName] })
  .expect(
    ExpectedResult.objectLike({
      AutoScalingGroups: [{ MinSize: 1, MaxSize: 1, DesiredCapacity: 1, Instances: [{ LifecycleState: 'InService' }] }],
    }),
  )
  .waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });
const firstId = inService.getAttString('AutoScalingGroups.0.Instances.0.InstanceId');

// 2. The Elastic IP is on it, and it serves the file it wrote to the data volume.
const addressOnFirst = integ.assertions
  .awsApiCall('EC2', 'DescribeAddresses', { AllocationIds: [server.allocationId] })
  .expect(ExpectedResult.objectLike({ Addresses: [{ InstanceId: firstId }] }));
const servedByFirst = integ.assertions
  .httpApiCall(`http://${server.publicIp}/`)
  .expect(
    ExpectedResult.objectLike({ status: 200, body: Match.stringLikeRegexp(`instance=${firstId} first=${firstId}`) }),
  )
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(20) });

// 3. Terminate it: the group replaces it, the termination hook snapshots the volume.
const terminate = integ.assertions.awsApiCall('AutoScaling', 'TerminateInstanceInAutoScalingGroup', {
  InstanceId: firstId,
  ShouldDecrementDesiredCapacity: false,
});

// 4. Another instance answers through the same Elastic IP with the first instance's file: the data survived.
const servedByReplacement = integ.assertions
  .httpApiCall(`http://${server.publicIp}/`)
  .expect(
    ExpectedResult.objectLike({
      status: 200,
      body: Match.stringLikeRegexp(`^instance=(?!${firstId})i-[0-9a-f]+ first=${firstId}`),
    }),
  )
  .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.seconds(30) });

inService.next(addressOnFirst).next(servedByFirst).next(terminate).next(servedByReplacement);
