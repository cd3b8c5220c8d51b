import { Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AWS_BACKUP_SOURCE_TAG, DATA_VOLUME_TAG } from './contract';
import type { DataVolumeBackupResources, DataVolumeBackupTarget } from './data-volume-backup-binding';
import { ec2Arn, ec2NagArn } from './naming';
import { acknowledge, skipCheckov } from '../common/acknowledge';
import { backupName, createDailyBackupPlan, validateDailyRetention } from '../common/daily-backup-plan';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { PropsValidator } from '../common/validation';

/**
 * Options of {@link DataVolumeBackupPlan.daily}.
 */
export interface DailyDataVolumeBackupOptions {
  /**
   * How long AWS Backup keeps each daily snapshot of the data volume: a whole number of days, at
   * least 1.
   *
   * Independent of the volume's own snapshots (`snapshotRetention`, `replacedDataRetention`), which
   * carry the data from instance to instance; these are a history to go back to, for example
   * after the data was damaged or deleted and the damage was noticed weeks later.
   *
   * @default Duration.days(35)
   */
  readonly retention?: Duration;

  /**
   * The KMS key the construct's backup vault is encrypted with.
   *
   * AWS Backup does not re-encrypt EBS snapshots with the vault's key: they keep the encryption of
   * their volume (`dataVolume.encryptionKey`, or the account's default EBS key).
   *
   * @default - the data volume's key (`dataVolume.encryptionKey`, or the construct's EBS key);
   * with neither, the AWS Backup default key of the account
   */
  readonly vaultEncryptionKey?: kms.IKey;
}

/**
 * Puts the data volume of `FailoverStrategy.autoScalingGroup({ dataVolume })` in an AWS Backup
 * plan: one the construct creates (`daily()`) or one of yours (`fromBackupPlan()`). Either way the
 * construct selects every EBS volume tagged `cdk-ha-patterns:data-volume` = the group's name (the
 * volume in service and, until the data retention function deletes them, the volumes left behind
 * in other zones), through a role of its own that may snapshot those volumes and nothing else.
 *
 * The plan's snapshots are a history of the data, kept apart from the snapshots that carry it
 * across Availability Zones: a launch never restores one, and the data retention function never
 * deletes one (AWS Backup copies the volume's tags onto them; they are told apart by AWS Backup's
 * own `aws:backup:source-resource` tag). To go back to one, restore it with AWS Backup (or create
 * a volume from the snapshot) and copy the data across.
 */
export abstract class DataVolumeBackupPlan {
  /**
   * A plan the construct creates: a snapshot of the data volume every day at 05:00 UTC (in the
   * backup window AWS Backup opens then), kept for `retention` (35 days unless set), in a backup
   * vault of the construct's own, encrypted with the data volume's key unless another is given and
   * retained when it leaves the stack (AWS Backup deletes only an empty vault, and the recovery
   * points outlive the stack). Vault names are unique in an account and Region, and this one's
   * comes from the stack and construct path: after deleting the stack, delete the emptied vault
   * before deploying the same stack again.
   *
   * @param options how long the snapshots are kept and the vault's key
   */
  public static daily(options: DailyDataVolumeBackupOptions = {}): DataVolumeBackupPlan {
    return new DailyBackupPlan(options);
  }

  /**
   * A plan of yours, for example an organisation-wide plan in a shared stack: the construct adds a
   * backup selection of its data volumes to it, and nothing else. The plan's rules decide when and
   * where the snapshots go. The selection is created in the construct's stack, so that stack
   * depends on the plan's when they differ.
   *
   * The selection's role may snapshot the group's volumes and tag and expire the snapshots AWS
   * Backup takes. Rules that copy recovery points to another vault (another Region or account) or
   * move them to cold storage (the EBS snapshot archive tier) need more: grant it to the
   * construct's `dataVolumeBackupRole`.
   *
   * @param plan the plan to add the data volumes to
   */
  public static fromBackupPlan(plan: backup.IBackupPlan): DataVolumeBackupPlan {
    return new GivenBackupPlan(plan);
  }

  /**
   * Records every problem with the options.
   *
   * @internal
   */
  public abstract _validate(check: PropsValidator): void;

  /**
   * Creates the plan (when the construct owns it), the selection of the group's volumes and its
   * role in `scope`.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, target: DataVolumeBackupTarget): DataVolumeBackupResources;
}

/**
 * The default retention of `daily()`: a month of daily restore points and a few days more, so
 * damage noticed at a monthly review can still be undone; the same default as aws-cdk-lib's
 * `BackupPlanRule.daily()` and `DatabaseBackupPlan.daily()`, so a stack with both keeps one window.
 */
const DEFAULT_DATA_VOLUME_BACKUP_RETENTION = Duration.days(35);

/** The prop the plan is given as, in messages. */
const PROP = 'dataVolume.backupPlan';

class DailyBackupPlan extends DataVolumeBackupPlan {
  constructor(private readonly options: DailyDataVolumeBackupOptions) {
    super();
  }

  public _validate(check: PropsValidator): void {
    validateDailyRetention(
      check,
      PROP,
      'DataVolumeBackupPlan.daily({ retention })',
      this.options.retention,
      1,
      'AWS Backup keeps recovery points for whole days',
    );
  }

