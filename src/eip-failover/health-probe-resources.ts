import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FailoverContext } from './binding';
import {
  HEALTH_PROBE_FAILED_METRIC,
  HealthProbeEnvironment,
  HealthProbeProtocol,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
} from './contract';
import type { HealthProbe } from './health-probe';
import { ServiceProbeFunction } from './service-probe-function';
import { acknowledge } from '../common/acknowledge';
import { createHandlerFunction } from '../common/handler-function';

// Internal: the resources of a health probe (`standbyInstance({ healthProbe })` and
// `autoScalingGroup({ healthProbe })`). Not exported from the package.

/** Attempts of one probe run, and the pause between two (HealthProbeEnvironment). */
const PROBE_ATTEMPTS = 3;
const PROBE_ATTEMPT_INTERVAL = Duration.seconds(5);

/** Time a run keeps after its attempts: reading the holder of the Elastic IP, and writing the record. */
const PROBE_RUN_MARGIN = Duration.seconds(10);

/**
 * The health probe: a function run once a minute that checks the service through the Elastic IP
 * and records HealthProbeFailed (1 when every attempt of the run failed, unless nothing holds the
 * Elastic IP or its holder started within the startup grace), and the alarm on it. The strategy
 * adds the alarm's action (`remedy` says what it does, for the alarm's description). Events that
 * fail (a configuration error: a failed probe is a result, not an error) go to `deadLetterQueue`.
 */
export function createHealthProbe(
  scope: Construct,
  context: FailoverContext,
  probe: HealthProbe,
  deadLetterQueue: sqs.IQueue,
  remedy: string,
): cloudwatch.Alarm {
  const target =
    probe.protocol === 'tcp' ? `TCP port ${probe.port}` : `${probe.protocol.toUpperCase()} ${probe.port} ${probe.path}`;
  const timeoutSeconds = probe.timeout.toSeconds();
  const { fn, role } = createHandlerFunction(scope, ServiceProbeFunction, {
    name: 'HealthProbe',
    functionId: 'HealthProbeFunction',
    calls: `the service through the Elastic IP on the internet (${target}) and, after a failed run, the EC2 API (the Elastic IP's holder and its launch time)`,
    description: `Checks the service through the Elastic IP once a minute (${target})`,
    roleDescription:
      'Checks the service of one ElasticIpFailoverInstance through its Elastic IP; reads which instance holds it and when that started',
    // The attempts, their pauses and a margin: a run ends before the next one starts.
    timeout: Duration.seconds(
      PROBE_ATTEMPTS * timeoutSeconds +
        (PROBE_ATTEMPTS - 1) * PROBE_ATTEMPT_INTERVAL.toSeconds() +
        PROBE_RUN_MARGIN.toSeconds(),
    ),
    reservedConcurrentExecutions: 1,
    deadLetterQueue,
    permissions: (r) => {
      r.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadTheHolderOfTheElasticIp',
          actions: ['ec2:DescribeAddresses', 'ec2:DescribeInstances'],
          resources: ['*'],
        }),
      );
    },
    environment: {
      ALLOCATION_ID: context.elasticIp.attrAllocationId,
      PUBLIC_IP: context.elasticIp.attrPublicIp,
      PROTOCOL: probe.protocol as HealthProbeProtocol,
      PORT: String(probe.port),
      PATH: probe.path ?? '/',
      TIMEOUT_MS: String(timeoutSeconds * 1000),
      ATTEMPTS: String(PROBE_ATTEMPTS),
      ATTEMPT_INTERVAL_MS: String(PROBE_ATTEMPT_INTERVAL.toMilliseconds()),
      STARTUP_GRACE_SECONDS: String(probe.startupGrace.toSeconds()),
    } satisfies HealthProbeEnvironment,
  });
  acknowledge(role, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only ec2:DescribeAddresses and ec2:DescribeInstances (read only) are granted on *: these Describe actions support no resource-level permissions. The probe reads which instance holds the Elastic IP and when it started, nothing else.',
  });
  new events.Rule(scope, 'HealthProbeSchedule', {
    description: `Every minute: check the service through the Elastic IP (${target})`,
    schedule: events.Schedule.rate(Duration.minutes(1)),
    // A run that cannot be delivered within a minute is superseded by the next one.
    targets: [new targets.LambdaFunction(fn, { deadLetterQueue, retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
  });
  return new cloudwatch.Alarm(scope, 'HealthProbeAlarm', {
    alarmDescription: `Every attempt to reach the service through the Elastic IP (${target}) failed in ${probe.failedRuns} one-minute run(s) in a row: ${remedy}`,
    metric: new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: HEALTH_PROBE_FAILED_METRIC,
      dimensionsMap: { [METRIC_DIMENSION]: context.elasticIp.attrAllocationId },
      // Minimum: a minute counts as failed only if every run in it failed.
      statistic: cloudwatch.Stats.MINIMUM,
      period: Duration.minutes(1),
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: probe.failedRuns,
    datapointsToAlarm: probe.failedRuns,
    // No run recorded (the function did not run, nothing held the Elastic IP, or its holder was
    // within the startup grace) is not a failure of the service.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
