import { Duration, Lazy, Names, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { FailoverBinding, FailoverContext, StrategyRequirements } from './binding';
import {
  ATTACHED_AT_TAG,
  DATA_VOLUME_TAG,
  DataVolumeEnvironment,
  GROUP_NAME_TAG,
  INSTANCE_VOLUME_TAG,
  LifecycleHookEnvironment,
  METRIC_NAMESPACE,
  SNAPSHOT_REASON_TAG,
} from './contract';
import { createDataRetention, validateDataRetention } from './data-retention';
import { dataVolumeSizeGiB } from './data-volume-size';
import { grantEbsKeyUse } from './ebs-key';
import { createHealthProbe } from './health-probe-resources';
import { LifecycleHookFunction } from './lifecycle-hook-function';
import { MOUNT_DATA_VOLUME_SCRIPT } from './mount-data-volume-script';
import { ec2Arn, ec2NagArn, elasticIpArn, groupArn, nagGroupArn } from './naming';
import type { AutoScalingGroupOptions, DataVolumeOptions } from './options';
import { acknowledge } from '../common/acknowledge';
import { createHandlerFunction } from '../common/handler-function';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { AUTO_SCALING_PUBLISHER } from '../common/notification-topic';
import { PropsValidator } from '../common/validation';

// Internal: the resources of FailoverStrategy.autoScalingGroup(). Not exported from the package.

export const DEFAULT_DEVICE_NAME = '/dev/sdf';
export const DEFAULT_MOUNT_PATH = '/data';
export const DEFAULT_SNAPSHOT_INTERVAL = Duration.hours(1);
export const DEFAULT_SNAPSHOT_RETENTION = 24;
export const DEFAULT_GRACE_PERIOD = Duration.minutes(5);
const DLM_INTERVAL_HOURS = [1, 2, 3, 4, 6, 8, 12, 24];

/** The function's timeout: it may wait for a dying instance to let go of the volume, then for a snapshot. */
export const HANDLER_TIMEOUT = Duration.minutes(14);
/** The launch hook waits a little longer than the function can run, then abandons the launch. */
export const LAUNCH_HOOK_HEARTBEAT = Duration.minutes(15);
/** The termination hook only waits for the snapshot to be started. */
export const TERMINATE_HOOK_HEARTBEAT = Duration.minutes(5);
/** How long the mount script waits for the volume (the launch hook's heartbeat and some). */
const MOUNT_TIMEOUT = Duration.minutes(20);
const MOUNT_SCRIPT_PATH = '/usr/local/sbin/mount-data-volume';

export const LAUNCH_HOOK_NAME = 'attach-address-and-data-on-launch';
export const TERMINATE_HOOK_NAME = 'snapshot-data-on-termination';

export function validateAutoScalingGroup(
  options: AutoScalingGroupOptions,
  userData: ec2.UserData | undefined,
  check: PropsValidator,
): void {
  check.secondsInRange('healthCheckGracePeriod', options.healthCheckGracePeriod, 0, 7200);
  options.healthProbe?._validate(check);
  const name = options.autoScalingGroupName;
  if (name !== undefined && !Token.isUnresolved(name) && (name.length < 1 || name.length > 255 || name.includes(':'))) {
    check.fail('autoScalingGroupName', "must be 1 to 255 characters without ':'", name);
  }
  const volume = options.dataVolume;
  if (volume === undefined) return;
  if (volume.size !== undefined && volume.sizeGiB !== undefined) {
    check.fail(
      'dataVolume.size',
      'and the deprecated dataVolume.sizeGiB are mutually exclusive: give size only',
      volume.sizeGiB,
    );
  } else if (volume.size === undefined && volume.sizeGiB === undefined) {
    check.fail('dataVolume.size', 'is required (for example Size.gibibytes(50))', undefined);
  }
  validateDataVolumePerformance(volume, check);
  if (
    volume.mountPath !== undefined &&
    !Token.isUnresolved(volume.mountPath) &&
    (!/^\/[A-Za-z0-9._/-]+$/.test(volume.mountPath) || volume.mountPath.replace(/\/+$/, '') === '')
  ) {
    check.fail(
      'dataVolume.mountPath',
      'must be an absolute path other than / of letters, digits, ., _, - and /',
      volume.mountPath,
    );
  }
  if (
    volume.deviceName !== undefined &&
    !Token.isUnresolved(volume.deviceName) &&
    !/^\/dev\/(sd|xvd)[f-p]$/.test(volume.deviceName)
  ) {
    check.fail(
      'dataVolume.deviceName',
      'must be one of /dev/sdf to /dev/sdp (or /dev/xvdf to /dev/xvdp)',
      volume.deviceName,
    );
  }
  const interval = volume.snapshotInterval;
  if (interval !== undefined && !interval.isUnresolved()) {
    const hours = interval.toHours({ integral: false });
    if (!DLM_INTERVAL_HOURS.includes(hours)) {
      check.fail(
        'dataVolume.snapshotInterval',
        `must be ${DLM_INTERVAL_HOURS.join(', ')} hours (what Data Lifecycle Manager supports)`,
        interval.toHumanString(),
      );
    }
  }
  check.integerInRange('dataVolume.snapshotRetention', volume.snapshotRetention, 1, 1000);
  validateDataRetention(volume, check);
  volume.backupPlan?._validate(check);
  const script = userData?.render();
  if (script !== undefined && !Token.isUnresolved(script) && !script.startsWith('#!/bin/bash')) {
    check.fail(
      'userData',
      'must be a Linux shell script (ec2.UserData.forLinux()) with dataVolume: the volume is mounted by the same script, before its commands',
      script.split('\n')[0],
    );
  }
}

/** What EC2 CreateVolume accepts for one EBS volume type: the lifecycle hook's function creates the volume with it. */
interface VolumeTypeLimits {
  /** The size in GiB, from `minSizeGiB` to `maxSizeGiB`. */
  readonly minSizeGiB: number;
  readonly maxSizeGiB: number;
  /** Provisioned IOPS; absent when the type takes none. */
  readonly iops?: {
    readonly min: number;
    readonly max: number;
    /** The most IOPS per GiB of size (the `default` IOPS are allowed at any size). */
    readonly perGiB: number;
    /** Whether CreateVolume requires IOPS for the type. */
    readonly required: boolean;
    /** The IOPS the volume gets when none are given, whatever its size (the throughput ratio is checked against them). */
    readonly default?: number;
  };
  /** Provisioned throughput in MiB/s; absent when the type takes none. */
  readonly throughput?: {
    readonly min: number;
    readonly max: number;
    /** The most MiB/s per provisioned IOPS. */
    readonly perIops: number;
  };
}

/**
 * The limits of each EBS volume type. Where sources disagree, the newest official one is taken: a limit
 * stricter than AWS's would refuse a volume AWS creates.
 *
 * - Sizes, IOPS ranges, which types take IOPS or throughput, the throughput range: EC2 API Reference,
 *   CreateVolume (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html; read in the API
 *   model shipped with @aws-sdk/client-ec2 3.1169): Iops "Required for io1 and io2 volumes. Optional for gp3
 *   volumes. Omit for all other volume types. Valid ranges: gp3: 3,000 (default) - 80,000 IOPS; io1: 100 - 64,000
 *   IOPS; io2: 100 - 256,000 IOPS"; Size "Valid sizes: gp2: 1 - 16,384 GiB; gp3: 1 - 65,536 GiB; io1: 4 - 16,384
 *   GiB; io2: 4 - 65,536 GiB; st1 and sc1: 125 - 16,384 GiB; standard: 1 - 1024 GiB"; Throughput "Supported for
 *   gp3 volumes only. Omit for all other volume types. Valid Range: 125 - 2000 MiB/s". These carry the gp3
 *   increase of September 2025 (64 TiB, 80,000 IOPS, 2,000 MiB/s). Older pages disagree and are not followed:
 *   the SDK pages of EbsBlockDevice and ModifyVolume still say "gp3: 3,000 - 16,000 IOPS", the Auto Scaling Ebs
 *   page "gp2 and gp3: 1-16,384", and the CloudFormation AWS::EC2::Volume Throughput (aws-cdk-lib 2.263's
 *   CfnVolume) "Valid Range: Minimum value of 125. Maximum value of 1000."
 * - gp3 ratios: Amazon EBS User Guide, General Purpose SSD volumes
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html; its source, awsdocs/amazon-ec2-user-guide
 *   doc_source/general-purpose.md): "gp3 volumes deliver a consistent baseline IOPS performance of 3,000 IOPS",
 *   more IOPS "at a ratio of 500 IOPS per GiB of volume size", more throughput "at a ratio of 0.25 MiB/s per
 *   provisioned IOPS". That text predates the 2025 increase; the increase kept both ratios (aws-cdk-lib 2.263's
 *   ec2.Volume checks 80,000 IOPS and 2,000 MiB/s with 500 IOPS/GiB and 0.25 MiB/s per IOPS). The throughput
 *   ratio also holds against the default 3,000 IOPS: CreateVolume answers "Throughput (MiBps) to iops ratio of
 *   0.333333 is too high; maximum is 0.250000 MiBps per iops" (runs-on/runs-on#260, 1,000 MiB/s at 3,000 IOPS).
 * - io1 and io2 ratios: Amazon EBS User Guide, Provisioned IOPS SSD volumes
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/provisioned-iops.html; its source,
 *   awsdocs/amazon-ec2-user-guide doc_source/provisioned-iops.md): "The maximum ratio of provisioned IOPS to
 *   requested volume size (in GiB) is 50:1 for io1 volumes, and 500:1 for io2 volumes", and for io2 Block Express
 *   "Provisioned IOPS up to 256,000, with an IOPS:GiB ratio of 1,000:1". The current page lists only "two types of
 *   Provisioned IOPS SSD volumes", io2 Block Express and io1: every io2 volume is Block Express, so io2 takes
 *   1,000:1 (aws-cdk-lib 2.263's ec2.Volume still checks the older io2 500:1, which would refuse valid volumes).
 */
const VOLUME_TYPE_LIMITS: Readonly<Record<string, VolumeTypeLimits>> = {
  [ec2.EbsDeviceVolumeType.GP2]: { minSizeGiB: 1, maxSizeGiB: 16384 },
  [ec2.EbsDeviceVolumeType.GP3]: {
    minSizeGiB: 1,
    maxSizeGiB: 65536,
    iops: { min: 3000, max: 80000, perGiB: 500, required: false, default: 3000 },
    throughput: { min: 125, max: 2000, perIops: 0.25 },
  },
  [ec2.EbsDeviceVolumeType.IO1]: {
    minSizeGiB: 4,
    maxSizeGiB: 16384,
    iops: { min: 100, max: 64000, perGiB: 50, required: true },
  },
  [ec2.EbsDeviceVolumeType.IO2]: {
    minSizeGiB: 4,
    maxSizeGiB: 65536,
    iops: { min: 100, max: 256000, perGiB: 1000, required: true },
  },
  [ec2.EbsDeviceVolumeType.ST1]: { minSizeGiB: 125, maxSizeGiB: 16384 },
  [ec2.EbsDeviceVolumeType.SC1]: { minSizeGiB: 125, maxSizeGiB: 16384 },
  [ec2.EbsDeviceVolumeType.STANDARD]: { minSizeGiB: 1, maxSizeGiB: 1024 },
};

/** The data volume's size, type, IOPS and throughput against the limits of its type (unresolved tokens skipped). */
function validateDataVolumePerformance(volume: DataVolumeOptions, check: PropsValidator): void {
  const type: string = volume.volumeType ?? ec2.EbsDeviceVolumeType.GP3;
  if (Token.isUnresolved(type)) return;
  const limits = VOLUME_TYPE_LIMITS[type];
  if (limits === undefined) {
    check.fail('dataVolume.volumeType', `must be one of ${Object.keys(VOLUME_TYPE_LIMITS).join(', ')}`, type);
    return;
  }
  const sizeProp = volume.size !== undefined ? 'dataVolume.size (GiB)' : 'dataVolume.sizeGiB';
  const given = dataVolumeSizeGiB(volume);
  const size = given === undefined || Token.isUnresolved(given) ? undefined : given;
  if (size !== undefined) {
    wholeNumberFor(check, sizeProp, size, limits.minSizeGiB, limits.maxSizeGiB, type);
  }
  // A ratio needs a size that is a whole number of GiB (one that is not is refused above).
  const ratioSize = size !== undefined && Number.isInteger(size) && size >= 1 ? size : undefined;

  const iops = volume.iops === undefined || Token.isUnresolved(volume.iops) ? undefined : volume.iops;
  // The IOPS the throughput ratio is checked against: valid ones given, else the type's default.
  let ratioIops = volume.iops === undefined ? limits.iops?.default : undefined;
  if (limits.iops === undefined) {
    if (volume.iops !== undefined) {
      check.fail('dataVolume.iops', `is only for ${typesTaking('iops')} volumes (volumeType is ${type})`, volume.iops);
    }
  } else if (volume.iops === undefined) {
    if (limits.iops.required) {
      check.fail(
        'dataVolume.iops',
        `is required for ${type} volumes (a whole number from ${limits.iops.min} to ${limits.iops.max})`,
        undefined,
      );
    }
  } else if (
    iops !== undefined &&
    wholeNumberFor(check, 'dataVolume.iops', iops, limits.iops.min, limits.iops.max, type)
  ) {
    ratioIops = iops;
    const { perGiB, default: atAnySize } = limits.iops;
    const allowed = ratioSize === undefined ? undefined : Math.max(atAnySize ?? 0, perGiB * ratioSize);
    if (allowed !== undefined && iops > allowed) {
      check.fail(
        'dataVolume.iops',
        `must be at most ${perGiB} IOPS per GiB for ${type} volumes${atAnySize ? `, or ${atAnySize} at any size` : ''} ` +
          `(at most ${allowed} for a ${ratioSize} GiB volume; ` +
          `${iops} IOPS need at least ${Math.ceil(iops / perGiB)} GiB)`,
        iops,
      );
    }
  }

  if (volume.throughput === undefined || Token.isUnresolved(volume.throughput)) return;
  const throughput = volume.throughput;
  if (limits.throughput === undefined) {
    check.fail(
      'dataVolume.throughput',
      `is only for ${typesTaking('throughput')} volumes (volumeType is ${type})`,
      throughput,
    );
    return;
  }
  const { min, max, perIops } = limits.throughput;
  if (!wholeNumberFor(check, 'dataVolume.throughput', throughput, min, max, type)) return;
  const against = ratioIops;
  if (against !== undefined && throughput > perIops * against) {
    const which =
      volume.iops === undefined ? `${against} IOPS, the default without dataVolume.iops` : `${against} IOPS`;
    check.fail(
      'dataVolume.throughput',
      `must be at most ${perIops} MiB/s per IOPS for ${type} volumes ` +
        `(at most ${Math.floor(perIops * against)} with ${which}; ${throughput} MiB/s need at least ${Math.ceil(throughput / perIops)} IOPS)`,
      throughput,
    );
  }
}

/** Records `<prop> must be a whole number from <min> to <max> for <type> volumes` unless it is; true when it is. */
function wholeNumberFor(
  check: PropsValidator,
  prop: string,
  value: number,
  min: number,
  max: number,
  type: string,
): boolean {
  if (Number.isInteger(value) && value >= min && value <= max) return true;
  check.fail(prop, `must be a whole number from ${min} to ${max} for ${type} volumes`, value);
  return false;
}

/** The volume types that take provisioned IOPS or throughput, as `gp3, io1 and io2`. */
function typesTaking(what: 'iops' | 'throughput'): string {
  const types = Object.keys(VOLUME_TYPE_LIMITS).filter((t) => VOLUME_TYPE_LIMITS[t][what] !== undefined);
  return types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} and ${types[types.length - 1]}`;
}

export function requirementsOfAutoScalingGroup(
  options: AutoScalingGroupOptions,
  user: ec2.UserData | undefined,
): StrategyRequirements {
  const topicPublishers = [AUTO_SCALING_PUBLISHER];
  const volume = options.dataVolume;
  if (volume === undefined) {
    return { userData: user, associatePublicIpAddress: true, topicPublishers };
  }
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    `cat > ${MOUNT_SCRIPT_PATH} <<'MOUNT_DATA_VOLUME_EOF'\n${MOUNT_DATA_VOLUME_SCRIPT}MOUNT_DATA_VOLUME_EOF`,
    `chmod 0755 ${MOUNT_SCRIPT_PATH}`,
    `${MOUNT_SCRIPT_PATH} ${volume.mountPath ?? DEFAULT_MOUNT_PATH} ${INSTANCE_VOLUME_TAG} ${volume.deviceName ?? DEFAULT_DEVICE_NAME} ${MOUNT_TIMEOUT.toSeconds()} || { echo 'The data volume is not mounted: stopping before the service starts without its data.' >&2; exit 1; }`,
  );
  if (user !== undefined) {
    // The user's commands run after the mount, in the same script (read when the template renders).
    userData.addCommands(Lazy.string({ produce: () => user.render().replace(/^#!\/bin\/bash\n?/, '') }));
  }
  return { userData, associatePublicIpAddress: true, instanceMetadataTags: true, topicPublishers };
}

export function bindAutoScalingGroup(
  scope: Construct,
  context: FailoverContext,
  options: AutoScalingGroupOptions,
): FailoverBinding {
  const stack = Stack.of(scope);
  const volume = options.dataVolume;
  // A fixed name: the hook rule, the function and the DLM policy refer to the group, and the group
  // depends on them (so its first instance's launch hook is handled), which a Ref would make a cycle.
  const suffix = Names.uniqueResourceName(scope, { maxLength: 100, separator: '-' });
  const groupName =
    options.autoScalingGroupName ?? (Token.isUnresolved(stack.stackName) ? suffix : `${stack.stackName}-${suffix}`);

  // The lifecycle hook function: IAM scoped to this group's instances, volumes and snapshots and this EIP.
  const hook = createHandlerFunction(scope, LifecycleHookFunction, {
    name: 'LifecycleHook',
    functionId: 'LifecycleHookFunction',
    calls:
      'the EC2 API (Elastic IP address, instances, data volumes and their snapshots), the Auto Scaling API (lifecycle actions) and SNS',
    description: options.healthProbe
      ? 'Gives each new instance the Elastic IP (and data volume) before InService; snapshots the data volume at termination; replaces an instance failing the health probe'
      : 'Gives each new instance the Elastic IP (and data volume) before InService; snapshots the data volume at termination',
    roleDescription: 'Gives each new instance of one ElasticIpFailoverInstance group its Elastic IP and data volume',
    timeout: HANDLER_TIMEOUT,
    deadLetterQueue: true,
    // A replacement's launch can overlap the termination of the instance it replaces: two at once.
    reservedConcurrentExecutions: 2,
    notificationTopic: context.notificationTopic,
    permissions: (role) =>
      grantLifecycleHookPermissions(stack, role, context, groupName, volume, options.healthProbe !== undefined),
    environment: {
      GROUP_NAME: groupName,
      ALLOCATION_ID: context.elasticIp.attrAllocationId,
      PUBLIC_IP: context.elasticIp.attrPublicIp,
      TOPIC_ARN: context.notificationTopic.topicArn,
      METRIC_NAMESPACE,
      ...(volume ? dataVolumeEnvironment(volume, dataVolumeKey(volume, context)) : {}),
    } satisfies LifecycleHookEnvironment,
  });
  const { fn, role, logGroup } = hook;
  const deadLetterQueue = hook.deadLetterQueue!;

  const rule = new events.Rule(scope, 'LifecycleHookRule', {
    description: 'An instance of the Elastic IP failover group is launching or terminating',
    eventPattern: {
      source: ['aws.autoscaling'],
      detailType: ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
      detail: { AutoScalingGroupName: [groupName] },
    },
    targets: [new targets.LambdaFunction(fn, { deadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(1) })],
  });

  const group = new autoscaling.AutoScalingGroup(scope, 'AutoScalingGroup', {
    autoScalingGroupName: groupName,
    vpc: context.vpc,
    vpcSubnets: { subnets: context.subnets },
    launchTemplate: context.launchTemplate,
    minCapacity: 1,
    maxCapacity: 1,
    healthChecks: autoscaling.HealthChecks.ec2({
      gracePeriod: options.healthCheckGracePeriod ?? DEFAULT_GRACE_PERIOD,
    }),
    notifications: [{ topic: context.notificationTopic }],
    groupMetrics: [autoscaling.GroupMetrics.all()],
  });
  const cfnGroup = group.node.defaultChild as autoscaling.CfnAutoScalingGroup;
  // Set on the resource rather than the L2 prop: min = max = 1 pins it anyway, and the L2 warns
  // that a desired capacity resets the group's size on deployment, which is what is wanted here.
  cfnGroup.desiredCapacity = '1';
  // The hooks are part of the group, so they exist before its first instance launches.
  cfnGroup.lifecycleHookSpecificationList = [
    {
      lifecycleHookName: LAUNCH_HOOK_NAME,
      lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatTimeout: LAUNCH_HOOK_HEARTBEAT.toSeconds(),
      defaultResult: 'ABANDON',
    },
    ...(volume
      ? [
          {
            lifecycleHookName: TERMINATE_HOOK_NAME,
            lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
            heartbeatTimeout: TERMINATE_HOOK_HEARTBEAT.toSeconds(),
            defaultResult: 'CONTINUE',
          },
        ]
      : []),
  ];
  // The rule, the function and its permissions exist before the group launches (and outlive it on deletion).
  group.node.addDependency(rule, fn, role, logGroup);

  const snapshotPolicy = volume ? createSnapshotPolicy(scope, stack, groupName, volume) : undefined;
  if (volume) {
    createDataRetention(scope, {
      groupName,
      allocationId: context.elasticIp.attrAllocationId,
      volume,
      deadLetterQueue,
      notificationTopic: context.notificationTopic,
    });
  }
  const dataVolumeBackup = volume?.backupPlan
    ? volume.backupPlan._bind(new Construct(scope, 'DataVolumeBackup'), {
        groupName,
        encryptionKey: dataVolumeKey(volume, context),
      })
    : undefined;

  // The health probe's alarm invokes the lifecycle hook function, which marks the holder Unhealthy.
  const alarms: cloudwatch.Alarm[] = [];
  if (options.healthProbe) {
    const probeAlarm = createHealthProbe(
      scope,
      context,
      options.healthProbe,
      deadLetterQueue,
      'mark the instance holding the Elastic IP Unhealthy, so the group replaces it',
    );
    probeAlarm.addAlarmAction(new cloudwatchActions.LambdaAction(fn, { useUniquePermissionId: true }));
    alarms.push(probeAlarm);
  }

  return {
    autoScalingGroup: group,
    failoverFunction: fn,
    deadLetterQueue,
    snapshotPolicy,
    dataVolumeBackup,
    alarms,
  };
}

function dataVolumeEnvironment(volume: DataVolumeOptions, key: kms.IKey | undefined): DataVolumeEnvironment {
  return {
    VOLUME_SIZE_GIB: Tokenization.stringifyNumber(dataVolumeSizeGiB(volume)!),
    VOLUME_TYPE: volume.volumeType ?? ec2.EbsDeviceVolumeType.GP3,
    DEVICE_NAME: volume.deviceName ?? DEFAULT_DEVICE_NAME,
    DATA_VOLUME_TAG,
    ATTACHED_AT_TAG,
    SNAPSHOT_REASON_TAG,
    INSTANCE_VOLUME_TAG,
    ...(volume.iops !== undefined ? { VOLUME_IOPS: Tokenization.stringifyNumber(volume.iops) } : {}),
    ...(volume.throughput !== undefined ? { VOLUME_THROUGHPUT: Tokenization.stringifyNumber(volume.throughput) } : {}),
    ...(key !== undefined ? { KMS_KEY_ID: key.keyArn } : {}),
  };
}

function grantLifecycleHookPermissions(
  stack: Stack,
  role: iam.Role,
  context: FailoverContext,
  groupName: string,
  volume: DataVolumeOptions | undefined,
  healthProbe: boolean,
): void {
  const instances = ec2Arn(stack, 'instance');
  const ofThisGroup = { StringEquals: { [`aws:ResourceTag/${GROUP_NAME_TAG}`]: groupName } };
  const add = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));

  const describe = ['ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingInstances'];
  if (volume) describe.push('ec2:DescribeVolumes', 'ec2:DescribeSnapshots');
  if (healthProbe) describe.push('ec2:DescribeAddresses');
  add('ReadInstancesVolumesAndSnapshots', describe, ['*']);
  add('CompleteLifecycleActionsOfThisGroup', ['autoscaling:CompleteLifecycleAction'], [groupArn(stack, groupName)]);
  if (healthProbe) {
    add('MarkInstancesOfThisGroupUnhealthy', ['autoscaling:SetInstanceHealth'], [groupArn(stack, groupName)]);
  }
  add('AssociateThisElasticIp', ['ec2:AssociateAddress'], [elasticIpArn(stack, context.elasticIp.attrAllocationId)]);
  add('AssociateWithInstancesOfThisGroup', ['ec2:AssociateAddress'], [instances], ofThisGroup);
  const acknowledgements = [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: healthProbe
        ? 'Only ec2:DescribeInstances, ec2:DescribeVolumes, ec2:DescribeSnapshots, ec2:DescribeAddresses and autoscaling:DescribeAutoScalingInstances are granted on *: these Describe actions support no resource-level permissions.'
        : 'Only ec2:DescribeInstances, ec2:DescribeVolumes, ec2:DescribeSnapshots and autoscaling:DescribeAutoScalingInstances are granted on *: these Describe actions support no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'instance')}]`,
      reason: `The group's instance ids are not known before launch: actions on instances are limited by the condition aws:ResourceTag/${GROUP_NAME_TAG} = this group (and tagging to the one key ${INSTANCE_VOLUME_TAG}).`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagGroupArn(stack, groupName)}]`,
      reason: healthProbe
        ? "autoscaling:CompleteLifecycleAction and SetInstanceHealth (the health probe's remedy) are scoped to this group by name; the group ARN's id part is generated by Auto Scaling, hence the *."
        : "autoscaling:CompleteLifecycleAction is scoped to this group by name; the group ARN's id part is generated by Auto Scaling, hence the *.",
    },
  ];

  if (volume) {
    const volumes = ec2Arn(stack, 'volume');
    const snapshots = ec2Arn(stack, 'snapshot', '');
    const taggedForThisGroup = { StringEquals: { [`aws:ResourceTag/${DATA_VOLUME_TAG}`]: groupName } };
    const requestTaggedForThisGroup = { StringEquals: { [`aws:RequestTag/${DATA_VOLUME_TAG}`]: groupName } };
    add('CreateEncryptedVolumesTaggedForThisGroup', ['ec2:CreateVolume'], [volumes], {
      ...requestTaggedForThisGroup,
      Bool: { 'ec2:Encrypted': 'true' },
    });
    add('RestoreFromSnapshotsOfThisGroup', ['ec2:CreateVolume'], [snapshots], taggedForThisGroup);
    add('SnapshotVolumesOfThisGroup', ['ec2:CreateSnapshot'], [volumes], taggedForThisGroup);
    add('CreateSnapshotsTaggedForThisGroup', ['ec2:CreateSnapshot'], [snapshots], requestTaggedForThisGroup);
    add('TagOnCreate', ['ec2:CreateTags'], [volumes, snapshots], {
      StringEquals: { 'ec2:CreateAction': ['CreateVolume', 'CreateSnapshot'] },
    });
    add('MarkVolumesOfThisGroupAttached', ['ec2:CreateTags'], [volumes], {
      ...taggedForThisGroup,
      'ForAllValues:StringEquals': { 'aws:TagKeys': [ATTACHED_AT_TAG] },
    });
    add('AttachVolumesOfThisGroup', ['ec2:AttachVolume'], [volumes], taggedForThisGroup);
    add('AttachToInstancesOfThisGroup', ['ec2:AttachVolume'], [instances], ofThisGroup);
    add('NameTheVolumeOnInstancesOfThisGroup', ['ec2:CreateTags'], [instances], {
      ...ofThisGroup,
      'ForAllValues:StringEquals': { 'aws:TagKeys': [INSTANCE_VOLUME_TAG] },
    });
    const key = dataVolumeKey(volume, context);
    if (key) grantEbsKeyUse(key, role, 'LetEbsUseTheDataVolumeKey');
    acknowledgements.push(
      {
        id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'volume')}]`,
        reason: `Data volumes are created by the function, so their ids are not known at deployment: every action on volumes requires the tag ${DATA_VOLUME_TAG} = this group (on the request when creating, on the volume otherwise); this role cannot delete volumes.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'snapshot', '')}]`,
        reason: `Snapshots are created by the function and Data Lifecycle Manager: creating one requires the tag ${DATA_VOLUME_TAG} = this group on the request, restoring one requires it on the snapshot; this role cannot delete snapshots.`,
      },
    );
  }
  acknowledge(role, ...acknowledgements);
}

