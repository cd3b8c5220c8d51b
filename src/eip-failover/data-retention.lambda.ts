/*
 * The data retention function of ElasticIpFailoverInstance with a data volume.
 *
 * Runs on a schedule, never on the hot path: launches and terminations are the lifecycle hook
 * function's. It removes what the group no longer needs, and only that:
 *
 * Nothing at all is deleted while the volume that served last (the newest `attached-at` tag) is
 * not attached (between instances, or while launches fail): nothing goes before its replacement
 * is in place.
 *
 * Volumes. A volume of the group is deleted only when all of these hold:
 *  - it is available (attached to nothing, so never the volume that served last, which is
 *    attached), and was neither created nor put into service within the grace period (a launch
 *    may be creating or attaching it);
 *  - a completed snapshot of it, taken while it was available and after it last served (reason
 *    `detached`, by the launch hook before a move, or `retired`, taken here), holds all its data.
 *    When there is none, this function takes one (`retired`) and deletes the volume on a later run.
 *    So the data of a volume left behind by a lost zone (written after the snapshot the new
 *    instance was restored from) is kept in that snapshot for the retention period.
 *
 * Snapshots. A snapshot of the group is deleted only when all of these hold:
 *  - it is completed (or failed) and started before the retention period;
 *  - it is not the snapshot a launch in another zone would restore now (the same choice as the
 *    lifecycle hook's: newest completed snapshot of the data served last);
 *  - it is not a periodic snapshot of a volume that still exists (Data Lifecycle Manager expires
 *    those; once their volume is gone it no longer does, and they are expired here);
 *  - it is not a snapshot of a volume that still exists, taken since that volume last served (it
 *    holds that volume's current data: the volume's own cover);
 *  - no volume is being created from it;
 *  - AWS Backup did not take it (a data volume in a backup plan: AWS Backup copies the volume's
 *    tags onto its snapshots, so they are listed with the group's; they are the plan's recovery
 *    points, which EC2 refuses to delete and the plan expires). Nor does it count as a volume's
 *    cover or as the snapshot a launch would restore: the rules above read the group's own
 *    snapshots only.
 *
 * Everything is read from the tags `data-volume` = this group (the only ones its role may delete),
 * re-checked before a volume is deleted, and safe to run twice or concurrently: a resource already
 * gone counts as deleted, one in use again is kept.
 *
 * The rules are decided in decisions.ts (planRetention), from the listing; this function lists,
 * asks, and carries the verdicts out.
 *
 * Every run also records, from the same listing, how old the newest completed snapshot of the
 * group's data is (`NewestSnapshotAge`, seconds, by allocation ID: an embedded-metric-format record
 * on stdout, no API call; see newestSnapshotAgeSeconds in decisions.ts). It is written right after
 * the listing, before anything is deleted, so a run that fails later still records it; a run that
 * cannot list records nothing, and the construct's alarm treats that as breaching.
 *
 * Imports only the AWS SDK v3 (provided by the Lambda runtime), its retry strategy (bundled), its own
 * helpers and the contract it shares with the construct, and nothing from aws-cdk-lib.
 */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  EC2Client,
  Volume,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ATTACHED_AT_TAG,
  DATA_VOLUME_TAG,
  DataRetentionEnvironment,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
  NEWEST_SNAPSHOT_AGE_METRIC,
  RETIRED_SNAPSHOT,
  SNAPSHOT_REASON_TAG,
} from './contract';
import { listGroupSnapshots, listGroupVolumes, snapshotDescription } from './data-lineage';
import { lastUseOf, newestSnapshotAgeSeconds, planRetention, tagValue } from './decisions';
import { environment, errorText, numberFrom, retryingClientConfig } from './handler-support';

/** What the function did and why it kept the rest, returned for logs and tests. */
export interface RetentionResult {
  /** Volumes deleted, each with the completed snapshot (taken while it was available) that holds its data. */
  readonly deletedVolumes: { volumeId: string; snapshotId: string }[];
  readonly deletedSnapshots: string[];
  /** Snapshots started of volumes about to be deleted (deleted on a later run, once completed). */
  readonly retiringSnapshots: string[];
  /** Why each volume or snapshot that was looked at was kept. */
  readonly kept: Record<string, string>;
  readonly errors: string[];
}

/** The environment the construct sets (DataRetentionEnvironment), read. */
interface Config {
  readonly groupName: string;
  /** The dimension of the snapshot age metric; not recorded without it. */
  readonly allocationId?: string;
  readonly retentionMs: number;
  readonly graceMs: number;
  readonly topicArn?: string;
}

// The SDK retries throttling and transient errors (see retryingClientConfig).
const ec2 = new EC2Client(retryingClientConfig());
const sns = new SNSClient(retryingClientConfig());

function config(): Config {
  const env = environment<DataRetentionEnvironment>();
  const hours = Number(env.RETENTION_HOURS);
  if (!env.GROUP_NAME || !(hours > 0)) throw new Error('GROUP_NAME and RETENTION_HOURS must be set');
  return {
    groupName: env.GROUP_NAME,
    allocationId: env.ALLOCATION_ID || undefined,
    retentionMs: hours * 3_600_000,
    graceMs: numberFrom(env.GRACE_MINUTES, 60) * 60_000,
    topicArn: env.TOPIC_ARN || undefined,
  };
}

