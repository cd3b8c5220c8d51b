import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { BackupResources, BackupTarget } from './backup-binding';
import { acknowledge, nagArn } from '../common/acknowledge';
import { backupName, createDailyBackupPlan, validateDailyRetention } from '../common/daily-backup-plan';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { PropsValidator } from '../common/validation';

/**
 * Options of {@link DatabaseBackupPlan.daily}.
 */
export interface DailyDatabaseBackupOptions {
  /**
   * How long AWS Backup keeps each daily snapshot: a whole number of days, at least 7 (AWS Backup
   * recommends keeping backups at least a week, so that each new one can be incremental).
   *
   * Independent of the instance's `backupRetention`, which is how long RDS keeps its own
   * automated backups (at most 35 days).
   *
   * @default Duration.days(35)
   */
  readonly retention?: Duration;

  /**
   * The KMS key the construct's backup vault is encrypted with.
   *
   * RDS snapshots keep the encryption of the instance they are taken of, whatever the vault's key.
   *
   * @default - the database's `encryptionKey`
   */
  readonly vaultEncryptionKey?: kms.IKey;
}

/**
 * Puts a {@link DetachableDatabase} in an AWS Backup plan: one the construct creates
 * (`daily()`) or one of yours (`fromBackupPlan()`). Either way the construct selects its
 * instance by ARN, through a role of its own allowed to snapshot that instance and nothing else.
 *
 * The plan takes snapshot backups. It does not take over the instance's point-in-time recovery:
 * RDS keeps that with its automated backups for `backupRetention`.
 */
export abstract class DatabaseBackupPlan {
  /**
   * A plan the construct creates: a snapshot every day at 05:00 UTC, kept for `retention`
   * (35 days unless set), in a backup vault of the construct's own, encrypted with the database's
   * key unless another is given and retained when it leaves the stack (AWS Backup deletes only an
   * empty vault, and the recovery points outlive the stack). Vault names are unique in an account
   * and Region, and this one's comes from the stack and construct path: after deleting the stack,
   * delete the emptied vault before deploying the same stack again.
   *
   * @param options how long the snapshots are kept and the vault's key
   */
  public static daily(options: DailyDatabaseBackupOptions = {}): DatabaseBackupPlan {
    return new DailyBackupPlan(options);
  }

  /**
   * A plan of yours, for example an organisation-wide plan in a shared stack: the construct adds
   * a backup selection of its instance to it, and nothing else. The plan's rules decide when and
   * where the snapshots go. The selection is created in the database's stack, so that stack
   * depends on the plan's when they differ.
   *
   * The selection's role is allowed to snapshot the instance and to tag and expire those
   * snapshots. Rules that copy recovery points to another vault (another Region or account) need
   * more: grant them to the database's `awsBackupRole`.
   *
   * @param plan the plan to add the instance to
   */
  public static fromBackupPlan(plan: backup.IBackupPlan): DatabaseBackupPlan {
    return new GivenBackupPlan(plan);
  }

  /**
   * Records every problem with the options.
   *
   * @internal
   */
  public abstract _validate(check: PropsValidator): void;

  /**
   * Creates the plan (when the construct owns it), the selection of `target.instance` and its role
   * in `scope`.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, target: BackupTarget): BackupResources;
}

/** The shortest retention of `daily()`: AWS Backup recommends keeping backups at least a week. */
const MIN_RETENTION_DAYS = 7;

/** AWS Backup names the RDS snapshots it takes `awsbackup:job-<id>`. */
const AWS_BACKUP_SNAPSHOTS = 'awsbackup:*';

class DailyBackupPlan extends DatabaseBackupPlan {
  constructor(private readonly options: DailyDatabaseBackupOptions) {
    super();
  }

  public _validate(check: PropsValidator): void {
    validateDailyRetention(
      check,
      'backupPlan',
      'DatabaseBackupPlan.daily({ retention })',
      this.options.retention,
      MIN_RETENTION_DAYS,
      'AWS Backup recommends keeping backups at least a week',
    );
  }