/** Data Lifecycle Manager snapshots of the group's data volumes, with an inline least-privilege role. */
function createSnapshotPolicy(
  scope: Construct,
  stack: Stack,
  groupName: string,
  volume: DataVolumeOptions,
): dlm.CfnLifecyclePolicy {
  const volumes = ec2Arn(stack, 'volume');
  const snapshots = ec2Arn(stack, 'snapshot', '');
  const role = new ManagedPolicyRole(scope, 'SnapshotPolicyRole', {
    assumedBy: new iam.ServicePrincipal('dlm.amazonaws.com'),
    description: 'Data Lifecycle Manager: periodic snapshots of the data volume of one ElasticIpFailoverInstance',
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'FindVolumesAndSnapshots',
      actions: ['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
      resources: ['*'],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SnapshotVolumesOfThisGroup',
      actions: ['ec2:CreateSnapshot'],
      resources: [volumes],
      conditions: { StringEquals: { [`aws:ResourceTag/${DATA_VOLUME_TAG}`]: groupName } },
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'CreateAndTagSnapshots',
      actions: ['ec2:CreateSnapshot', 'ec2:CreateTags'],
      resources: [snapshots],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ExpireOnlyPeriodicSnapshotsOfThisGroup',
      actions: ['ec2:DeleteSnapshot'],
      resources: [snapshots],
      conditions: {
        StringEquals: {
          [`aws:ResourceTag/${DATA_VOLUME_TAG}`]: groupName,
          [`aws:ResourceTag/${SNAPSHOT_REASON_TAG}`]: 'periodic',
        },
      },
    }),
  );
  acknowledge(
    role,
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ec2:DescribeInstances, ec2:DescribeVolumes and ec2:DescribeSnapshots are granted on *: Describe actions support no resource-level permissions. Written for this role instead of attaching the AWS managed AWSDataLifecycleManagerServiceRole policy, which may snapshot and delete snapshots of any volume.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'snapshot', '')}]`,
      reason: `Snapshot ids are made by Data Lifecycle Manager at each run: it may create and tag snapshots, and delete only those tagged ${DATA_VOLUME_TAG} = this group and ${SNAPSHOT_REASON_TAG} = periodic (its own, copied from the volume and added by the policy).`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'volume')}]`,
      reason: `Data volume ids are made by the lifecycle hook function: Data Lifecycle Manager may snapshot only volumes tagged ${DATA_VOLUME_TAG} = this group.`,
    },
  );

  const hours = (volume.snapshotInterval ?? DEFAULT_SNAPSHOT_INTERVAL).toHours();
  const policy = new dlm.CfnLifecyclePolicy(scope, 'SnapshotPolicy', {
    description: `Periodic snapshots of the data volume of ${groupName}`.slice(0, 500),
    state: 'ENABLED',
    executionRoleArn: role.roleArn,
    policyDetails: {
      policyType: 'EBS_SNAPSHOT_MANAGEMENT',
      resourceTypes: ['VOLUME'],
      targetTags: [{ key: DATA_VOLUME_TAG, value: groupName }],
      schedules: [
        {
          name: `Every ${hours} h keep ${volume.snapshotRetention ?? DEFAULT_SNAPSHOT_RETENTION}`,
          createRule: { interval: hours, intervalUnit: 'HOURS', times: ['00:00'] },
          retainRule: { count: volume.snapshotRetention ?? DEFAULT_SNAPSHOT_RETENTION },
          copyTags: true,
          tagsToAdd: [{ key: SNAPSHOT_REASON_TAG, value: 'periodic' }],
        },
      ],
    },
  });
  policy.node.addDependency(role);
  return policy;
}

/**
 * The key the data volume is encrypted with: its own `encryptionKey`, else the construct's
 * `ebsEncryptionKey` (the account's default EBS key, when that is customer managed), else none:
 * EBS then uses `aws/ebs`, which needs no grant.
 */
function dataVolumeKey(volume: DataVolumeOptions, context: FailoverContext): kms.IKey | undefined {
  return volume.encryptionKey ?? context.ebsEncryptionKey;
}
