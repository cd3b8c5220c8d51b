import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

// Internal: what a DataVolumeBackupPlan is bound to and what binding it made. Not exported from
// the package (src/eip-failover/index.ts does not re-export this file).

/** What a plan backs up: the volumes tagged for one group, and the key they are encrypted with. */
export interface DataVolumeBackupTarget {
  /** The group name: the value of the data-volume tag on its volumes. */
  readonly groupName: string;
  /** The customer managed key of the volumes; undefined when EBS uses `aws/ebs`. */
  readonly encryptionKey?: kms.IKey;
}

/** What binding a plan created or used. */
export interface DataVolumeBackupResources {
  readonly plan: backup.IBackupPlan;
  /** Only when the construct creates the plan. */
  readonly vault?: backup.IBackupVault;
  /** The selection of the group's volumes (L1: aws-cdk-lib's BackupSelection has no Conditions). */
  readonly selection: backup.CfnBackupSelection;
  readonly role: iam.IRole;
}
