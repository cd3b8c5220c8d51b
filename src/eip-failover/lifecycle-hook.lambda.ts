/*
 * The lifecycle hook function of ElasticIpFailoverInstance with FailoverStrategy.autoScalingGroup().
 *
 * Invoked asynchronously by EventBridge for the group's lifecycle actions:
 *  - "EC2 Instance-launch Lifecycle Action": the new instance waits in Pending:Wait. With a data
 *    volume, the function gives it one (below); then it moves the Elastic IP to it and completes
 *    the action with CONTINUE. Anything failing completes it with ABANDON: the group terminates the
 *    instance and launches another, rather than let one run without its data.
 *  - "EC2 Instance-terminate Lifecycle Action" (with a data volume): starts a snapshot of the
 *    instance's data volume, then completes with CONTINUE without waiting for it to finish (the
 *    instance keeps running while the hook waits, and its volume is only released once it is gone).
 *
 * Which data volume a new instance gets (nothing is ever deleted here):
 *  1. The volume served last (the newest `attached-at` tag) when it is in the new instance's zone:
 *     it is reattached, after waiting (bounded) for the dying instance to release it.
 *  2. In another zone, once released: a snapshot is taken of it now, while nothing writes to it
 *     (so nothing written before the old instance died is lost), and a volume is restored from it.
 *  3. In another zone and not released in time (its zone is failing): the newest completed
 *     snapshot of the volumes served last, unless a newer one is still being taken (and not stuck),
 *     in which case the launch is abandoned so a later attempt can use it.
 *  4. No volume and no snapshot yet: an empty encrypted volume (the first launch).
 *
 * Duplicate events, and retries after the action was completed, find the instance no longer in
 * Pending:Wait or Terminating:Wait and change nothing; a volume is created with the instance id as
 * its client token, so two concurrent deliveries create one volume.
 *
 * Imports only the AWS SDK v3 (provided by the Lambda runtime) and nothing from aws-cdk-lib.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  Filter,
  Snapshot,
  Tag,
  Volume,
  VolumeType,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  isoTime,
  listGroupSnapshots,
  listGroupVolumes,
  newestServed,
  restoreLineage,
  snapshotDescription,
  tagValue,
} from './data-lineage';
import { emitFailoverMetric, errorText, sleep, withRetries } from './handler-support';

/** The EventBridge event of an Auto Scaling lifecycle action. */
export interface LifecycleEvent {
  readonly source: 'aws.autoscaling';
  readonly 'detail-type': string;
  readonly time?: string;
  readonly detail: {
    readonly LifecycleActionToken: string;
    readonly AutoScalingGroupName: string;
    readonly LifecycleHookName: string;
    readonly EC2InstanceId: string;
    readonly LifecycleTransition: string;
  };
}

/** The part of the Lambda context the function uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

/** What the function did, returned for logs and tests. */
export interface LifecycleResult {
  readonly action: 'continued' | 'abandoned' | 'ignored';
  readonly reason: string;
  readonly instanceId?: string;
  readonly volumeId?: string;
  readonly snapshotIds?: string[];
}

interface DataVolumeConfig {
  readonly sizeGiB: number;
  readonly volumeType: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly kmsKeyId?: string;
  readonly deviceName: string;
  readonly groupTag: string;
  readonly attachedAtTag: string;
  readonly reasonTag: string;
  readonly instanceVolumeTag: string;
}

interface Config {
  readonly groupName: string;
  readonly allocationId: string;
  readonly publicIp: string;
  readonly topicArn?: string;
  readonly metricNamespace: string;
  readonly dataVolume?: DataVolumeConfig;
  readonly pollIntervalMs: number;
  /** How long to wait for a dying instance to release the volume. */
  readonly releaseWaitMs: number;
  /** A snapshot pending for longer than this is taken to be stuck (its zone is failing). */
  readonly stuckSnapshotMs: number;
  /** Kept free before the function's timeout to complete the lifecycle action. */
  readonly safetyMarginMs: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetries: number;
}

