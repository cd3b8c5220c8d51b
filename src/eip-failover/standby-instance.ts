import { CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import type { FailoverBinding, FailoverContext } from './binding';
import {
  FAILED_STATES,
  FAILOVER_PAIR_TAG,
  FailoverEnvironment,
  FailoverRole,
  METRIC_NAMESPACE,
  PLACEMENT_RESOURCE_TYPE,
  PlacementResourceProperties,
  PRIMARY_ROLE,
  ROLE_TAG,
  STANDBY_ROLE,
} from './contract';
import { grantEbsKeyUse } from './ebs-key';
import { FailoverFunction } from './failover-function';
import { createHealthProbe } from './health-probe-resources';
import { ec2Arn, ec2NagArn, elasticIpArn } from './naming';
import type { StandbyInstanceOptions } from './options';
import { acknowledge, skipCheckov } from '../common/acknowledge';
import { createHandlerFunction } from '../common/handler-function';
import { PropsValidator } from '../common/validation';

// Internal: the resources of FailoverStrategy.standbyInstance(). Not exported from the package.

/** Alarm timing, used by the construct and quoted in the README's detection table. */
export const STATUS_CHECK_PERIOD = Duration.minutes(1);
export const STATUS_CHECK_EVALUATION_PERIODS = 2;
export const CPU_PERIOD = Duration.minutes(1);
export const DEFAULT_CPU_EVALUATION_PERIODS = 5;
export const DEFAULT_CPU_THRESHOLD = 100;

/** How long the function waits for the other instance to reach `running` (a stopped standby boots). */
export const WAIT_FOR_RUNNING = Duration.minutes(8);

/** The launch template version both instances run unless told otherwise: the first, the one the stack creates. */
export const FIRST_LAUNCH_TEMPLATE_VERSION = '1';

/**
 * How long CloudFormation waits for the placement's answer: the function may first wait for a
 * failover in progress (reserved concurrency 1, 10 minute timeout), then take up to 10 minutes.
 */
export const PLACEMENT_TIMEOUT = Duration.minutes(30);

/** A launch template version an instance can pin: a version number, not `$Latest` or `$Default`. */
const VERSION_NUMBER = /^[1-9][0-9]*$/;

export function validateStandbyInstance(options: StandbyInstanceOptions, check: PropsValidator): void {
  options.healthProbe?._validate(check);
  check.numberInRange('cpuThreshold', options.cpuThreshold, 1, 100);
  check.integerInRange('cpuEvaluationPeriods', options.cpuEvaluationPeriods, 1, 60);
  if (options.cpuAlarm === false && options.cpuThreshold !== undefined) {
    check.fail(
      'cpuThreshold',
      'is only used when cpuAlarm is true; remove it or turn cpuAlarm on',
      options.cpuThreshold,
    );
  }
  for (const prop of ['primaryLaunchTemplateVersion', 'standbyLaunchTemplateVersion'] as const) {
    const version = options[prop];
    if (version !== undefined && !Token.isUnresolved(version) && !VERSION_NUMBER.test(version)) {
      check.fail(
        prop,
        "must be a launch template version number, a whole number from 1 written as a string such as '2' (not $Latest or $Default: each instance pins the version it runs)",
        version,
      );
    }
  }
}

export function bindStandbyInstance(
  scope: Construct,
  context: FailoverContext,
  options: StandbyInstanceOptions,
): FailoverBinding {
  const stack = Stack.of(scope);
  const [primarySubnet, standbySubnet] = context.subnets;
  // Each instance pins its launch template version: a deployment that changes the image, the user
  // data or the instance type only adds a version, and each instance moves to it when its own
  // version option is raised (one replacement per deployment, see primaryLaunchTemplateVersion).
  const terminationProtected = options.terminationProtection ?? true;
  const primaryInstance = createInstance(scope, 'PrimaryInstance', primarySubnet, PRIMARY_ROLE, context, {
    launchTemplateVersion: options.primaryLaunchTemplateVersion ?? FIRST_LAUNCH_TEMPLATE_VERSION,
    terminationProtection: terminationProtected,
  });
  const standbyInstance = createInstance(scope, 'StandbyInstance', standbySubnet, STANDBY_ROLE, context, {
    launchTemplateVersion: options.standbyLaunchTemplateVersion ?? FIRST_LAUNCH_TEMPLATE_VERSION,
    terminationProtection: terminationProtected,
  });
  const instances = [primaryInstance, standbyInstance];
  const stopped = (options.standbyState ?? 'RUNNING') === 'STOPPED';

  // The failover function: one at a time, failed events kept, IAM scoped to this pair and this EIP.
  const { fn: failoverFunction, deadLetterQueue } = createHandlerFunction(scope, FailoverFunction, {
    name: 'Failover',
    functionId: 'FailoverFunction',
    calls:
      "the EC2 API (Elastic IP address, instance state, start and stop, role tags), SNS, and the pre-signed Amazon S3 URL CloudFormation gives for its placement resource's response",
    description: 'Moves the Elastic IP to the healthy instance of the pair when the instance holding it fails',
    roleDescription: 'Moves the Elastic IP of one ElasticIpFailoverInstance between its two instances',
    timeout: WAIT_FOR_RUNNING.plus(Duration.minutes(2)),
    reservedConcurrentExecutions: 1,
    deadLetterQueue: true,
    notificationTopic: context.notificationTopic,
    permissions: (role) => grantFailoverPermissions(stack, role, context, { stopsStandby: stopped }),
    environment: {
      ALLOCATION_ID: context.elasticIp.attrAllocationId,
      PUBLIC_IP: context.elasticIp.attrPublicIp,
      INSTANCE_IDS: `${primaryInstance.ref},${standbyInstance.ref}`,
      TOPIC_ARN: context.notificationTopic.topicArn,
      ROLE_TAG_KEY: ROLE_TAG,
      WAIT_TIMEOUT_SECONDS: String(WAIT_FOR_RUNNING.toSeconds()),
      METRIC_NAMESPACE,
    } satisfies FailoverEnvironment,
  });

  // Where the Elastic IP is, is run-time state (failovers move it): no AWS::EC2::EIPAssociation pins
  // it. The placement puts it on the primary at creation and, when a deployment replaces an
  // instance, keeps it on a running instance of the new pair before CloudFormation terminates the
  // old one, whose termination protection it releases. With StandbyState.STOPPED it then stops a
  // new standby (decided from where the Elastic IP is and the role tags, never the one serving):
  // the function that answers it has a dead-letter queue, reserved concurrency 1 and a managed
  // policy, where the AwsCustomResource that stopped the standby in earlier releases brought the
  // stack's shared provider function and an inline policy.
  const placement = new CustomResource(scope, 'ElasticIpPlacement', {
    serviceToken: failoverFunction.functionArn,
    resourceType: PLACEMENT_RESOURCE_TYPE,
    serviceTimeout: PLACEMENT_TIMEOUT,
    properties: {
      AllocationId: context.elasticIp.attrAllocationId,
      PrimaryInstanceId: primaryInstance.ref,
      StandbyInstanceId: standbyInstance.ref,
      StandbyStoppedAfterCreation: String(stopped),
      TerminationProtection: String(terminationProtected),
    } satisfies PlacementResourceProperties,
  });
  placement.node.addDependency(internetConnectivityOf(primarySubnet));

  // Detection: state changes (EventBridge) and alarms (status checks, CPU) of both instances.
  new events.Rule(scope, 'InstanceStateChangeRule', {
    description: 'An instance of the Elastic IP failover pair is stopping or terminating',
    eventPattern: {
      source: ['aws.ec2'],
      detailType: ['EC2 Instance State-change Notification'],
      detail: { 'instance-id': instances.map((i) => i.ref), state: [...FAILED_STATES] },
    },
    targets: [
      new targets.LambdaFunction(failoverFunction, {
        deadLetterQueue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(1),
      }),
    ],
  });
  const action = new cloudwatchActions.LambdaAction(failoverFunction, { useUniquePermissionId: true });
  const alarms = [
    ...createAlarms(scope, 'Primary', primaryInstance, options),
    ...createAlarms(scope, 'Standby', standbyInstance, options),
  ];
  if (options.healthProbe) {
    alarms.push(
      createHealthProbe(
        scope,
        context,
        options.healthProbe,
        deadLetterQueue!,
        'fail the Elastic IP over to the other instance if it is healthy',
      ),
    );
  }
  for (const alarm of alarms) alarm.addAlarmAction(action);

  return { primaryInstance, standbyInstance, failoverFunction, deadLetterQueue, alarms };
}

function createInstance(
  scope: Construct,
  id: string,
  subnet: ec2.ISubnet,
  role: FailoverRole,
  context: FailoverContext,
  options: { readonly launchTemplateVersion: string; readonly terminationProtection: boolean },
): ec2.CfnInstance {
  const instance = new ec2.CfnInstance(scope, id, {
    // A literal version, never LatestVersionNumber: a new launch template version must not replace
    // the instance by itself (LaunchTemplate: update requires replacement).
    launchTemplate: {
      launchTemplateId: context.launchTemplate.launchTemplateId,
      version: options.launchTemplateVersion,
    },
    // A public address lets the standby reach Systems Manager and package repositories before it
    // holds the Elastic IP; the Elastic IP replaces it on the instance holding it.
    networkInterfaces: [
      {
        deviceIndex: '0',
        subnetId: subnet.subnetId,
        groupSet: [context.securityGroup.securityGroupId],
        associatePublicIpAddress: true,
        deleteOnTermination: true,
      },
    ],
    monitoring: true,
    // Unprotected at creation: the placement (Custom::ElasticIpPlacement) turns termination
    // protection on once the deployment reaches it, so a deployment that fails before that can
    // still delete an instance it created instead of leaving it running outside the stack.
    tags: [
      { key: 'Name', value: `${scope.node.path}/${id}` },
      { key: ROLE_TAG, value: role },
      { key: FAILOVER_PAIR_TAG, value: pairIdOf(context) },
    ],
  });
  instance.node.addDependency(internetConnectivityOf(subnet));
  acknowledge(instance, {
    id: 'AwsSolutions-EC29',
    reason: options.terminationProtection
      ? 'Termination protection is switched on by the Custom::ElasticIpPlacement of this pair as soon as the deployment that creates the instance reaches it (not in the template, so a deployment that fails earlier can still delete the new instance).'
      : 'Termination protection was turned off with FailoverStrategy.standbyInstance({ terminationProtection: false }), so the stack can be deleted.',
  });
  acknowledgeInstanceChecks(instance, role, context);
  return instance;
}

/** The compliance packs whose EC2 instance rules read only the instance's own properties. */
const INSTANCE_RULE_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/**
 * What the compliance packs and checkov cannot see on an instance of the pair, which takes its
 * subnet from its network interface and its instance profile from the launch template, and has a
 * public address on purpose. Neither can be moved onto the instance (SubnetId cannot be set beside
 * NetworkInterfaces, and both it and IamInstanceProfile would change an existing instance).
 */
function acknowledgeInstanceChecks(instance: ec2.CfnInstance, role: FailoverRole, context: FailoverContext): void {
  const which = `The instance created as ${role} of this Elastic IP failover pair`;
  const publicAddress = `${which} runs in a public subnet of a VPC without NAT: its own public IPv4 address is how it reaches Systems Manager and the package repositories over HTTPS before it holds the Elastic IP (as the standby, or a stopped standby once a failover starts it), and the Elastic IP takes its place while it holds it. Nothing reaches it but what its security group admits (no port until allowFromInternet() or connections opens one).`;
  for (const pack of INSTANCE_RULE_PACKS) {
    acknowledge(
      instance,
      {
        id: `${pack}-EC2InstancesInVPC`,
        reason: `${which} runs in the VPC: its subnet is given on its network interface (NetworkInterfaces[0].SubnetId, with its security group), where the rule reads only the instance's own SubnetId, which cannot be set beside NetworkInterfaces.`,
      },
      {
        id: `${pack}-EC2InstanceProfileAttached`,
        reason: `${which} has an instance profile: the launch template ${context.launchTemplate.node.path} gives it (Systems Manager access only), where the rule reads only the instance's own IamInstanceProfile.`,
      },
      { id: `${pack}-EC2InstanceNoPublicIp`, reason: publicAddress },
    );
  }
  skipCheckov(instance, { id: 'CKV_AWS_88', comment: publicAddress });
}

function createAlarms(
  scope: Construct,
  label: string,
  instance: ec2.CfnInstance,
  options: StandbyInstanceOptions,
): cloudwatch.Alarm[] {
  const metric = (metricName: string, statistic: string, period: Duration) =>
    new cloudwatch.Metric({
      namespace: 'AWS/EC2',
      metricName,
      dimensionsMap: { InstanceId: instance.ref },
      statistic,
      period,
    });
  const statusCheck = (id: string, metricName: string, what: string) =>
    new cloudwatch.Alarm(scope, `${label}${id}`, {
      alarmDescription: `${what} status check of the ${label.toLowerCase()} instance failed: fail the Elastic IP over if it holds it`,
      metric: metric(metricName, cloudwatch.Stats.MAXIMUM, STATUS_CHECK_PERIOD),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: STATUS_CHECK_EVALUATION_PERIODS,
      datapointsToAlarm: STATUS_CHECK_EVALUATION_PERIODS,
      // A stopped instance reports nothing; the state-change rule covers stops.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  const alarms = [
    statusCheck('InstanceStatusCheckAlarm', 'StatusCheckFailed_Instance', 'The instance'),
    statusCheck('SystemStatusCheckAlarm', 'StatusCheckFailed_System', 'The system'),
  ];
  if (options.cpuAlarm ?? true) {
    const threshold = options.cpuThreshold ?? DEFAULT_CPU_THRESHOLD;
    const periods = options.cpuEvaluationPeriods ?? DEFAULT_CPU_EVALUATION_PERIODS;
    alarms.push(
      new cloudwatch.Alarm(scope, `${label}CpuAlarm`, {
        alarmDescription: `CPU of the ${label.toLowerCase()} instance at or above ${threshold}%: fail the Elastic IP over if it holds it`,
        metric: metric('CPUUtilization', cloudwatch.Stats.AVERAGE, CPU_PERIOD),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
  return alarms;
}

/** The value of both instances' pair tag: the Elastic IP allocation ID they share. */
function pairIdOf(context: FailoverContext): string {
  return context.elasticIp.attrAllocationId;
}

function internetConnectivityOf(subnet: ec2.ISubnet): IDependable {
  return subnet.internetConnectivityEstablished;
}

/**
 * What the failover function may do: read, and act on this pair's instances and this Elastic IP
 * only; with `stopsStandby` (StandbyState.STOPPED), also stop an instance of the pair that is tagged
 * standby.
 */
function grantFailoverPermissions(
  stack: Stack,
  role: iam.Role,
  context: FailoverContext,
  options: { readonly stopsStandby: boolean },
): void {
  // Starting a stopped standby (a failover, or a deployment that moves the Elastic IP) attaches its
  // encrypted volumes: with a customer managed EBS key, the caller must be able to use it.
  if (context.ebsEncryptionKey) grantEbsKeyUse(context.ebsEncryptionKey, role, 'LetEbsUseTheVolumeKey');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadAddressAndInstanceState',
      actions: ['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus', 'ec2:DescribeInstances'],
      resources: ['*'],
    }),
  );
  // Instance actions are scoped by the pair tag, not by instance ARN: a deployment that replaces an
  // instance has the placement act on the new instance and on the old one (whose termination
  // protection it releases) while the policy is being updated, or after the old ARN has left it.
  const instancesOfThisPair = ec2Arn(stack, 'instance');
  const ofThisPair = { StringEquals: { [`aws:ResourceTag/${FAILOVER_PAIR_TAG}`]: pairIdOf(context) } };
  const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
  allow('MoveThisElasticIp', ['ec2:AssociateAddress'], [elasticIpArn(stack, context.elasticIp.attrAllocationId)]);
  allow('AssociateWithInstancesOfThisPair', ['ec2:AssociateAddress'], [instancesOfThisPair], ofThisPair);
  allow('StartInstancesOfThisPair', ['ec2:StartInstances'], [instancesOfThisPair], ofThisPair);
  allow('SwapRoleTagsOfInstancesOfThisPair', ['ec2:CreateTags'], [instancesOfThisPair], {
    ...ofThisPair,
    'ForAllValues:StringEquals': { 'aws:TagKeys': [ROLE_TAG] },
  });
  allow(
    'ReleaseTerminationProtectionOfInstancesOfThisPair',
    ['ec2:ModifyInstanceAttribute'],
    [instancesOfThisPair],
    ofThisPair,
  );
  if (options.stopsStandby) {
    // The placement stops the standby it created; IAM itself refuses a stop of the instance tagged
    // primary (the function's own decision also checks who holds the Elastic IP).
    allow('StopTheStandbyOfThisPair', ['ec2:StopInstances'], [instancesOfThisPair], {
      StringEquals: { ...ofThisPair.StringEquals, [`aws:ResourceTag/${ROLE_TAG}`]: STANDBY_ROLE },
    });
  }
  acknowledge(
    role,
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ec2:DescribeAddresses, ec2:DescribeInstanceStatus and ec2:DescribeInstances are granted on *: EC2 Describe actions support no resource-level permissions. Every action that changes something is scoped to this pair of instances and this Elastic IP allocation.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'instance')}]`,
      reason: `A deployment that replaces an instance changes its id, and the placement must still act on the old instance (release its termination protection) and the new one: ec2:AssociateAddress, ec2:StartInstances, ec2:CreateTags (the ${ROLE_TAG} key only) and ec2:ModifyInstanceAttribute${options.stopsStandby ? ` (and, with StandbyState.STOPPED, ec2:StopInstances on the instance tagged ${ROLE_TAG} = ${STANDBY_ROLE} only)` : ''} are limited to instances tagged ${FAILOVER_PAIR_TAG} = this pair's Elastic IP allocation ID, a tag the function cannot set.`,
    },
  );
}
