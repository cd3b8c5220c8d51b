import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';

// Internal: what a DatabaseBackupPlan is bound to and what binding it made. Not exported from the
// package.

/** What a plan backs up: the instance, and the construct's key (which encrypts the storage of a new instance; a restored one keeps its snapshot's). */
export interface BackupTarget {
  readonly instance: rds.IDatabaseInstance;
  readonly encryptionKey: kms.IKey;
}

/** What binding a plan created or used. */
export interface BackupResources {
  readonly plan: backup.IBackupPlan;
  /** Only when the construct creates the plan. */
  readonly vault?: backup.IBackupVault;
  readonly selection: backup.BackupSelection;
  readonly role: iam.IRole;
}