  public _bind(scope: Construct, target: BackupTarget): BackupResources {
    const { plan, vault } = createDailyBackupPlan(scope, {
      ids: { vault: 'BackupVault', plan: 'BackupPlan' },
      vaultEncryptionKey: this.options.vaultEncryptionKey ?? target.encryptionKey,
      retention: this.options.retention,
    });
    return { plan, vault, ...selectInstance(scope, plan, target) };
  }
}

class GivenBackupPlan extends DatabaseBackupPlan {
  constructor(private readonly plan: backup.IBackupPlan) {
    super();
  }

  public _validate(_check: PropsValidator): void {}

  public _bind(scope: Construct, target: BackupTarget): BackupResources {
    return { plan: this.plan, ...selectInstance(scope, this.plan, target) };
  }
}

/**
 * The selection of the instance (by ARN) in `plan`, and the role AWS Backup assumes for it: the
 * RDS statements of the AWS managed policy `AWSBackupServiceRolePolicyForBackup` that a snapshot
 * backup of one instance uses (create the snapshot, describe the instance and its snapshots,
 * tag the snapshots, delete them when they expire; use the instance's key), narrowed from every
 * instance and snapshot to this instance and the snapshots AWS Backup names, in a customer
 * managed policy. No restore permissions: restores are run by an operator with a role of theirs.
 */
function selectInstance(
  scope: Construct,
  plan: backup.IBackupPlan,
  target: BackupTarget,
): { selection: backup.BackupSelection; role: iam.IRole } {
  const stack = Stack.of(scope);
  const instanceArn = target.instance.instanceArn;
  const snapshots = stack.formatArn({
    service: 'rds',
    resource: 'snapshot',
    resourceName: AWS_BACKUP_SNAPSHOTS,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const policy = new iam.ManagedPolicy(scope, 'BackupPolicy', {
    description: `AWS Backup: snapshots of the database ${scope.node.path} only`,
    statements: [
      new iam.PolicyStatement({
        sid: 'SnapshotThisInstance',
        actions: ['rds:CreateDBSnapshot'],
        resources: [instanceArn, snapshots],
      }),
      new iam.PolicyStatement({
        sid: 'DescribeThisInstance',
        actions: ['rds:DescribeDBInstances'],
        resources: [instanceArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadThisInstanceAndItsBackups',
        actions: ['rds:DescribeDBSnapshots', 'rds:ListTagsForResource'],
        resources: [instanceArn, snapshots],
      }),
      new iam.PolicyStatement({
        sid: 'TagAndExpireItsBackups',
        actions: ['rds:AddTagsToResource', 'rds:DeleteDBSnapshot'],
        resources: [snapshots],
      }),
      new iam.PolicyStatement({
        sid: 'UseTheInstanceKey',
        actions: ['kms:DescribeKey'],
        resources: [target.encryptionKey.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'LetRdsUseTheInstanceKey',
        actions: ['kms:CreateGrant'],
        resources: [target.encryptionKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    ],
  });
  acknowledge(policy, {
    id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'rds', `snapshot:${AWS_BACKUP_SNAPSHOTS}`)}]`,
    reason:
      'The snapshots AWS Backup takes of this instance, which it names awsbackup:job-<id> when it starts each job; only creating, describing, tagging and deleting them is granted on that name pattern.',
  });
  const role = new ManagedPolicyRole(scope, 'BackupRole', {
    description: `AWS Backup: snapshots the database ${scope.node.path}`,
    assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
    managedPolicies: [policy],
  });
  const selection = new backup.BackupSelection(scope, 'BackupSelection', {
    backupPlan: plan,
    // Unique in a plan that several databases are added to (the default is the construct id).
    backupSelectionName: backupName(scope),
    resources: [backup.BackupResource.fromArn(instanceArn)],
    role,
    // The role holds the statements above instead of AWSBackupServiceRolePolicyForBackup.
    disableDefaultBackupPolicy: true,
    allowRestores: false,
  });
  return { selection, role };
}
