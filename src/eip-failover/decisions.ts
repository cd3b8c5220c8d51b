// The decisions of the lifecycle hook and data retention handlers about a group's data, as pure
// functions of what the handlers listed: which data volume a launch gives its instance, and what a
// retention run deletes. No calls, no clock (`now` is an argument): the handlers fetch, decide, act.
// Both handlers use the same rule for the snapshot a launch restores (restorePoint), so the
// retention function never deletes what the next launch needs. Both decide from the group's own
// snapshots only (ownSnapshots): those AWS Backup takes of a data volume in a backup plan carry the
// volume's tags too, so they are listed with the group's, but they are never restored by a launch
// nor deleted by a retention run.
//
// Imports only types of the AWS SDK (erased when compiled) and the contract.
import type { Snapshot, Tag, Volume } from '@aws-sdk/client-ec2';
import {
  ATTACHED_AT_TAG,
  AWS_BACKUP_SOURCE_TAG,
  DETACHED_SNAPSHOT,
  PERIODIC_SNAPSHOT,
  RETIRED_SNAPSHOT,
  SNAPSHOT_REASON_TAG,
} from './contract';

// ---------------------------------------------------------------------------------------------
// Reading tags and times

export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** ISO time, or `''` (older than any time) when there is none. */
export function isoTime(date: Date | undefined): string {
  return date ? date.toISOString() : '';
}

/** The volume an instance of the group went InService with last (the newest `attached-at` tag). */
export function newestServed(volumes: readonly Volume[]): Volume | undefined {
  return volumes
    .filter((v) => tagValue(v.Tags, ATTACHED_AT_TAG) !== undefined)
    .sort((a, b) =>
      (tagValue(b.Tags, ATTACHED_AT_TAG) ?? '').localeCompare(tagValue(a.Tags, ATTACHED_AT_TAG) ?? ''),
    )[0];
}

/** When the volume last went into service, or was created if it never did (ISO time). */
export function lastUseOf(volume: Volume): string {
  const created = isoTime(volume.CreateTime);
  const servedAt = tagValue(volume.Tags, ATTACHED_AT_TAG) ?? '';
  return servedAt > created ? servedAt : created;
}

// ---------------------------------------------------------------------------------------------
// Whose snapshot it is

/**
 * Whether AWS Backup took the snapshot: it carries the tag AWS Backup puts on its snapshots. Such a
 * snapshot is a recovery point of a backup plan, which expires it (EC2 refuses to delete it), and
 * may be moved to the archive tier, from which no volume can be created until it is restored.
 */
export function isAwsBackupSnapshot(snapshot: Snapshot): boolean {
  return snapshot.Tags?.some((t) => t.Key === AWS_BACKUP_SOURCE_TAG) ?? false;
}

/**
 * The group's own snapshots (taken by its functions and its Data Lifecycle Manager policy): the
 * listing without those AWS Backup took, which the volume's tags copied onto them put in it.
 */
export function ownSnapshots(snapshots: readonly Snapshot[]): Snapshot[] {
  return snapshots.filter((s) => !isAwsBackupSnapshot(s));
}

// ---------------------------------------------------------------------------------------------
// The snapshot a launch restores

/** A pending snapshot older than this is taken to be stuck (its zone is failing), unless told otherwise. */
export const DEFAULT_STUCK_SNAPSHOT_MS = 60 * 60_000;

/**
 * The snapshots a launch can restore from, newest data first: only the group's own snapshots
 * (never AWS Backup's) of volumes that served (tagged with when), ordered first by when their
 * volume last went into service (a volume left behind in another zone keeps being snapshotted, but
 * its data is older), then by start time (ties keep the order they were listed in).
 */
