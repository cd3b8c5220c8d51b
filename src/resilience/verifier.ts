import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  CONSTRUCT_DIMENSION,
  EXPERIMENT_DIMENSION,
  MEASURED_RECOVERY_TIME_METRIC,
  VERIFIER_METRIC_NAMESPACE,
  DataMarkerEnvironment,
  VerifierEnvironment,
  VerifierProbeProtocol,
} from './contract';
import { DataMarkerFunction } from './data-marker-function';
import { VerifierFunction } from './verifier-function';
import { acknowledge, nagArn, skipCheckov } from '../common/acknowledge';
import { createHandlerFunction, HANDLER_LOG_RETENTION } from '../common/handler-function';
import { logsEncryptionKey } from '../common/logs-key';
import { ManagedPolicyRole } from '../common/managed-policy-role';

// Internal: the verifier of a construct's resilience experiments, a state machine that starts an
// experiment, probes the service every few seconds through a function, and reports. Not exported
// from the package.

/** How the verifier reaches the service (internal). */
export interface VerifierProbeSpec {
  readonly protocol: VerifierProbeProtocol;
  /** A host name or address (a token is fine). */
  readonly host: string;
  readonly port: number;
  /** The path of an HTTP(S) GET. */
  readonly path?: string;
  /** Where the probe must run to reach the service (a database in private subnets); none: outside any VPC. */
  readonly vpc?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    /** Allows the probe's security group to reach the service. */
    readonly allow: (probeSecurityGroup: ec2.ISecurityGroup) => void;
  };
  /** What the probe reaches, for the function's description: `the load balancer's URL`. */
  readonly what: string;
}

/** One experiment the verifier can run (internal). */
export interface VerifiedExperiment {
  readonly name: string;
  readonly template: fis.CfnExperimentTemplate;
  readonly budget: Duration;
  readonly faultDuration: Duration;
  /** The verifier writes the data marker before it and checks it after the recovery. */
  readonly carriesData?: boolean;
}

/** Where the data-volume marker is written and read (internal). */
export interface VerifierDataMarkerSpec {
  /** The Elastic IP whose holder has the data volume mounted. */
  readonly allocationId: string;
  /** Where the data volume is mounted. */
  readonly mountPath: string;
  /** The tag the holder carries (the group's name): Run Command is allowed on instances with it only. */
  readonly instanceTag: { readonly key: string; readonly value: string };
}

/** How long one write or check of the data marker waits for the holder and its command. */
export const DATA_MARKER_WAIT = Duration.minutes(4);

/** The pause between two probes. */
export const PROBE_INTERVAL = Duration.seconds(5);

/** How long one probe may take. */
const PROBE_TIMEOUT = Duration.seconds(3);

/** How long the service must answer after the experiment, without a failure seen, to pass with no outage. */
export const QUIET_TIME = Duration.seconds(60);

/** How long the verifier keeps probing after the experiment ended while the service is not back. */
export const RECOVERY_WAIT = Duration.minutes(20);

/**
 * The verifier's state machine. Input: `{ "experiment": "<name>" }`. It starts the experiment
 * (StartExperiment, the execution's name as the client token, so a retried start starts one),
 * then every 5 seconds reads it (GetExperiment) and invokes the probe function, which probes the
 * service once and decides; once the run is over it publishes MeasuredRecoveryTime (when the
 * service recovered), notifies the topic with the summary and succeeds or fails with it.
 */