// Retries are done here (throttling and 5xx, exponential backoff with full jitter), one budget to reason about.
const ec2 = new EC2Client({ maxAttempts: 1 });
const autoscaling = new AutoScalingClient({ maxAttempts: 1 });
const sns = new SNSClient({ maxAttempts: 1 });

function config(): Config {
  const env = process.env;
  if (!env.GROUP_NAME || !env.ALLOCATION_ID) throw new Error('GROUP_NAME and ALLOCATION_ID must be set');
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  const dataVolume: DataVolumeConfig | undefined = env.VOLUME_SIZE_GIB
    ? {
        sizeGiB: Number(env.VOLUME_SIZE_GIB),
        volumeType: env.VOLUME_TYPE ?? 'gp3',
        iops: env.VOLUME_IOPS ? Number(env.VOLUME_IOPS) : undefined,
        throughput: env.VOLUME_THROUGHPUT ? Number(env.VOLUME_THROUGHPUT) : undefined,
        kmsKeyId: env.KMS_KEY_ID || undefined,
        deviceName: env.DEVICE_NAME ?? '/dev/sdf',
        groupTag: env.DATA_VOLUME_TAG ?? 'cdk-ha-patterns:data-volume',
        attachedAtTag: env.ATTACHED_AT_TAG ?? 'cdk-ha-patterns:attached-at',
        reasonTag: env.SNAPSHOT_REASON_TAG ?? 'cdk-ha-patterns:snapshot-reason',
        instanceVolumeTag: env.INSTANCE_VOLUME_TAG ?? 'DataVolumeId',
      }
    : undefined;
  return {
    groupName: env.GROUP_NAME,
    allocationId: env.ALLOCATION_ID,
    publicIp: env.PUBLIC_IP ?? '',
    topicArn: env.TOPIC_ARN || undefined,
    metricNamespace: env.METRIC_NAMESPACE ?? 'CdkHaPatterns/ElasticIpFailover',
    dataVolume,
    pollIntervalMs: num('POLL_INTERVAL_MS', 5000),
    releaseWaitMs: num('RELEASE_WAIT_SECONDS', 600) * 1000,
    stuckSnapshotMs: num('STUCK_SNAPSHOT_MINUTES', 60) * 60_000,
    safetyMarginMs: num('SAFETY_MARGIN_SECONDS', 45) * 1000,
    retryBaseDelayMs: num('RETRY_BASE_DELAY_MS', 200),
    maxRetries: num('MAX_RETRIES', 6),
  };
}