export function restoreLineage(snapshots: readonly Snapshot[]): Snapshot[] {
  return ownSnapshots(snapshots)
    .filter((s) => tagValue(s.Tags, ATTACHED_AT_TAG) !== undefined)
    .sort(
      (a, b) =>
        (tagValue(b.Tags, ATTACHED_AT_TAG) ?? '').localeCompare(tagValue(a.Tags, ATTACHED_AT_TAG) ?? '') ||
        (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
    );
}

/** What a launch in another zone restores when the volume served last is out of reach. */
export interface RestorePoint {
  /** The newest completed snapshot of the data served last. */
  readonly completed?: Snapshot;
  /**
   * A snapshot with newer data than `completed` (or the only data, when nothing completed) that is
   * still being taken and not stuck: a launch waits for it rather than restore older data.
   */
  readonly pending?: Snapshot;
}

/**
 * The rule both handlers follow: the newest completed snapshot of the data served last, unless a
 * newer one is still being taken (started less than `stuckSnapshotMs` before `now`).
 */
export function restorePoint(
  snapshots: readonly Snapshot[],
  now: number,
  stuckSnapshotMs: number = DEFAULT_STUCK_SNAPSHOT_MS,
): RestorePoint {
  const lineage = restoreLineage(snapshots);
  const newestCompleted = lineage.findIndex((s) => s.State === 'completed');
  const newer = (newestCompleted === -1 ? lineage : lineage.slice(0, newestCompleted)).filter(
    (s) => s.State === 'pending' && now - (s.StartTime?.getTime() ?? 0) < stuckSnapshotMs,
  );
  return {
    completed: newestCompleted === -1 ? undefined : lineage[newestCompleted],
    pending: newer[0]?.SnapshotId ? newer[0] : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Launch: which data volume the new instance gets

/** What a launch decides from. */
export interface LaunchInput {
  /** The instance being launched. */
  readonly instanceId: string;
  /** Its Availability Zone. */
  readonly zone: string;
  /** The group's volumes. */
  readonly volumes: readonly Volume[];
  /**
   * The group's snapshots as listed (AWS Backup's included: they are set aside here); undefined
   * until listed (only some choices need them: see `list-snapshots`).
   */
  readonly snapshots?: readonly Snapshot[];
  readonly now: number;
  /** A pending snapshot older than this is taken to be stuck. */
  readonly stuckSnapshotMs: number;
  /**
   * Set once the launch has waited (see `wait-for-release`) for the volume served last, in another
   * zone, to be released: that volume as described after the wait (undefined if it is gone). The
   * launch does not wait again.
   */
  readonly afterRelease?: { readonly volume: Volume | undefined };
}

/** What a launch does about its data volume. */
export type LaunchChoice =
  /** A duplicate delivery got there first: the volume is already on its way to this instance. */
  | { readonly kind: 'attached'; readonly volumeId: string }
  /** The volume served last is in this zone: wait until its instance releases it, then attach it. */
  | { readonly kind: 'reattach'; readonly volumeId: string }
  /** The volume served last, in another zone, is still attached: wait (bounded) for it, then decide again with `afterRelease`. */
  | { readonly kind: 'wait-for-release'; readonly volumeId: string }
  /** The decision needs the group's snapshots: list them, then decide again with `snapshots`. */
  | { readonly kind: 'list-snapshots' }
  /**
   * The volume served last, in another zone, is released: snapshot it now (nothing writes to it, so
   * the snapshot holds all its data), or wait for `snapshotId`, the one taken already; then restore.
   */
  | {
      readonly kind: 'snapshot-then-restore';
      readonly volumeId: string;
      readonly volume: Volume;
      readonly snapshotId?: string;
    }
  /** A snapshot newer than the last completed one is still being taken: wait for it and restore it, else abandon. */
  | { readonly kind: 'wait-for-snapshot'; readonly snapshotId: string }
  /**
   * Restore from the newest completed snapshot. `unusable` is the volume served last when there is
   * one (unreachable, or broken): the data written to it since the snapshot is on it only.
   */
  | { readonly kind: 'restore'; readonly snapshot: Snapshot; readonly unusable?: Volume }
  /** Nothing exists yet (the first launch): an empty volume. */
  | { readonly kind: 'empty' }
  /** The data exists but cannot be restored now: abandon the launch, so a later one can. */
  | { readonly kind: 'abandon'; readonly reason: string };

/**
 * Which data volume a launch gives its instance (nothing is ever deleted):
 *  1. the volume served last, when it is in the instance's zone (and not broken): reattached;
 *  2. in another zone, once released: a snapshot taken now, restored (waiting for its release first);
 *  3. otherwise the restore point (`restorePoint`): a newer pending snapshot is waited for, else the
 *     newest completed one is restored;
 *  4. no volume and no snapshot: an empty volume; a volume served last without any snapshot: abandon.
 * Snapshots AWS Backup took are never chosen (see `isAwsBackupSnapshot`): the group's own, taken at
 * least every `snapshotInterval`, bound the data lost; an operator restores a recovery point.
 */
export function decideLaunchVolume(input: LaunchInput): LaunchChoice {
  let live: Volume | undefined;
  if (input.afterRelease) {
    live = input.afterRelease.volume;
  } else {
    const already = input.volumes.find((v) => v.Attachments?.some((a) => a.InstanceId === input.instanceId));
    if (already?.VolumeId) return { kind: 'attached', volumeId: already.VolumeId };
    live = newestServed(input.volumes);
    if (live?.VolumeId && live.AvailabilityZone === input.zone && live.State !== 'error') {
      return { kind: 'reattach', volumeId: live.VolumeId };
    }
    // The previous instance is still terminating (its termination hook is snapshotting).
    if (live?.VolumeId && live.State === 'in-use') return { kind: 'wait-for-release', volumeId: live.VolumeId };
  }
  if (input.snapshots === undefined) return { kind: 'list-snapshots' };
  const snapshots = ownSnapshots(input.snapshots);

  if (live?.VolumeId && live.State === 'available') {
    // Released: a snapshot taken now holds everything written to it; one taken since it last served will do.
    const volumeId = live.VolumeId;
    const servedAt = tagValue(live.Tags, ATTACHED_AT_TAG) ?? '';
    const taken = snapshots.find(
      (s) =>
        s.VolumeId === volumeId &&
        tagValue(s.Tags, SNAPSHOT_REASON_TAG) === DETACHED_SNAPSHOT &&
        isoTime(s.StartTime) > servedAt,
    );
    return { kind: 'snapshot-then-restore', volumeId, volume: live, snapshotId: taken?.SnapshotId };
  }

  // The volume served last is unusable or unreachable (its zone is failing).
  const point = restorePoint(snapshots, input.now, input.stuckSnapshotMs);
  if (point.pending) return { kind: 'wait-for-snapshot', snapshotId: point.pending.SnapshotId! };
  if (point.completed) return { kind: 'restore', snapshot: point.completed, unusable: live };
  if (live) {
    const backups = input.snapshots.length - snapshots.length;
    return {
      kind: 'abandon',
      reason:
        `the data volume ${live.VolumeId} is ${live.State} and has no completed snapshot` +
        (backups > 0
          ? ` of the group's own (${backups} taken by AWS Backup ${backups === 1 ? 'is' : 'are'} not restored automatically: restore a recovery point from its backup vault)`
          : ''),
    };
  }
  return { kind: 'empty' };
}

// ---------------------------------------------------------------------------------------------
// Retention: what a run deletes

/** What a retention run decides from. */
export interface RetentionInput {
  /** The group's volumes. */
  readonly volumes: readonly Volume[];
  /** The group's snapshots as listed (AWS Backup's included: they are always kept). */
  readonly snapshots: readonly Snapshot[];
  readonly now: number;
  /** Snapshots started longer ago than this may be deleted. */
  readonly retentionMs: number;
  /** A volume created or put into service more recently than this is kept. */
  readonly graceMs: number;
}

/** What a run does with one volume. */
export type VolumeVerdict =
  | { readonly kind: 'keep'; readonly volumeId: string; readonly why: string }
  /** No snapshot holds its data yet: take one (`retired`); the volume is deleted on a later run. */
  | { readonly kind: 'snapshot'; readonly volumeId: string; readonly volume: Volume }
  /**
   * A completed snapshot (`snapshotId`) holds all its data: delete it, after checking that it is
   * still available and unused since it was listed (last used at `lastUse`).
   */
  | {
      readonly kind: 'delete';
      readonly volumeId: string;
      readonly volume: Volume;
      readonly lastUse: string;
      readonly snapshotId: string;
    };

/** What a run does with one snapshot. */
export type SnapshotVerdict =
  | { readonly kind: 'keep'; readonly snapshotId: string; readonly why: string }
  | { readonly kind: 'delete'; readonly snapshotId: string };

/** A verdict on every volume and every snapshot, in the order they were listed: volumes first. */
export interface RetentionPlan {
  readonly volumes: VolumeVerdict[];
  readonly snapshots: SnapshotVerdict[];
}

/** Reasons of snapshots taken while their volume was attached to nothing: they hold all its data. */
const WHOLE_VOLUME_REASONS: readonly string[] = [DETACHED_SNAPSHOT, RETIRED_SNAPSHOT];

/** Why a snapshot AWS Backup took is kept, whatever else holds. */
export const AWS_BACKUP_KEPT = 'taken by AWS Backup: its backup plan expires it (EC2 refuses to delete it)';

/**
 * What a retention run deletes (see data-retention.lambda.ts for the rules). Nothing at all while
 * the volume served last is not attached (between instances, or while launches fail), and never a
 * snapshot AWS Backup took: the rules are applied to the group's own snapshots only.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  const own: RetentionInput = { ...input, snapshots: ownSnapshots(input.snapshots) };
  const served = newestServed(input.volumes);
  const attached = served?.State === 'in-use';
  const why = `the volume the group serves from (${served?.VolumeId ?? 'none'}) is not attached: nothing is deleted until it is`;
  const verdicts = attached ? new Map(snapshotVerdicts(own).map((v) => [v.snapshotId, v])) : undefined;
  return {
    volumes: input.volumes.map((v) =>
      attached ? volumeVerdict(own, v) : { kind: 'keep', volumeId: v.VolumeId!, why },
    ),
    snapshots: input.snapshots.map((s): SnapshotVerdict => {
      const snapshotId = s.SnapshotId!;
      if (isAwsBackupSnapshot(s)) return { kind: 'keep', snapshotId, why: AWS_BACKUP_KEPT };
      return verdicts?.get(snapshotId) ?? { kind: 'keep', snapshotId, why };
    }),
  };
}

function volumeVerdict(input: RetentionInput, volume: Volume): VolumeVerdict {
  const volumeId = volume.VolumeId!;
  const keep = (why: string): VolumeVerdict => ({ kind: 'keep', volumeId, why });
  // The volume that serves is in use (there is no plan otherwise), so it is kept here too.
  if (volume.State !== 'available') return keep(`${volume.State}, not available`);
  const lastUse = lastUseOf(volume);
  if (lastUse > isoTime(new Date(input.now - input.graceMs))) {
    return keep('created or put into service within the grace period');
  }
  const covers = input.snapshots.filter(
    (s) =>
      s.VolumeId === volumeId &&
      WHOLE_VOLUME_REASONS.includes(tagValue(s.Tags, SNAPSHOT_REASON_TAG) ?? '') &&
      isoTime(s.StartTime) > lastUse &&
      s.State !== 'error',
  );
  const cover = covers.find((s) => s.State === 'completed');
  if (cover) return { kind: 'delete', volumeId, volume, lastUse, snapshotId: cover.SnapshotId! };
  if (covers.length > 0) return keep(`its snapshot ${covers[0].SnapshotId} is still being taken`);
  return { kind: 'snapshot', volumeId, volume };
}

function snapshotVerdicts(input: RetentionInput): SnapshotVerdict[] {
  const { now } = input;
  const restoreFrom = restorePoint(input.snapshots, now).completed?.SnapshotId;
  const volumesById = new Map(input.volumes.map((v) => [v.VolumeId, v]));
  const sources = new Set(input.volumes.filter((v) => v.State === 'creating').map((v) => v.SnapshotId));
  return input.snapshots.map((snapshot): SnapshotVerdict => {
    const snapshotId = snapshot.SnapshotId!;
    const keep = (why: string): SnapshotVerdict => ({ kind: 'keep', snapshotId, why });
    const volume = volumesById.get(snapshot.VolumeId);
    const reason = tagValue(snapshot.Tags, SNAPSHOT_REASON_TAG);
    if (snapshotId === restoreFrom) return keep('the snapshot a launch in another zone would restore');
    if (snapshot.State !== 'completed' && snapshot.State !== 'error') return keep(`${snapshot.State}`);
    if ((snapshot.StartTime?.getTime() ?? now) > now - input.retentionMs) return keep('within the retention period');
    if (volume && reason === PERIODIC_SNAPSHOT) {
      return keep('a periodic snapshot of an existing volume: Data Lifecycle Manager expires it');
    }
    if (volume && isoTime(snapshot.StartTime) > lastUseOf(volume)) {
      return keep(`taken since ${snapshot.VolumeId} last served: it holds that volume's current data`);
    }
    if (sources.has(snapshotId)) return keep('a volume is being created from it');
    return { kind: 'delete', snapshotId };
  });
}

// ---------------------------------------------------------------------------------------------
// Monitoring: how old the newest snapshot of the group's data is

/** What the age of the newest snapshot is decided from: the group's listing, as the retention run has it. */
export interface SnapshotAgeInput {
  /** The group's volumes. */
  readonly volumes: readonly Volume[];
  /** The group's snapshots as listed (AWS Backup's included: they are set aside here). */
  readonly snapshots: readonly Snapshot[];
}

/**
 * How long ago (whole seconds, never negative) the newest completed snapshot of the group's data
 * was started: what a zone failure would lose now. Only the group's own snapshots count (never AWS
 * Backup's: a launch does not restore them), and only completed ones.
 *
 *  1. While a volume has served (the newest `attached-at`): its own snapshots, and the one it was
 *     restored from (which holds the data it started with). Snapshots of a volume left behind in
 *     another zone do not count, however new: they hold that volume's data, not the data served
 *     now. With none of them, the age of the volume itself (created that long ago: nothing it holds
 *     is in a snapshot), so a volume never snapshotted is reported as it ages.
 *  2. While none has: the restore point (`restorePoint`), the data a launch would restore.
 *  3. Otherwise the age of the group's newest volume; undefined when there is no volume and no
 *     snapshot of the group's data (nothing to protect, nothing to report).
 */
export function newestSnapshotAgeSeconds(input: SnapshotAgeInput, now: number): number | undefined {
  const age = (time: Date | undefined) =>
    time === undefined ? undefined : Math.max(0, Math.floor((now - time.getTime()) / 1000));
  const completed = ownSnapshots(input.snapshots).filter((s) => s.State === 'completed');
  const newest = (candidates: readonly { time?: Date }[]) =>
    candidates
      .map((c) => c.time)
      .filter((t): t is Date => t !== undefined)
      .sort((a, b) => b.getTime() - a.getTime())[0];
  const served = newestServed(input.volumes);
  if (served !== undefined) {
    const holding = completed.filter(
      (s) =>
        (s.VolumeId !== undefined && s.VolumeId === served.VolumeId) ||
        (s.SnapshotId !== undefined && s.SnapshotId === served.SnapshotId),
    );
    return age(newest(holding.map((s) => ({ time: s.StartTime }))) ?? served.CreateTime);
  }
  const point = restorePoint(input.snapshots, now).completed;
  if (point !== undefined) return age(point.StartTime);
  return age(newest(input.volumes.map((v) => ({ time: v.CreateTime }))));
}