export function createVerifier(
  scope: Construct,
  options: {
    readonly subject: string;
    readonly experiments: VerifiedExperiment[];
    readonly probe: VerifierProbeSpec;
    readonly notificationTopic?: sns.ITopic;
    /** For the experiments that carry data: where the marker is written and read. */
    readonly dataMarker?: VerifierDataMarkerSpec;
  },
): sfn.StateMachine {
  const stack = Stack.of(scope);
  const { probe } = options;
  const securityGroup = probe.vpc
    ? new ec2.SecurityGroup(scope, 'VerifierProbeSecurityGroup', {
        vpc: probe.vpc.vpc,
        description: `The verifier probe of ${options.subject}: reaches the service only`,
        allowAllOutbound: false,
      })
    : undefined;
  if (probe.vpc && securityGroup) {
    probe.vpc.allow(securityGroup);
  }
  const { fn } = createHandlerFunction(scope, VerifierFunction, {
    name: 'VerifierProbe',
    functionId: 'VerifierProbeFunction',
    calls: `${probe.what} (${probe.protocol.toUpperCase()} ${probe.port}); no AWS API`,
    description: `Probes ${probe.what} once for the resilience verifier of ${options.subject}`,
    roleDescription: `The verifier probe of ${options.subject}: writes its own logs only`,
    timeout: Duration.seconds(10),
    // One round at a time: a construct's verifier runs one experiment at a time.
    reservedConcurrentExecutions: 1,
    vpc: probe.vpc && securityGroup ? { ...probe.vpc, securityGroups: [securityGroup] } : undefined,
    environment: {
      PROTOCOL: probe.protocol,
      HOST: probe.host,
      PORT: String(probe.port),
      PATH: probe.path ?? '/',
      TIMEOUT_MS: String(PROBE_TIMEOUT.toMilliseconds()),
    } satisfies VerifierEnvironment,
  });

  acknowledgeInvokedSynchronously(fn, 'verifier probe');

  // Which template, budget and wait the input's experiment name stands for.
  const unknown = new sfn.Fail(scope, 'UnknownExperiment', {
    error: 'UnknownExperiment',
    cause: `Start the verifier with {"experiment": "<name>"}, one of: ${options.experiments.map((e) => e.name).join(', ')}`,
  });
  const choose = new sfn.Choice(scope, 'WhichExperiment');
  const start = tasks.CallAwsService.jsonPath(scope, 'StartExperiment', {
    service: 'fis',
    action: 'startExperiment',
    parameters: {
      ExperimentTemplateId: sfn.JsonPath.stringAt('$.run.templateId'),
      ClientToken: sfn.JsonPath.stringAt('$$.Execution.Name'),
    },
    iamResources: [
      ...options.experiments.map((e) =>
        stack.formatArn({ service: 'fis', resource: 'experiment-template', resourceName: e.template.attrId }),
      ),
      stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' }),
    ],
    resultSelector: { 'Id.$': '$.Experiment.Id' },
    resultPath: '$.started',
  });
  const marker = options.dataMarker ? dataMarkerSteps(scope, options.subject, options.dataMarker, start) : undefined;
  for (const experiment of options.experiments) {
    choose.when(
      sfn.Condition.stringEquals('$.experiment', experiment.name),
      new sfn.Pass(scope, `Select${experiment.name}`, {
        parameters: {
          experiment: experiment.name,
          run: {
            templateId: experiment.template.attrId,
            budgetSeconds: experiment.budget.toSeconds(),
            ...(marker ? { carriesData: experiment.carriesData === true } : {}),
          },
        },
      }).next(marker && experiment.carriesData ? marker.write : start),
    );
  }
  choose.otherwise(unknown);

  const init = new sfn.Pass(scope, 'StartMeasuring', {
    result: sfn.Result.fromObject({ measurement: { probes: 0, failures: 0, relapses: 0 }, done: false }),
    resultPath: '$.probe',
  });
  const wait = new sfn.Wait(scope, 'WaitBetweenProbes', { time: sfn.WaitTime.duration(PROBE_INTERVAL) });
  const read = tasks.CallAwsService.jsonPath(scope, 'GetExperiment', {
    service: 'fis',
    action: 'getExperiment',
    parameters: { Id: sfn.JsonPath.stringAt('$.started.Id') },
    iamResources: [stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' })],
    resultSelector: { 'Experiment.$': '$.Experiment' },
    resultPath: '$.current',
  });
  const probeOnce = new tasks.LambdaInvoke(scope, 'ProbeTheService', {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject({
      measurement: sfn.JsonPath.objectAt('$.probe.measurement'),
      experiment: sfn.JsonPath.objectAt('$.current.Experiment'),
      budgetSeconds: sfn.JsonPath.numberAt('$.run.budgetSeconds'),
      recoveryWaitSeconds: RECOVERY_WAIT.toSeconds(),
      quietSeconds: QUIET_TIME.toSeconds(),
    }),
    payloadResponseOnly: true,
    resultPath: '$.probe',
    retryOnServiceExceptions: true,
  });
  retryWhenThrottled(probeOnce);

  const publish = tasks.CallAwsService.jsonPath(scope, 'PublishMeasuredRecoveryTime', {
    service: 'cloudwatch',
    action: 'putMetricData',
    parameters: {
      Namespace: VERIFIER_METRIC_NAMESPACE,
      MetricData: [
        {
          MetricName: MEASURED_RECOVERY_TIME_METRIC,
          Unit: 'Seconds',
          Value: sfn.JsonPath.numberAt('$.probe.timeToRecoverSeconds'),
          Dimensions: [
            { Name: CONSTRUCT_DIMENSION, Value: options.subject },
            { Name: EXPERIMENT_DIMENSION, Value: sfn.JsonPath.stringAt('$.experiment') },
          ],
        },
      ],
    },
    iamResources: ['*'],
    resultPath: sfn.JsonPath.DISCARD,
  });
  const verdict = new sfn.Choice(scope, 'Passed')
    .when(sfn.Condition.booleanEquals('$.probe.passed', true), new sfn.Succeed(scope, 'WithinBudget'))
    .otherwise(new sfn.Fail(scope, 'NotWithinBudget', { error: 'NotWithinBudget', causePath: '$.probe.summary' }));
  const report: sfn.IChainable = options.notificationTopic
    ? new tasks.SnsPublish(scope, 'NotifyTheTopic', {
        topic: options.notificationTopic,
        subject: sfn.JsonPath.format(
          'Resilience experiment {}: {}',
          sfn.JsonPath.stringAt('$.experiment'),
          sfn.JsonPath.stringAt('$.probe.result'),
        ),
        message: sfn.TaskInput.fromJsonPathAt('$.probe.summary'),
        resultPath: sfn.JsonPath.DISCARD,
      }).next(verdict)
    : verdict;
  // MeasuredRecoveryTime only for a recovery (0 when no probe failed; none when it never came back).
  const recovered = new sfn.Choice(scope, 'Recovered')
    .when(sfn.Condition.numberGreaterThanEquals('$.probe.timeToRecoverSeconds', 0), publish.next(report))
    .otherwise(report);

  // With a data marker: once the service recovered, is the marker on the new holder's volume?
  const over: sfn.IChainable = marker
    ? new sfn.Choice(scope, 'CheckTheData')
        .when(
          sfn.Condition.and(
            sfn.Condition.booleanEquals('$.run.carriesData', true),
            sfn.Condition.numberGreaterThanEquals('$.probe.timeToRecoverSeconds', 0),
          ),
          marker.check.next(recovered),
        )
        .otherwise(recovered)
    : recovered;
  wait
    .next(read)
    .next(probeOnce)
    .next(
      new sfn.Choice(scope, 'RunOver').when(sfn.Condition.booleanEquals('$.probe.done', true), over).otherwise(wait),
    );
  start.next(init).next(wait);

  const longest = Math.max(...options.experiments.map((e) => e.faultDuration.toMinutes()));
  // Its permissions in a managed policy of its own, as every role of the library.
  const role = new ManagedPolicyRole(scope, 'VerifierRole', {
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
    description: `The resilience verifier of ${options.subject}: starts and reads its experiments, invokes its probe, publishes MeasuredRecoveryTime and notifies the topic`,
  });
  const machine = new sfn.StateMachine(scope, 'Verifier', {
    role,
    comment: `Runs a resilience experiment of ${options.subject} and measures its recovery`,
    definitionBody: sfn.DefinitionBody.fromChainable(choose),
    // The fault, the wait for the recovery, the marker's write and check, and a margin.
    timeout: Duration.minutes(
      longest + RECOVERY_WAIT.toMinutes() + (marker ? 2 * DATA_MARKER_WAIT.toMinutes() : 0) + 15,
    ),
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'VerifierLogs', {
        retention: HANDLER_LOG_RETENTION,
        encryptionKey: logsEncryptionKey(scope),
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: true,
    },
  });
  acknowledge(machine.role, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'cloudwatch:PutMetricData supports no resource-level permissions; the verifier publishes MeasuredRecoveryTime only. The X-Ray and log delivery statements aws-cdk-lib adds for tracing and logging are on * as those services require.',
  });
  acknowledge(machine.role, {
    id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'fis', 'experiment/*')}]`,
    reason:
      'An experiment id is known only once StartExperiment created it: fis:StartExperiment and fis:GetExperiment are on experiment/* of this account and region, and StartExperiment also needs one of these experiment templates.',
  });
  acknowledge(machine.role, {
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
    reason: 'aws-cdk-lib grants lambda:InvokeFunction on the probe function and its versions (:*); nothing else.',
  });
  if (marker) {
    acknowledge(machine.role, {
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(marker.fn.node.defaultChild as never)}.Arn>:*]`,
      reason:
        'aws-cdk-lib grants lambda:InvokeFunction on the data marker function and its versions (:*); nothing else.',
    });
  }
  return machine;
}

