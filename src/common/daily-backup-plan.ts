// What the database's and the data volume's `daily()` AWS Backup plans share: a plan with one rule,
// a snapshot every day at 05:00 UTC kept for a number of days, in a vault of the construct's own
// that is retained when it leaves the stack, both with names unique in the account and Region.
// Each construct keeps its own selection (what is backed up) and the role that may do it.
import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PropsValidator } from './validation';

/** The default retention of a `daily()` plan: the same as aws-cdk-lib's `BackupPlanRule.daily()`. */
export const DEFAULT_DAILY_RETENTION = Duration.days(35);

/** How a construct's daily plan is made. */
export interface DailyBackupPlanOptions {
  /** Construct ids of the vault and the plan (kept as they were first released: they name logical IDs). */
  readonly ids: { readonly vault: string; readonly plan: string };
  /** The vault's key. @default - the AWS Backup default key of the account */
  readonly vaultEncryptionKey?: kms.IKey;
  /** How long each snapshot is kept. @default DEFAULT_DAILY_RETENTION */
  readonly retention?: Duration;
}

/** The vault and plan of a `daily()` plan, created in `scope`. */
export function createDailyBackupPlan(
  scope: Construct,
  options: DailyBackupPlanOptions,
): { vault: backup.BackupVault; plan: backup.BackupPlan } {
  const vault = new backup.BackupVault(scope, options.ids.vault, {
    encryptionKey: options.vaultEncryptionKey,
    // Recovery points outlive the stack, and a vault that holds any cannot be deleted.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const plan = new backup.BackupPlan(scope, options.ids.plan, {
    // Unique in the account and Region (the default is the construct id, the same in every stack).
    backupPlanName: backupName(scope),
    backupVault: vault,
    backupPlanRules: [
      new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: events.Schedule.cron({ minute: '0', hour: '5' }),
        deleteAfter: options.retention ?? DEFAULT_DAILY_RETENTION,
      }),
    ],
  });
  return { vault, plan };
}

/**
 * `retention` must be a whole number of days, at least `minDays`; `prop` and `what` (e.g.
 * `DatabaseBackupPlan.daily({ retention })`) name it in the message, `why` says where the minimum
 * comes from.
 */
export function validateDailyRetention(
  check: PropsValidator,
  prop: string,
  what: string,
  retention: Duration | undefined,
  minDays: number,
  why: string,
): void {
  if (retention === undefined || retention.isUnresolved()) return;
  const days = retention.toHours({ integral: false }) / 24;
  if (!Number.isInteger(days) || days < minDays) {
    check.fail(prop, `${what} must be a whole number of days, at least ${minDays} (${why})`, retention.toHumanString());
  }
}

/**
 * A name for a construct's plan or selection that no other construct's has: its stack, path and a
 * hash of them, in the 50 letters, digits, `-`, `_` and `.` AWS Backup allows.
 */
export function backupName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 50 });
}
