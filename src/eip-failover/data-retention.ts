import { Duration, Stack, Tokenization } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ATTACHED_AT_TAG, DATA_VOLUME_TAG, DataRetentionEnvironment, SNAPSHOT_REASON_TAG } from './contract';
import { DataRetentionFunction } from './data-retention-function';
import { ec2Arn, ec2NagArn } from './naming';
import type { DataVolumeOptions } from './options';
import { acknowledge } from '../common/acknowledge';
import { createHandlerFunction } from '../common/handler-function';
import { PropsValidator } from '../common/validation';

// Internal: the scheduled function that removes the data volumes and snapshots a group of
// FailoverStrategy.autoScalingGroup() no longer needs (see data-retention.lambda.ts for the rules).

export const DEFAULT_REPLACED_DATA_RETENTION = Duration.days(7);
/**
 * How often the retention function runs. Each run also records the age of the newest snapshot
 * (`NewestSnapshotAge`), which the snapshot age alarm reads over one-hour periods: two runs an hour
 * put a reading in every period even when a run is late or its log arrives late (a period without
 * one counts as breaching), and a snapshot overdue is reported within half an hour, well inside
 * the shortest snapshot interval (1 hour). Deleting is unaffected: its rules are times (the
 * retention period, the grace period), not counts of runs.
 */
export const RETENTION_SCHEDULE = Duration.minutes(30);
/**
 * A volume created or put into service this recently is never deleted: a launch may be creating or
 * attaching it (the lifecycle hook function runs for at most 14 minutes).
 */
export const RETENTION_GRACE = Duration.hours(1);
const MIN_RETENTION_DAYS = 1;
const MAX_RETENTION_DAYS = 3650;

export function validateDataRetention(volume: DataVolumeOptions, check: PropsValidator): void {
  const retention = volume.replacedDataRetention;
  if (retention === undefined || retention.isUnresolved()) return;
  const days = retention.toHours({ integral: false }) / 24;
  if (days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    check.fail(
      'dataVolume.replacedDataRetention',
      `must be ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS} days`,
      retention.toHumanString(),
    );
  }
}

export interface DataRetentionProps {
  readonly groupName: string;
  /** The Elastic IP's allocation ID: the dimension of the snapshot age the function records. */
  readonly allocationId: string;
  readonly volume: DataVolumeOptions;
  readonly deadLetterQueue: sqs.IQueue;
  readonly notificationTopic: sns.ITopic;
}

/** The retention function, its role (deletes only this group's volumes and snapshots) and its schedule. */
export function createDataRetention(scope: Construct, props: DataRetentionProps): lambda.Function {
  const stack = Stack.of(scope);
  const { groupName, allocationId, deadLetterQueue, notificationTopic } = props;
  const retention = props.volume.replacedDataRetention ?? DEFAULT_REPLACED_DATA_RETENTION;

  const { fn } = createHandlerFunction(scope, DataRetentionFunction, {
    name: 'DataRetention',
    functionId: 'DataRetentionFunction',
    calls: 'the EC2 API (data volumes and snapshots) and SNS',
    description: `Deletes data volumes left behind (once a snapshot holds their data) and snapshots past ${retention.toHumanString()} that no launch needs; records the age of the newest snapshot`,
    roleDescription: 'Deletes the data volumes and snapshots one ElasticIpFailoverInstance group no longer needs',
    timeout: Duration.minutes(5),
    deadLetterQueue,
    // Scheduled: one run at a time, so two runs never delete the same volume or snapshot.
    reservedConcurrentExecutions: 1,
    notificationTopic,
    permissions: (role) => grantRetentionPermissions(stack, role, groupName),
    environment: {
      GROUP_NAME: groupName,
      ALLOCATION_ID: allocationId,
      DATA_VOLUME_TAG,
      ATTACHED_AT_TAG,
      SNAPSHOT_REASON_TAG,
      RETENTION_HOURS: Tokenization.stringifyNumber(retention.toHours({ integral: false })),
      GRACE_MINUTES: String(RETENTION_GRACE.toMinutes()),
      TOPIC_ARN: notificationTopic.topicArn,
    } satisfies DataRetentionEnvironment,
  });

  new events.Rule(scope, 'DataRetentionSchedule', {
    description:
      `Every ${RETENTION_SCHEDULE.toHumanString()}: remove the data volumes and snapshots ${groupName} no longer needs, record the age of its newest snapshot`.slice(
        0,
        512,
      ),
    schedule: events.Schedule.rate(RETENTION_SCHEDULE),
    targets: [new targets.LambdaFunction(fn, { deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(1) })],
  });
  return fn;
}

function grantRetentionPermissions(stack: Stack, role: iam.Role, groupName: string): void {
  const volumes = ec2Arn(stack, 'volume');
  const snapshots = ec2Arn(stack, 'snapshot', '');
  const taggedForThisGroup = { StringEquals: { [`aws:ResourceTag/${DATA_VOLUME_TAG}`]: groupName } };
  const add = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));

  add('ReadVolumesAndSnapshots', ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], ['*']);
  add('SnapshotVolumesOfThisGroup', ['ec2:CreateSnapshot'], [volumes], taggedForThisGroup);
  add('CreateSnapshotsTaggedForThisGroup', ['ec2:CreateSnapshot'], [snapshots], {
    StringEquals: { [`aws:RequestTag/${DATA_VOLUME_TAG}`]: groupName },
  });
  add('TagSnapshotsOnCreate', ['ec2:CreateTags'], [snapshots], {
    StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' },
  });
  add('DeleteVolumesOfThisGroup', ['ec2:DeleteVolume'], [volumes], taggedForThisGroup);
  add('DeleteSnapshotsOfThisGroup', ['ec2:DeleteSnapshot'], [snapshots], taggedForThisGroup);

  acknowledge(
    role,
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ec2:DescribeVolumes and ec2:DescribeSnapshots are granted on *: these Describe actions support no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'volume')}]`,
      reason: `Data volumes are created by the lifecycle hook function, so their ids are not known at deployment: snapshotting or deleting a volume requires the tag ${DATA_VOLUME_TAG} = this group on it.`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'snapshot', '')}]`,
      reason: `Snapshots are created at run time (by the functions and Data Lifecycle Manager): creating one requires the tag ${DATA_VOLUME_TAG} = this group on the request, deleting one requires it on the snapshot.`,
    },
  );
}