/**
 * The dead-letter queue findings of a function the state machine only invokes synchronously
 * (NIST and HIPAA LambdaDLQ, checkov CKV_AWS_116), acknowledged with why none applies.
 */
function acknowledgeInvokedSynchronously(fn: lambda.Function, what: string): void {
  const fnResource = fn.node.defaultChild as lambda.CfnFunction;
  const synchronous = `The state machine invokes the ${what} synchronously (a task that waits for its answer), and Lambda sends only asynchronous invocations to a dead-letter queue: a failed invocation fails the task, which its retries and the execution history record.`;
  acknowledge(
    fnResource,
    ...['NIST.800.53.R5', 'HIPAA.Security'].map((pack) => ({ id: `${pack}-LambdaDLQ`, reason: synchronous })),
  );
  skipCheckov(fnResource, { id: 'CKV_AWS_116', comment: synchronous });
}

/**
 * Retries an invocation Lambda throttled (the functions take one invocation at a time: a second
 * execution of the verifier, or a retry while the first invocation ends): 2, 4, 8, 16 and 32 s
 * later, then the execution fails with the error.
 */
function retryWhenThrottled(task: tasks.LambdaInvoke): void {
  task.addRetry({
    errors: ['Lambda.TooManyRequestsException'],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 5,
  });
}

