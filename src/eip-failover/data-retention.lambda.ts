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
 *  - no volume is being created from it.
 *
 * Everything is read from the tags `data-volume` = this group (the only ones its role may delete),
 * re-checked before a volume is deleted, and safe to run twice or concurrently: a resource already
 * gone counts as deleted, one in use again is kept.
 *
 * Imports only the AWS SDK v3 (provided by the Lambda runtime) and nothing from aws-cdk-lib.
 */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  EC2Client,
  Snapshot,
  Volume,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  isoTime,
  listGroupSnapshots,
  listGroupVolumes,
  newestServed,
  restorePoint,
  snapshotDescription,
  tagValue,
} from './data-lineage';
import { errorText, withRetries } from './handler-support';

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

interface Config {
  readonly groupName: string;
  readonly groupTag: string;
  readonly attachedAtTag: string;
  readonly reasonTag: string;
  readonly retentionMs: number;
  readonly graceMs: number;
  readonly topicArn?: string;
  readonly retryBaseDelayMs: number;
  readonly maxRetries: number;
}

/** Reasons of snapshots taken while their volume was attached to nothing: they hold all its data. */
const WHOLE_VOLUME_REASONS = ['detached', 'retired'];

const ec2 = new EC2Client({ maxAttempts: 1 });
const sns = new SNSClient({ maxAttempts: 1 });