export async function handler(): Promise<RetentionResult> {
  const cfg = config();
  const now = Date.now();
  const result: RetentionResult = {
    deletedVolumes: [],
    deletedSnapshots: [],
    retiringSnapshots: [],
    kept: {},
    errors: [],
  };
  const volumes = await listGroupVolumes(ec2, cfg.groupName);
  const snapshots = await listGroupSnapshots(ec2, cfg.groupName);
  emitSnapshotAge(cfg, newestSnapshotAgeSeconds({ volumes, snapshots }, now), now);
  const plan = planRetention({ volumes, snapshots, now, retentionMs: cfg.retentionMs, graceMs: cfg.graceMs });
  for (const verdict of plan.volumes) {
    if (verdict.kind === 'keep') result.kept[verdict.volumeId] = verdict.why;
    else if (verdict.kind === 'snapshot') await snapshotBeforeDeletion(cfg, verdict.volume, result);
    else await deleteVolume(cfg, verdict.volume, verdict.lastUse, verdict.snapshotId, result);
  }
  for (const verdict of plan.snapshots) {
    if (verdict.kind === 'keep') result.kept[verdict.snapshotId] = verdict.why;
    else await deleteSnapshot(verdict.snapshotId, result);
  }
  await report(cfg, result);
  console.log(JSON.stringify({ message: 'data retention', group: cfg.groupName, ...result }));
  if (result.errors.length > 0) {
    // Failed runs show in the function's Errors metric and are retried; the next run picks up the rest.
    throw new Error(`data retention of ${cfg.groupName} failed: ${result.errors.join('; ')}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Volumes

async function snapshotBeforeDeletion(cfg: Config, volume: Volume, result: RetentionResult): Promise<void> {
  const volumeId = volume.VolumeId!;
  try {
    const tags = [
      { Key: DATA_VOLUME_TAG, Value: cfg.groupName },
      { Key: SNAPSHOT_REASON_TAG, Value: RETIRED_SNAPSHOT },
    ];
    const servedAt = tagValue(volume.Tags, ATTACHED_AT_TAG);
    if (servedAt !== undefined) tags.push({ Key: ATTACHED_AT_TAG, Value: servedAt });
    const out = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: snapshotDescription(
          `Data of ${cfg.groupName} left on ${volumeId}, taken before the volume is deleted`,
        ),
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
      }),
    );
    result.retiringSnapshots.push(out.SnapshotId!);
    result.kept[volumeId] = `snapshot ${out.SnapshotId} started: the volume is deleted once it completes`;
  } catch (e) {
    result.errors.push(`snapshot of ${volumeId}: ${errorText(e)}`);
    result.kept[volumeId] = 'its snapshot could not be started';
  }
}

async function deleteVolume(
  cfg: Config,
  listed: Volume,
  lastUse: string,
  snapshotId: string,
  result: RetentionResult,
): Promise<void> {
  const volumeId = listed.VolumeId!;
  try {
    // Look again right before deleting: a launch may have attached it since the listing.
    const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const volume = out.Volumes?.[0];
    if (
      volume?.State !== 'available' ||
      (volume.Attachments?.length ?? 0) > 0 ||
      tagValue(volume.Tags, DATA_VOLUME_TAG) !== cfg.groupName ||
      lastUseOf(volume) !== lastUse
    ) {
      result.kept[volumeId] = `changed since it was listed (${volume?.State ?? 'gone'}): looked at again next run`;
      return;
    }
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    result.deletedVolumes.push({ volumeId, snapshotId });
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'InvalidVolume.NotFound') {
      result.kept[volumeId] = 'already deleted';
    } else if (name === 'VolumeInUse' || name === 'IncorrectState') {
      result.kept[volumeId] = `in use again (${name})`;
    } else {
      result.errors.push(`delete ${volumeId}: ${errorText(e)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshots

async function deleteSnapshot(snapshotId: string, result: RetentionResult): Promise<void> {
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    result.deletedSnapshots.push(snapshotId);
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'InvalidSnapshot.NotFound') {
      result.kept[snapshotId] = 'already deleted';
    } else if (name === 'InvalidSnapshot.InUse') {
      result.kept[snapshotId] = 'in use (by an image or a volume being created)';
    } else {
      result.errors.push(`delete ${snapshotId}: ${errorText(e)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Tells the topic about deleted volumes (data moved into a snapshot) and failures; snapshot expiry is routine. */
async function report(cfg: Config, result: RetentionResult): Promise<void> {
  if (!cfg.topicArn || (result.deletedVolumes.length === 0 && result.errors.length === 0)) return;
  const lines = [
    ...result.deletedVolumes.map(
      (d) =>
        `Deleted the data volume ${d.volumeId}, no longer used: its data is in the snapshot ${d.snapshotId}, which is deleted ${retentionText(cfg)} after it was taken (unless it is then the snapshot a launch would restore).`,
    ),
    ...result.errors.map((e) => `Failed: ${e}`),
  ];
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: cfg.topicArn,
        Subject: `${cfg.groupName}: data retention${result.errors.length > 0 ? ' failed' : ''}`.slice(0, 99),
        Message: lines.join('\n'),
      }),
    );
  } catch (e) {
    console.error(JSON.stringify({ message: 'notification failed', error: errorText(e) }));
  }
}

/**
 * The age of the newest snapshot of the group's data, as an embedded-metric-format record on stdout
 * (no API call). Nothing when there is no data yet (no volume, no snapshot) or no allocation ID.
 */
function emitSnapshotAge(cfg: Config, ageSeconds: number | undefined, now: number): void {
  if (ageSeconds === undefined || cfg.allocationId === undefined) return;
  process.stdout.write(
    JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [[METRIC_DIMENSION]],
            Metrics: [{ Name: NEWEST_SNAPSHOT_AGE_METRIC, Unit: 'Seconds' }],
          },
        ],
      },
      [METRIC_DIMENSION]: cfg.allocationId,
      GroupName: cfg.groupName,
      [NEWEST_SNAPSHOT_AGE_METRIC]: ageSeconds,
    }) + '\n',
  );
}

function retentionText(cfg: Config): string {
  const hours = cfg.retentionMs / 3_600_000;
  return hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}