export async function handler(event: LifecycleEvent, context?: LambdaContextLike): Promise<LifecycleResult> {
  const cfg = config();
  const detail = event?.detail;
  if (event?.source !== 'aws.autoscaling' || !detail?.EC2InstanceId || !detail.LifecycleActionToken) {
    return log({ action: 'ignored', reason: 'not a lifecycle action event' });
  }
  if (detail.AutoScalingGroupName !== cfg.groupName) {
    return log({ action: 'ignored', reason: `lifecycle action of group ${detail.AutoScalingGroupName}, not this one` });
  }
  const remaining = context?.getRemainingTimeInMillis() ?? 14 * 60_000;
  const deadline = Date.now() + remaining - cfg.safetyMarginMs;
  if (detail.LifecycleTransition === 'autoscaling:EC2_INSTANCE_LAUNCHING') {
    return onLaunch(cfg, detail, deadline, eventTime(event));
  }
  if (detail.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING') return onTerminate(cfg, detail);
  return log({ action: 'ignored', reason: `transition ${detail.LifecycleTransition} is not handled` });
}

// ---------------------------------------------------------------------------------------------
// Launch

async function onLaunch(
  cfg: Config,
  detail: LifecycleEvent['detail'],
  deadline: number,
  eventTimeMs: number | undefined,
): Promise<LifecycleResult> {
  const started = Date.now();
  const instanceId = detail.EC2InstanceId;
  const state = await lifecycleState(cfg, instanceId);
  if (state !== 'Pending:Wait') {
    return log({
      action: 'ignored',
      instanceId,
      reason: `${instanceId} is ${state ?? 'not in the group'}, not Pending:Wait`,
    });
  }
  let volumeId: string | undefined;
  try {
    const zone = await waitForRunning(cfg, instanceId, deadline);
    if (cfg.dataVolume) volumeId = await provideDataVolume(cfg, cfg.dataVolume, instanceId, zone, deadline);
    await call(cfg, () =>
      ec2.send(
        new AssociateAddressCommand({
          AllocationId: cfg.allocationId,
          InstanceId: instanceId,
          AllowReassociation: true,
        }),
      ),
    );
  } catch (e) {
    await completeLifecycleAction(cfg, detail, 'ABANDON');
    await notify(
      cfg,
      `Elastic IP ${cfg.publicIp || cfg.allocationId}: launch of ${instanceId} abandoned`,
      `The new instance ${instanceId} could not be given ${cfg.dataVolume ? 'its data volume and ' : ''}the Elastic IP: ${errorText(e)}\nThe launch was abandoned; the group will launch another instance.`,
    );
    return log({ action: 'abandoned', instanceId, volumeId, reason: errorText(e) });
  }
  emitMetric(cfg, Date.now() - started, eventTimeMs, instanceId);
  await completeLifecycleAction(cfg, detail, 'CONTINUE');
  return log({ action: 'continued', instanceId, volumeId, reason: 'Elastic IP associated' });
}

async function provideDataVolume(
  cfg: Config,
  dv: DataVolumeConfig,
  instanceId: string,
  zone: string,
  deadline: number,
): Promise<string> {
  const volumes = await groupVolumes(cfg, dv);
  // A duplicate delivery running alongside: the volume is already on its way to this instance.
  const already = volumes.find((v) => v.Attachments?.some((a) => a.InstanceId === instanceId));
  let volumeId: string;
  if (already?.VolumeId) {
    volumeId = already.VolumeId;
  } else {
    const live = newestServed(volumes, dv.attachedAtTag);
    if (live?.VolumeId && live.AvailabilityZone === zone && live.State !== 'error') {
      const released = await waitForVolume(
        cfg,
        live.VolumeId,
        'available',
        Math.min(deadline, Date.now() + cfg.releaseWaitMs),
      );
      if (!released) {
        throw new Error(`the data volume ${live.VolumeId} was not released by its previous instance in time`);
      }
      volumeId = live.VolumeId;
    } else {
      const snapshot = await snapshotToRestore(cfg, dv, live, deadline);
      volumeId = await createVolume(cfg, dv, instanceId, zone, snapshot);
      if (!(await waitForVolume(cfg, volumeId, 'available', deadline))) {
        throw new Error(`the new data volume ${volumeId} did not become available in time`);
      }
    }
    try {
      await call(cfg, () =>
        ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: dv.deviceName })),
      );
    } catch (e) {
      // A concurrent duplicate may have attached it already: that is fine, anything else is not.
      const [v] = await describeVolumes(cfg, [volumeId]);
      if (!v?.Attachments?.some((a) => a.InstanceId === instanceId)) throw e;
    }
  }
  if (!(await waitForAttachment(cfg, volumeId, instanceId, deadline))) {
    throw new Error(`the data volume ${volumeId} was not attached to ${instanceId} in time`);
  }
  // The mount script reads the volume id from this tag; the volume is now the one served last.
  await call(cfg, () =>
    ec2.send(
      new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: dv.instanceVolumeTag, Value: volumeId }] }),
    ),
  );
  await call(cfg, () =>
    ec2.send(
      new CreateTagsCommand({
        Resources: [volumeId],
        Tags: [{ Key: dv.attachedAtTag, Value: new Date().toISOString() }],
      }),
    ),
  );
  return volumeId;
}

/**
 * The snapshot to restore the data from in another zone, or undefined for an empty volume.
 * Throws when the data exists but cannot be restored yet (the launch is then abandoned and retried).
 */