function config(): Config {
  const env = process.env;
  const hours = Number(env.RETENTION_HOURS);
  if (!env.GROUP_NAME || !(hours > 0)) throw new Error('GROUP_NAME and RETENTION_HOURS must be set');
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    groupName: env.GROUP_NAME,
    groupTag: env.DATA_VOLUME_TAG ?? 'cdk-ha-patterns:data-volume',
    attachedAtTag: env.ATTACHED_AT_TAG ?? 'cdk-ha-patterns:attached-at',
    reasonTag: env.SNAPSHOT_REASON_TAG ?? 'cdk-ha-patterns:snapshot-reason',
    retentionMs: hours * 3_600_000,
    graceMs: num('GRACE_MINUTES', 60) * 60_000,
    topicArn: env.TOPIC_ARN || undefined,
    retryBaseDelayMs: num('RETRY_BASE_DELAY_MS', 200),
    maxRetries: num('MAX_RETRIES', 6),
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
  const volumes = await listGroupVolumes(ec2, cfg, cfg);
  const snapshots = await listGroupSnapshots(ec2, cfg, cfg);
  const served = newestServed(volumes, cfg.attachedAtTag);
  if (served?.State === 'in-use') {
    await retireVolumes(cfg, volumes, snapshots, now, result);
    await expireSnapshots(cfg, volumes, snapshots, now, result);
  } else {
    // Between instances, or while launches keep failing: nothing is deleted until a replacement is in place.
    const why = `the volume the group serves from (${served?.VolumeId ?? 'none'}) is not attached: nothing is deleted until it is`;
    for (const id of [...volumes.map((v) => v.VolumeId), ...snapshots.map((s) => s.SnapshotId)]) result.kept[id!] = why;
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

async function retireVolumes(
  cfg: Config,
  volumes: Volume[],
  snapshots: Snapshot[],
  now: number,
  result: RetentionResult,
): Promise<void> {
  const graceStart = isoTime(new Date(now - cfg.graceMs));
  for (const volume of volumes) {
    const volumeId = volume.VolumeId!;
    const keep = (why: string) => (result.kept[volumeId] = why);
    // The volume that serves is in use (the run stops otherwise), so it is kept here too.
    if (volume.State !== 'available') {
      keep(`${volume.State}, not available`);
      continue;
    }
    const lastUse = lastUseOf(cfg, volume);
    if (lastUse > graceStart) {
      keep('created or put into service within the grace period');
      continue;
    }
    const covers = snapshots.filter(
      (s) =>
        s.VolumeId === volumeId &&
        WHOLE_VOLUME_REASONS.includes(tagValue(s.Tags, cfg.reasonTag) ?? '') &&
        isoTime(s.StartTime) > lastUse &&
        s.State !== 'error',
    );
    const cover = covers.find((s) => s.State === 'completed');
    if (cover) {
      await deleteVolume(cfg, volume, lastUse, cover.SnapshotId!, result);
    } else if (covers.length > 0) {
      keep(`its snapshot ${covers[0].SnapshotId} is still being taken`);
    } else {
      await snapshotBeforeDeletion(cfg, volume, result);
    }
  }
}

/** When the volume last went into service, or was created if it never did (ISO time). */
function lastUseOf(cfg: Config, volume: Volume): string {
  const created = isoTime(volume.CreateTime);
  const servedAt = tagValue(volume.Tags, cfg.attachedAtTag) ?? '';
  return servedAt > created ? servedAt : created;
}

async function snapshotBeforeDeletion(cfg: Config, volume: Volume, result: RetentionResult): Promise<void> {
  const volumeId = volume.VolumeId!;
  try {
    const tags = [
      { Key: cfg.groupTag, Value: cfg.groupName },
      { Key: cfg.reasonTag, Value: 'retired' },
    ];
    const servedAt = tagValue(volume.Tags, cfg.attachedAtTag);
    if (servedAt !== undefined) tags.push({ Key: cfg.attachedAtTag, Value: servedAt });
    const out = await call(cfg, () =>
      ec2.send(
        new CreateSnapshotCommand({
          VolumeId: volumeId,
          Description: snapshotDescription(
            `Data of ${cfg.groupName} left on ${volumeId}, taken before the volume is deleted`,
          ),
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
        }),
      ),
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
    const out = await call(cfg, () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })));
    const volume = out.Volumes?.[0];
    if (
      volume?.State !== 'available' ||
      (volume.Attachments?.length ?? 0) > 0 ||
      tagValue(volume.Tags, cfg.groupTag) !== cfg.groupName ||
      lastUseOf(cfg, volume) !== lastUse
    ) {
      result.kept[volumeId] = `changed since it was listed (${volume?.State ?? 'gone'}): looked at again next run`;
      return;
    }
    await call(cfg, () => ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
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

async function expireSnapshots(
  cfg: Config,
  volumes: Volume[],
  snapshots: Snapshot[],
  now: number,
  result: RetentionResult,
): Promise<void> {
  const restoreFrom = restorePoint(snapshots, cfg.attachedAtTag)?.SnapshotId;
  const volumesById = new Map(volumes.map((v) => [v.VolumeId, v]));
  const sources = new Set(volumes.filter((v) => v.State === 'creating').map((v) => v.SnapshotId));
  for (const snapshot of snapshots) {
    const snapshotId = snapshot.SnapshotId!;
    const keep = (why: string) => (result.kept[snapshotId] = why);
    const volume = volumesById.get(snapshot.VolumeId);
    const reason = tagValue(snapshot.Tags, cfg.reasonTag);
    if (snapshotId === restoreFrom) {
      keep('the snapshot a launch in another zone would restore');
    } else if (snapshot.State !== 'completed' && snapshot.State !== 'error') {
      keep(`${snapshot.State}`);
    } else if ((snapshot.StartTime?.getTime() ?? now) > now - cfg.retentionMs) {
      keep('within the retention period');
    } else if (volume && reason === 'periodic') {
      keep('a periodic snapshot of an existing volume: Data Lifecycle Manager expires it');
    } else if (volume && isoTime(snapshot.StartTime) > lastUseOf(cfg, volume)) {
      keep(`taken since ${snapshot.VolumeId} last served: it holds that volume's current data`);
    } else if (sources.has(snapshotId)) {
      keep('a volume is being created from it');
    } else {
      await deleteSnapshot(cfg, snapshotId, result);
    }
  }
}

async function deleteSnapshot(cfg: Config, snapshotId: string, result: RetentionResult): Promise<void> {
  try {
    await call(cfg, () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
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
    await call(cfg, () =>
      sns.send(
        new PublishCommand({
          TopicArn: cfg.topicArn,
          Subject: `${cfg.groupName}: data retention${result.errors.length > 0 ? ' failed' : ''}`.slice(0, 99),
          Message: lines.join('\n'),
        }),
      ),
    );
  } catch (e) {
    console.error(JSON.stringify({ message: 'notification failed', error: errorText(e) }));
  }
}

function retentionText(cfg: Config): string {
  const hours = cfg.retentionMs / 3_600_000;
  return hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}

/** Runs an AWS call within this function's retry budget (see withRetries). */
function call<T>(cfg: Config, fn: () => Promise<T>): Promise<T> {
  return withRetries(cfg, fn);
}