  public _bind(scope: Construct, target: DataVolumeBackupTarget): DataVolumeBackupResources {
    const key = this.options.vaultEncryptionKey ?? target.encryptionKey;
    const { plan, vault } = createDailyBackupPlan(scope, {
      ids: { vault: 'Vault', plan: 'Plan' },
      vaultEncryptionKey: key,
      retention: this.options.retention ?? DEFAULT_DATA_VOLUME_BACKUP_RETENTION,
    });
    if (key === undefined) {
      skipCheckov(vault, {
        id: 'CKV_AWS_166',
        comment:
          "This vault holds only EBS snapshots of the data volume, which AWS Backup does not encrypt with the vault's key: they keep the encryption of their volume, the account's default EBS key here. A customer managed vault key would protect nothing stored in it; set dataVolume.encryptionKey (the volume's and its snapshots' key, used for the vault too) or DataVolumeBackupPlan.daily({ vaultEncryptionKey }).",
      });
    }
    return { plan, vault, ...selectVolumes(scope, plan, target) };
  }
}

class GivenBackupPlan extends DataVolumeBackupPlan {
  constructor(private readonly plan: backup.IBackupPlan) {
    super();
  }

  public _validate(_check: PropsValidator): void {}

  public _bind(scope: Construct, target: DataVolumeBackupTarget): DataVolumeBackupResources {
    return { plan: this.plan, ...selectVolumes(scope, this.plan, target) };
  }
}

/**
 * The selection of the group's volumes in `plan` and the role AWS Backup assumes for it.
 *
 * The volumes are created at run time by the lifecycle hook function, so they are selected by tag:
 * `Resources` (EBS volumes of this account and Region) and `Conditions` (the data-volume tag equals
 * the group's name), which AWS Backup combines with AND. Not `ListOfTags`, whose conditions are
 * combined with the resources by OR, and not aws-cdk-lib's `BackupSelection`, which writes tag
 * conditions as `ListOfTags`.
 *
 * The role holds, in a customer managed policy, the EBS statements of the AWS managed policy
 * `AWSBackupServiceRolePolicyForBackup` that a snapshot backup of a volume uses, narrowed to this
 * group's volumes and this Region: snapshot them, read volumes and snapshots, tag the snapshots,
 * delete only snapshots AWS Backup took (when they expire), and use the volumes' key through EBS.
 * No restore permissions: restores are run by an operator with a role of theirs.
 */
function selectVolumes(
  scope: Construct,
  plan: backup.IBackupPlan,
  target: DataVolumeBackupTarget,
): { selection: backup.CfnBackupSelection; role: iam.IRole } {
  const stack = Stack.of(scope);
  const volumes = ec2Arn(stack, 'volume');
  const snapshots = ec2Arn(stack, 'snapshot', '');
  const statements = [
    new iam.PolicyStatement({
      sid: 'SnapshotVolumesOfThisGroup',
      actions: ['ec2:CreateSnapshot'],
      resources: [volumes],
      conditions: { StringEquals: { [`aws:ResourceTag/${DATA_VOLUME_TAG}`]: target.groupName } },
    }),
    new iam.PolicyStatement({
      sid: 'CreateAndTagTheSnapshots',
      actions: ['ec2:CreateSnapshot', 'ec2:CreateTags'],
      resources: [snapshots],
    }),
    new iam.PolicyStatement({
      sid: 'ExpireOnlySnapshotsAwsBackupTook',
      actions: ['ec2:DeleteSnapshot'],
      resources: [snapshots],
      conditions: { Null: { [`aws:ResourceTag/${AWS_BACKUP_SOURCE_TAG}`]: 'false' } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadVolumesSnapshotsAndTags',
      actions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'tag:GetResources'],
      resources: ['*'],
    }),
  ];
  const key = target.encryptionKey;
  if (key !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DescribeTheVolumeKey',
        actions: ['kms:DescribeKey'],
        resources: [key.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'LetEbsUseTheVolumeKey',
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
      new iam.PolicyStatement({
        sid: 'UseTheVolumeKeyThroughEbs',
        actions: ['kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `ec2.${stack.region}.amazonaws.com` } },
      }),
    );
  }
  const policy = new iam.ManagedPolicy(scope, 'Policy', {
    description: `AWS Backup: snapshots of the data volumes of ${target.groupName} only`.slice(0, 1000),
    statements,
  });
  acknowledge(
    policy,
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ec2:DescribeVolumes, ec2:DescribeSnapshots, ec2:DescribeTags and tag:GetResources are granted on *: these read-only actions support no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'volume')}]`,
      reason: `The data volumes are created at run time by the lifecycle hook function, so their ids are not known at deployment: AWS Backup may snapshot only volumes tagged ${DATA_VOLUME_TAG} = this group.`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'snapshot', '')}]`,
      reason: `Snapshot ids are made by AWS Backup at each job: it may create and tag snapshots in this Region, and delete only those tagged ${AWS_BACKUP_SOURCE_TAG} (a tag only AWS Backup sets), when they expire.`,
    },
  );
  const role = new ManagedPolicyRole(scope, 'Role', {
    description: `AWS Backup: snapshots the data volumes of ${target.groupName}`.slice(0, 1000),
    assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
    managedPolicies: [policy],
  });
  const selection = new backup.CfnBackupSelection(scope, 'Selection', {
    backupPlanId: plan.backupPlanId,
    backupSelection: {
      // Unique in a plan that several groups are added to (what aws-cdk-lib would use is the construct id).
      selectionName: backupName(scope),
      iamRoleArn: role.roleArn,
      resources: [volumes],
      // The L1 types Conditions as JSON and writes it as given: CloudFormation's spelling, not camel case.
      conditions: {
        StringEquals: [{ ConditionKey: `aws:ResourceTag/${DATA_VOLUME_TAG}`, ConditionValue: target.groupName }],
      },
    },
  });
  return { selection, role };
}