async function snapshotToRestore(
  cfg: Config,
  dv: DataVolumeConfig,
  live: Volume | undefined,
  deadline: number,
): Promise<Snapshot | undefined> {
  if (live?.VolumeId && live.State === 'in-use') {
    // The previous instance is still terminating (its termination hook is snapshotting); wait, bounded.
    await waitForVolume(cfg, live.VolumeId, 'available', Math.min(deadline, Date.now() + cfg.releaseWaitMs));
    [live] = await describeVolumes(cfg, [live.VolumeId]);
  }
  if (live?.VolumeId && live.State === 'available') {
    // Released: a snapshot taken now holds everything written to it.
    const liveId = live.VolumeId;
    const servedAt = tagValue(live.Tags, dv.attachedAtTag) ?? '';
    const taken = (await snapshotsOf(cfg, dv, [{ Name: 'volume-id', Values: [liveId] }])).find(
      (s) => tagValue(s.Tags, dv.reasonTag) === 'detached' && isoTime(s.StartTime) > servedAt,
    );
    let snapshotId = taken?.SnapshotId;
    if (!snapshotId) {
      const created = await call(cfg, () =>
        ec2.send(
          new CreateSnapshotCommand({
            VolumeId: liveId,
            Description: snapshotDescription(
              `Data of ${cfg.groupName}, taken after its instance released it, to restore in another zone`,
            ),
            TagSpecifications: [
              {
                ResourceType: 'snapshot',
                Tags: snapshotTags(cfg, dv, live, 'detached'),
              },
            ],
          }),
        ),
      );
      snapshotId = created.SnapshotId!;
    }
    const done = await waitForSnapshot(cfg, snapshotId, deadline);
    if (!done) throw new Error(`snapshot ${snapshotId} of the released data volume ${liveId} is still being taken`);
    return done;
  }

  // The volume served last is unusable or unreachable (its zone is failing): the newest completed
  // snapshot of the volumes served last, unless a newer one is still being taken and not stuck.
  const lineage = restoreLineage(await snapshotsOf(cfg, dv), dv.attachedAtTag);
  const newestCompleted = lineage.findIndex((s) => s.State === 'completed');
  const newer = (newestCompleted === -1 ? lineage : lineage.slice(0, newestCompleted)).filter(
    (s) => s.State === 'pending' && Date.now() - (s.StartTime?.getTime() ?? 0) < cfg.stuckSnapshotMs,
  );
  if (newer.length > 0 && newer[0].SnapshotId) {
    const done = await waitForSnapshot(cfg, newer[0].SnapshotId, deadline);
    if (done) return done;
    throw new Error(`snapshot ${newer[0].SnapshotId}, newer than the last completed one, is still being taken`);
  }
  if (newestCompleted !== -1) {
    const snapshot = lineage[newestCompleted];
    if (live) {
      await notify(
        cfg,
        `Elastic IP ${cfg.publicIp || cfg.allocationId}: data restored from ${snapshot.SnapshotId}`,
        `The data volume ${live.VolumeId} (${live.State} in ${live.AvailabilityZone}) could not be used, so the new instance's data volume is restored from the snapshot ${snapshot.SnapshotId} started at ${isoTime(snapshot.StartTime)}. Data written after that time is on ${live.VolumeId} only. Once that volume is released, the data retention function snapshots it (reason retired) before it deletes it: copy what you need from that snapshot.`,
      );
    }
    return snapshot;
  }
  if (live) throw new Error(`the data volume ${live.VolumeId} is ${live.State} and has no completed snapshot`);
  return undefined;
}

async function createVolume(
  cfg: Config,
  dv: DataVolumeConfig,
  instanceId: string,
  zone: string,
  snapshot: Snapshot | undefined,
): Promise<string> {
  const out = await call(cfg, () =>
    ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: zone,
        Size: Math.max(dv.sizeGiB, snapshot?.VolumeSize ?? 0),
        VolumeType: dv.volumeType as VolumeType,
        Iops: dv.iops,
        Throughput: dv.throughput,
        Encrypted: true,
        KmsKeyId: dv.kmsKeyId,
        SnapshotId: snapshot?.SnapshotId,
        // One volume per launch, however often the event is delivered.
        ClientToken: `${instanceId}-data`,
        TagSpecifications: [
          {
            ResourceType: 'volume',
            Tags: [
              { Key: dv.groupTag, Value: cfg.groupName },
              { Key: 'Name', Value: `${cfg.groupName} data`.slice(0, 256) },
            ],
          },
        ],
      }),
    ),
  );
  return out.VolumeId!;
}