/**
 * The data marker's function and its two steps: `write` (before the experiment: a fresh marker on
 * the holder's data volume, or the run fails before anything is disrupted) and `check` (after the
 * recovery: the probe's verdict completed with the marker found on the new holder, or not).
 */
function dataMarkerSteps(
  scope: Construct,
  subject: string,
  spec: VerifierDataMarkerSpec,
  start: sfn.IChainable,
): { fn: lambda.Function; write: sfn.IChainable; check: tasks.LambdaInvoke } {
  const stack = Stack.of(scope);
  const { fn } = createHandlerFunction(scope, DataMarkerFunction, {
    name: 'VerifierDataMarker',
    functionId: 'VerifierDataMarkerFunction',
    calls: 'the EC2 API (the Elastic IP) and Systems Manager (Run Command)',
    description: `Writes and reads the data-volume marker for the resilience verifier of ${subject}`,
    roleDescription: `The verifier data marker of ${subject}: runs its marker commands on the instances of this group only`,
    // The wait, a command's own time and a margin.
    timeout: DATA_MARKER_WAIT.plus(Duration.seconds(50)),
    reservedConcurrentExecutions: 1,
    environment: {
      ALLOCATION_ID: spec.allocationId,
      MOUNT_PATH: spec.mountPath,
      WAIT_SECONDS: String(DATA_MARKER_WAIT.toSeconds()),
      POLL_MS: '5000',
    } satisfies DataMarkerEnvironment,
    permissions: (role) => {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'FindTheHolderAndReadItsCommands',
          actions: ['ec2:DescribeAddresses', 'ssm:GetCommandInvocation'],
          resources: ['*'],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'RunCommandsOnTheInstancesOfThisGroup',
          actions: ['ssm:SendCommand'],
          resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
          conditions: { StringEquals: { [`ssm:resourceTag/${spec.instanceTag.key}`]: spec.instanceTag.value } },
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'WithTheShellScriptDocument',
          actions: ['ssm:SendCommand'],
          resources: [
            stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWS-RunShellScript' }),
          ],
        }),
      );
      acknowledge(
        role,
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'ec2:DescribeAddresses and ssm:GetCommandInvocation support no resource-level permissions: the function reads which instance holds the Elastic IP and the result of its own command; it changes nothing with them.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'ec2', 'instance/*')}]`,
          reason: `The group's instance ids are known only at run time: ssm:SendCommand requires the tag ${spec.instanceTag.key} = this group (ssm:resourceTag), with the document AWS-RunShellScript only.`,
        },
      );
    },
  });
  acknowledgeInvokedSynchronously(fn, 'data marker function');

  const write = new tasks.LambdaInvoke(scope, 'WriteTheDataMarker', {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject({ action: 'write' }),
    payloadResponseOnly: true,
    resultPath: '$.marker',
    retryOnServiceExceptions: true,
  });
  retryWhenThrottled(write);
  const notWritten = new sfn.Fail(scope, 'DataMarkerNotWritten', {
    error: 'DataMarkerNotWritten',
    causePath: '$.marker.detail',
  });
  write.next(
    new sfn.Choice(scope, 'DataMarkerWritten')
      .when(sfn.Condition.stringEquals('$.marker.status', 'written'), start)
      .otherwise(notWritten),
  );
  const check = new tasks.LambdaInvoke(scope, 'CheckTheDataMarker', {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject({
      action: 'check',
      marker: sfn.JsonPath.stringAt('$.marker.marker'),
      probe: sfn.JsonPath.objectAt('$.probe'),
    }),
    payloadResponseOnly: true,
    resultPath: '$.probe',
    retryOnServiceExceptions: true,
  });
  retryWhenThrottled(check);
  return { fn, write, check };
}