// ---------------------------------------------------------------------------------------------
// Termination

async function onTerminate(cfg: Config, detail: LifecycleEvent['detail']): Promise<LifecycleResult> {
  const instanceId = detail.EC2InstanceId;
  const state = await lifecycleState(cfg, instanceId);
  if (state !== 'Terminating:Wait') {
    return log({
      action: 'ignored',
      instanceId,
      reason: `${instanceId} is ${state ?? 'not in the group'}, not Terminating:Wait`,
    });
  }
  const snapshotIds: string[] = [];
  const dv = cfg.dataVolume;
  if (dv) {
    try {
      const volumes = await groupVolumes(cfg, dv, [{ Name: 'attachment.instance-id', Values: [instanceId] }]);
      for (const volume of volumes) {
        const out = await call(cfg, () =>
          ec2.send(
            new CreateSnapshotCommand({
              VolumeId: volume.VolumeId,
              Description: snapshotDescription(
                `Data of ${cfg.groupName} when its instance ${instanceId} was terminated`,
              ),
              TagSpecifications: [{ ResourceType: 'snapshot', Tags: snapshotTags(cfg, dv, volume, 'termination') }],
            }),
          ),
        );
        snapshotIds.push(out.SnapshotId!);
      }
    } catch (e) {
      // The termination goes on: the next launch snapshots the released volume itself, or falls
      // back to the periodic snapshots. Nothing is deleted either way.
      await notify(
        cfg,
        `Elastic IP ${cfg.publicIp || cfg.allocationId}: termination snapshot failed`,
        `Snapshotting the data volume of ${instanceId} at termination failed: ${errorText(e)}`,
      );
      await completeLifecycleAction(cfg, detail, 'CONTINUE');
      return log({ action: 'continued', instanceId, snapshotIds, reason: `snapshot failed: ${errorText(e)}` });
    }
  }
  await completeLifecycleAction(cfg, detail, 'CONTINUE');
  return log({ action: 'continued', instanceId, snapshotIds, reason: 'termination snapshot started' });
}

// ---------------------------------------------------------------------------------------------
// Helpers

async function lifecycleState(cfg: Config, instanceId: string): Promise<string | undefined> {
  const out = await call(cfg, () =>
    autoscaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
  );
  const instance = out.AutoScalingInstances?.find(
    (i) => i.InstanceId === instanceId && i.AutoScalingGroupName === cfg.groupName,
  );
  return instance?.LifecycleState;
}

async function completeLifecycleAction(
  cfg: Config,
  detail: LifecycleEvent['detail'],
  result: 'CONTINUE' | 'ABANDON',
): Promise<void> {
  try {
    await call(cfg, () =>
      autoscaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: detail.AutoScalingGroupName,
          LifecycleHookName: detail.LifecycleHookName,
          LifecycleActionToken: detail.LifecycleActionToken,
          InstanceId: detail.EC2InstanceId,
          LifecycleActionResult: result,
        }),
      ),
    );
  } catch (e) {
    // Completed already (a concurrent duplicate) or timed out: the group has moved on either way.
    if ((e as { name?: string }).name === 'ValidationError') {
      console.warn(JSON.stringify({ message: 'lifecycle action already completed', error: errorText(e) }));
      return;
    }
    throw e;
  }
}

async function waitForRunning(cfg: Config, instanceId: string, deadline: number): Promise<string> {
  for (;;) {
    const out = await call(cfg, () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    const state = instance?.State?.Name ?? 'unknown';
    if (state === 'running' && instance?.Placement?.AvailabilityZone) return instance.Placement.AvailabilityZone;
    if (state !== 'pending') throw new Error(`${instanceId} is ${state}`);
    if (Date.now() + cfg.pollIntervalMs > deadline) throw new Error(`${instanceId} was still pending`);
    await sleep(cfg.pollIntervalMs);
  }
}

function groupVolumes(cfg: Config, dv: DataVolumeConfig, filters: Filter[] = []): Promise<Volume[]> {
  return listGroupVolumes(ec2, cfg, { groupTag: dv.groupTag, groupName: cfg.groupName }, filters);
}

async function describeVolumes(cfg: Config, ids: string[]): Promise<Volume[]> {
  const out = await call(cfg, () => ec2.send(new DescribeVolumesCommand({ VolumeIds: ids })));
  return out.Volumes ?? [];
}

function snapshotsOf(cfg: Config, dv: DataVolumeConfig, filters: Filter[] = []): Promise<Snapshot[]> {
  return listGroupSnapshots(ec2, cfg, { groupTag: dv.groupTag, groupName: cfg.groupName }, filters);
}

function snapshotTags(cfg: Config, dv: DataVolumeConfig, volume: Volume, reason: string): Tag[] {
  const tags: Tag[] = [
    { Key: dv.groupTag, Value: cfg.groupName },
    { Key: dv.reasonTag, Value: reason },
  ];
  const servedAt = tagValue(volume.Tags, dv.attachedAtTag);
  if (servedAt !== undefined) tags.push({ Key: dv.attachedAtTag, Value: servedAt });
  return tags;
}

/** Polls until the volume is in `state`; false when the deadline passes first. */
async function waitForVolume(cfg: Config, volumeId: string, state: string, deadline: number): Promise<boolean> {
  for (;;) {
    const [volume] = await describeVolumes(cfg, [volumeId]);
    if (volume?.State === state) return true;
    if (volume?.State === 'error' || volume?.State === 'deleting' || volume === undefined) {
      throw new Error(`the data volume ${volumeId} is ${volume?.State ?? 'gone'}`);
    }
    if (Date.now() + cfg.pollIntervalMs > deadline) return false;
    await sleep(cfg.pollIntervalMs);
  }
}

async function waitForAttachment(
  cfg: Config,
  volumeId: string,
  instanceId: string,
  deadline: number,
): Promise<boolean> {
  for (;;) {
    const [volume] = await describeVolumes(cfg, [volumeId]);
    const attachment = volume?.Attachments?.find((a) => a.InstanceId === instanceId);
    if (attachment?.State === 'attached') return true;
    if (Date.now() + cfg.pollIntervalMs > deadline) return false;
    await sleep(cfg.pollIntervalMs);
  }
}

/** Polls until the snapshot completes; undefined when the deadline passes first. */
async function waitForSnapshot(cfg: Config, snapshotId: string, deadline: number): Promise<Snapshot | undefined> {
  for (;;) {
    const out = await call(cfg, () => ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })));
    const snapshot = out.Snapshots?.[0];
    if (snapshot?.State === 'completed') return snapshot;
    if (snapshot?.State === 'error' || snapshot === undefined) {
      throw new Error(`snapshot ${snapshotId} is ${snapshot?.State ?? 'gone'}`);
    }
    if (Date.now() + cfg.pollIntervalMs > deadline) return undefined;
    await sleep(cfg.pollIntervalMs);
  }
}

/** Runs an AWS call within this function's retry budget (see withRetries). */
function call<T>(cfg: Config, fn: () => Promise<T>): Promise<T> {
  return withRetries(cfg, fn);
}

async function notify(cfg: Config, subject: string, message: string): Promise<void> {
  if (!cfg.topicArn) return;
  try {
    await call(cfg, () =>
      sns.send(new PublishCommand({ TopicArn: cfg.topicArn, Subject: subject.slice(0, 99), Message: message })),
    );
  } catch (e) {
    console.error(JSON.stringify({ message: 'notification failed', error: errorText(e) }));
  }
}

function emitMetric(cfg: Config, durationMs: number, eventTimeMs: number | undefined, instanceId: string): void {
  emitFailoverMetric({
    namespace: cfg.metricNamespace,
    allocationId: cfg.allocationId,
    newPrimary: instanceId,
    durationMs,
    eventTimeMs,
  });
}

function eventTime(event: LifecycleEvent): number | undefined {
  const ms = event.time ? Date.parse(event.time) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function log(result: LifecycleResult): LifecycleResult {
  console.log(JSON.stringify({ message: 'lifecycle action', ...result }));
  return result;
}
