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
 * Invoked by the health probe's alarm (`autoScalingGroup({ healthProbe })`), when the service failed
 * the probe through the Elastic IP: it marks the instance holding the Elastic IP Unhealthy
 * (SetInstanceHealth; the probe's own startup grace spares a new instance), and the group replaces it
 * as it replaces an instance that fails its EC2 status checks, through the same hooks. An alarm of
 * another Elastic IP, a state other than ALARM, no holder, or a holder that is not InService in this
 * group (a replacement is already under way) changes nothing, so duplicates are harmless.
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
 * Snapshots AWS Backup took of the volumes (with `dataVolume.backupPlan`) carry the volume's tags
 * but are never restored here: the group's own snapshots (at termination, after a release, and
 * every `snapshotInterval`) bound what a zone failure loses, while a recovery point's life is its
 * plan's (expired, or moved to the archive tier where no volume can be created from it, at any
 * time). An operator restores a recovery point when one is wanted.
 *
 * Duplicate events, and retries after the action was completed, find the instance no longer in
 * Pending:Wait or Terminating:Wait and change nothing; a volume is created with the instance id as
 * its client token, so two concurrent deliveries create one volume.
 *
 * The choice is made in decisions.ts (decideLaunchVolume), from the listing; this function lists,
 * asks, waits and acts.
 *
 * Imports only the AWS SDK v3 (provided by the Lambda runtime), its retry strategy (bundled), its own
 * helpers and the contract it shares with the construct, and nothing from aws-cdk-lib.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeAddressesCommand,
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
  ABANDONED_LAUNCHES_METRIC,
  ATTACHED_AT_TAG,
  DATA_VOLUME_TAG,
  DETACHED_SNAPSHOT,
  HEALTH_PROBE_FAILED_METRIC,
  INSTANCE_VOLUME_TAG,
  LAUNCHING_TRANSITION,
  LifecycleHookEnvironment,
  SNAPSHOT_REASON_TAG,
  SnapshotReason,
  TERMINATING_TRANSITION,
  TERMINATION_SNAPSHOT,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
} from './contract';
import { listGroupSnapshots, listGroupVolumes, snapshotDescription } from './data-lineage';
import { decideLaunchVolume, DEFAULT_STUCK_SNAPSHOT_MS, isoTime, LaunchInput, tagValue } from './decisions';
import { emitFailoverMetric, environment, errorText, numberFrom, retryingClientConfig, sleep } from './handler-support';

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

/** The event of a CloudWatch alarm's Lambda action: here, the health probe's alarm. */
export interface ProbeAlarmEvent {
  readonly source: 'aws.cloudwatch';
  readonly alarmArn?: string;
  readonly time?: string;
  readonly alarmData: {
    readonly alarmName?: string;
    readonly state?: { readonly value?: string };
    readonly configuration?: {
      readonly metrics?: {
        readonly metricStat?: {
          readonly metric?: { readonly name?: string; readonly dimensions?: Record<string, string> };
        };
      }[];
    };
  };
}

/** The part of the Lambda context the function uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

/** What the function did, returned for logs and tests. */
export interface LifecycleResult {
  readonly action: 'continued' | 'abandoned' | 'ignored' | 'marked-unhealthy';
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
}

/** The environment the construct sets (LifecycleHookEnvironment), read. */
interface Config {
  readonly groupName: string;
  readonly allocationId: string;
  readonly publicIp: string;
  readonly topicArn?: string;
  readonly dataVolume?: DataVolumeConfig;
  readonly pollIntervalMs: number;
  /** How long to wait for a dying instance to release the volume. */
  readonly releaseWaitMs: number;
  /** A snapshot pending for longer than this is taken to be stuck (its zone is failing). */
  readonly stuckSnapshotMs: number;
  /** Kept free before the function's timeout to complete the lifecycle action. */
  readonly safetyMarginMs: number;
}

// The SDK retries throttling and transient errors (see retryingClientConfig): one retry budget per call.
const ec2 = new EC2Client(retryingClientConfig());
const autoscaling = new AutoScalingClient(retryingClientConfig());
const sns = new SNSClient(retryingClientConfig());

function config(): Config {
  const env = environment<LifecycleHookEnvironment>();
  if (!env.GROUP_NAME || !env.ALLOCATION_ID) throw new Error('GROUP_NAME and ALLOCATION_ID must be set');
  const dataVolume: DataVolumeConfig | undefined = env.VOLUME_SIZE_GIB
    ? {
        sizeGiB: Number(env.VOLUME_SIZE_GIB),
        volumeType: env.VOLUME_TYPE ?? 'gp3',
        iops: env.VOLUME_IOPS ? Number(env.VOLUME_IOPS) : undefined,
        throughput: env.VOLUME_THROUGHPUT ? Number(env.VOLUME_THROUGHPUT) : undefined,
        kmsKeyId: env.KMS_KEY_ID || undefined,
        deviceName: env.DEVICE_NAME ?? '/dev/sdf',
      }
    : undefined;
  return {
    groupName: env.GROUP_NAME,
    allocationId: env.ALLOCATION_ID,
    publicIp: env.PUBLIC_IP ?? '',
    topicArn: env.TOPIC_ARN || undefined,
    dataVolume,
    pollIntervalMs: numberFrom(env.POLL_INTERVAL_MS, 5000),
    releaseWaitMs: numberFrom(env.RELEASE_WAIT_SECONDS, 600) * 1000,
    stuckSnapshotMs: env.STUCK_SNAPSHOT_MINUTES
      ? Number(env.STUCK_SNAPSHOT_MINUTES) * 60_000
      : DEFAULT_STUCK_SNAPSHOT_MS,
    safetyMarginMs: numberFrom(env.SAFETY_MARGIN_SECONDS, 45) * 1000,
  };
}

export async function handler(
  event: LifecycleEvent | ProbeAlarmEvent,
  context?: LambdaContextLike,
): Promise<LifecycleResult> {
  const cfg = config();
  if (event?.source === 'aws.cloudwatch') return onProbeAlarm(cfg, event);
  const detail = event?.detail;
  if (event?.source !== 'aws.autoscaling' || !detail?.EC2InstanceId || !detail.LifecycleActionToken) {
    return log({ action: 'ignored', reason: 'not a lifecycle action event' });
  }
  if (detail.AutoScalingGroupName !== cfg.groupName) {
    return log({ action: 'ignored', reason: `lifecycle action of group ${detail.AutoScalingGroupName}, not this one` });
  }
  const remaining = context?.getRemainingTimeInMillis() ?? 14 * 60_000;
  const deadline = Date.now() + remaining - cfg.safetyMarginMs;
  if (detail.LifecycleTransition === LAUNCHING_TRANSITION) {
    return onLaunch(cfg, detail, deadline, eventTime(event));
  }
  if (detail.LifecycleTransition === TERMINATING_TRANSITION) return onTerminate(cfg, detail);
  return log({ action: 'ignored', reason: `transition ${detail.LifecycleTransition} is not handled` });
}

// ---------------------------------------------------------------------------------------------
// The health probe's alarm

async function onProbeAlarm(cfg: Config, event: ProbeAlarmEvent): Promise<LifecycleResult> {
  const metric = event.alarmData?.configuration?.metrics?.find(
    (m) => m.metricStat?.metric?.name === HEALTH_PROBE_FAILED_METRIC,
  )?.metricStat?.metric;
  if (metric === undefined) return log({ action: 'ignored', reason: 'not the health probe alarm' });
  const allocationId = metric.dimensions?.[METRIC_DIMENSION];
  if (allocationId !== cfg.allocationId) {
    return log({ action: 'ignored', reason: `health probe of ${allocationId}, not of this group's Elastic IP` });
  }
  const state = event.alarmData.state?.value;
  if (state !== 'ALARM') return log({ action: 'ignored', reason: `health probe alarm ${state} is not a failure` });

  const addresses = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [cfg.allocationId] }));
  const holder = addresses.Addresses?.[0]?.InstanceId;
  if (holder === undefined) {
    return log({ action: 'ignored', reason: 'health probe failed, but no instance holds the Elastic IP' });
  }
  const lifecycle = await lifecycleState(cfg, holder);
  if (lifecycle !== 'InService') {
    return log({
      action: 'ignored',
      instanceId: holder,
      reason: `health probe failed; ${holder} holds the Elastic IP but is ${lifecycle ?? 'not in this group'}, not InService`,
    });
  }
  // Not respecting the group's grace period: the probe records no failure within its own startup
  // grace of the holder's start, and a call ignored within a longer group grace would be lost (the
  // alarm does not fire again while it stays in ALARM).
  await autoscaling.send(
    new SetInstanceHealthCommand({ InstanceId: holder, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false }),
  );
  await notify(
    cfg,
    `Elastic IP ${cfg.publicIp || cfg.allocationId}: ${holder} failed the health probe`,
    [
      `The service did not answer the health probe through the Elastic IP, so ${holder}, which holds it, was marked Unhealthy.`,
      `The group ${cfg.groupName} replaces it: the new instance gets the Elastic IP${cfg.dataVolume ? ' and the data volume' : ''} before it is InService.`,
    ].join('\n'),
  );
  return log({ action: 'marked-unhealthy', instanceId: holder, reason: 'health probe failed' });
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
    await ec2.send(
      new AssociateAddressCommand({
        AllocationId: cfg.allocationId,
        InstanceId: instanceId,
        AllowReassociation: true,
      }),
    );
  } catch (e) {
    await completeLifecycleAction(detail, 'ABANDON');
    await notify(
      cfg,
      `Elastic IP ${cfg.publicIp || cfg.allocationId}: launch of ${instanceId} abandoned`,
      `The new instance ${instanceId} could not be given ${cfg.dataVolume ? 'its data volume and ' : ''}the Elastic IP: ${errorText(e)}\nThe launch was abandoned; the group will launch another instance.`,
    );
    emitAbandonedLaunch(cfg, instanceId);
    return log({ action: 'abandoned', instanceId, volumeId, reason: errorText(e) });
  }
  emitMetric(cfg, Date.now() - started, eventTimeMs, instanceId);
  await completeLifecycleAction(detail, 'CONTINUE');
  return log({ action: 'continued', instanceId, volumeId, reason: 'Elastic IP associated' });
}

async function provideDataVolume(
  cfg: Config,
  dv: DataVolumeConfig,
  instanceId: string,
  zone: string,
  deadline: number,
): Promise<string> {
  const { volumeId, attached } = await chooseDataVolume(cfg, dv, instanceId, zone, deadline);
  if (!attached) {
    try {
      await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: dv.deviceName }));
    } catch (e) {
      // A concurrent duplicate may have attached it already: that is fine, anything else is not.
      const [v] = await describeVolumes([volumeId]);
      if (!v?.Attachments?.some((a) => a.InstanceId === instanceId)) throw e;
    }
  }
  if (!(await waitForAttachment(cfg, volumeId, instanceId, deadline))) {
    throw new Error(`the data volume ${volumeId} was not attached to ${instanceId} in time`);
  }
  // The mount script reads the volume id from this tag; the volume is now the one served last.
  await ec2.send(
    new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: INSTANCE_VOLUME_TAG, Value: volumeId }] }),
  );
  await ec2.send(
    new CreateTagsCommand({
      Resources: [volumeId],
      Tags: [{ Key: ATTACHED_AT_TAG, Value: new Date().toISOString() }],
    }),
  );
  return volumeId;
}

/**
 * The data volume of the new instance (see decideLaunchVolume): an existing one, released by its
 * previous instance, or one created here (from a snapshot, or empty), available. `attached`: a
 * duplicate delivery has attached it already. Throws when the data exists but cannot be restored
 * yet (the launch is then abandoned and retried).
 */
async function chooseDataVolume(
  cfg: Config,
  dv: DataVolumeConfig,
  instanceId: string,
  zone: string,
  deadline: number,
): Promise<{ volumeId: string; attached: boolean }> {
  const releaseDeadline = () => Math.min(deadline, Date.now() + cfg.releaseWaitMs);
  let input: LaunchInput = {
    instanceId,
    zone,
    volumes: await groupVolumes(cfg),
    now: Date.now(),
    stuckSnapshotMs: cfg.stuckSnapshotMs,
  };
  let snapshot: Snapshot | undefined;
  decide: for (;;) {
    const choice = decideLaunchVolume(input);
    switch (choice.kind) {
      case 'attached':
        return { volumeId: choice.volumeId, attached: true };
      case 'reattach':
        if (!(await waitForVolume(cfg, choice.volumeId, 'available', releaseDeadline()))) {
          throw new Error(`the data volume ${choice.volumeId} was not released by its previous instance in time`);
        }
        return { volumeId: choice.volumeId, attached: false };
      case 'wait-for-release': {
        // Bounded: past it, the volume counts as out of reach (its zone is failing).
        await waitForVolume(cfg, choice.volumeId, 'available', releaseDeadline());
        const [volume] = await describeVolumes([choice.volumeId]);
        input = { ...input, afterRelease: { volume }, now: Date.now() };
        continue decide;
      }
      case 'list-snapshots':
        input = { ...input, snapshots: await groupSnapshots(cfg), now: Date.now() };
        continue decide;
      case 'snapshot-then-restore': {
        const snapshotId = choice.snapshotId ?? (await snapshotReleased(cfg, choice.volume));
        snapshot = await waitForSnapshot(cfg, snapshotId, deadline);
        if (!snapshot) {
          throw new Error(`snapshot ${snapshotId} of the released data volume ${choice.volumeId} is still being taken`);
        }
        break decide;
      }
      case 'wait-for-snapshot':
        snapshot = await waitForSnapshot(cfg, choice.snapshotId, deadline);
        if (!snapshot) {
          throw new Error(`snapshot ${choice.snapshotId}, newer than the last completed one, is still being taken`);
        }
        break decide;
      case 'restore': {
        snapshot = choice.snapshot;
        const live = choice.unusable;
        if (live) {
          await notify(
            cfg,
            `Elastic IP ${cfg.publicIp || cfg.allocationId}: data restored from ${snapshot.SnapshotId}`,
            `The data volume ${live.VolumeId} (${live.State} in ${live.AvailabilityZone}) could not be used, so the new instance's data volume is restored from the snapshot ${snapshot.SnapshotId} started at ${isoTime(snapshot.StartTime)}. Data written after that time is on ${live.VolumeId} only. Once that volume is released, the data retention function snapshots it (reason retired) before it deletes it: copy what you need from that snapshot.`,
          );
        }
        break decide;
      }
      case 'empty':
        snapshot = undefined;
        break decide;
      case 'abandon':
        throw new Error(choice.reason);
    }
  }
  const volumeId = await createVolume(cfg, dv, instanceId, zone, snapshot);
  if (!(await waitForVolume(cfg, volumeId, 'available', deadline))) {
    throw new Error(`the new data volume ${volumeId} did not become available in time`);
  }
  return { volumeId, attached: false };
}

/** Starts a snapshot of the released volume served last, to restore in another zone. */
async function snapshotReleased(cfg: Config, volume: Volume): Promise<string> {
  const created = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: volume.VolumeId,
      Description: snapshotDescription(
        `Data of ${cfg.groupName}, taken after its instance released it, to restore in another zone`,
      ),
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: snapshotTags(cfg, volume, DETACHED_SNAPSHOT) }],
    }),
  );
  return created.SnapshotId!;
}

async function createVolume(
  cfg: Config,
  dv: DataVolumeConfig,
  instanceId: string,
  zone: string,
  snapshot: Snapshot | undefined,
): Promise<string> {
  const out = await ec2.send(
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
            { Key: DATA_VOLUME_TAG, Value: cfg.groupName },
            { Key: 'Name', Value: `${cfg.groupName} data`.slice(0, 256) },
          ],
        },
      ],
    }),
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
      const volumes = await groupVolumes(cfg, [{ Name: 'attachment.instance-id', Values: [instanceId] }]);
      for (const volume of volumes) {
        const out = await ec2.send(
          new CreateSnapshotCommand({
            VolumeId: volume.VolumeId,
            Description: snapshotDescription(`Data of ${cfg.groupName} when its instance ${instanceId} was terminated`),
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: snapshotTags(cfg, volume, TERMINATION_SNAPSHOT) }],
          }),
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
      await completeLifecycleAction(detail, 'CONTINUE');
      return log({ action: 'continued', instanceId, snapshotIds, reason: `snapshot failed: ${errorText(e)}` });
    }
  }
  await completeLifecycleAction(detail, 'CONTINUE');
  return log({ action: 'continued', instanceId, snapshotIds, reason: 'termination snapshot started' });
}

// ---------------------------------------------------------------------------------------------
// Helpers

async function lifecycleState(cfg: Config, instanceId: string): Promise<string | undefined> {
  const out = await autoscaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.AutoScalingInstances?.find(
    (i) => i.InstanceId === instanceId && i.AutoScalingGroupName === cfg.groupName,
  );
  return instance?.LifecycleState;
}

async function completeLifecycleAction(
  detail: LifecycleEvent['detail'],
  result: 'CONTINUE' | 'ABANDON',
): Promise<void> {
  try {
    await autoscaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: detail.AutoScalingGroupName,
        LifecycleHookName: detail.LifecycleHookName,
        LifecycleActionToken: detail.LifecycleActionToken,
        InstanceId: detail.EC2InstanceId,
        LifecycleActionResult: result,
      }),
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
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    const state = instance?.State?.Name ?? 'unknown';
    if (state === 'running' && instance?.Placement?.AvailabilityZone) return instance.Placement.AvailabilityZone;
    if (state !== 'pending') throw new Error(`${instanceId} is ${state}`);
    if (Date.now() + cfg.pollIntervalMs > deadline) throw new Error(`${instanceId} was still pending`);
    await sleep(cfg.pollIntervalMs);
  }
}

function groupVolumes(cfg: Config, filters: Filter[] = []): Promise<Volume[]> {
  return listGroupVolumes(ec2, cfg.groupName, filters);
}

async function describeVolumes(ids: string[]): Promise<Volume[]> {
  const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: ids }));
  return out.Volumes ?? [];
}

function groupSnapshots(cfg: Config): Promise<Snapshot[]> {
  return listGroupSnapshots(ec2, cfg.groupName);
}

function snapshotTags(cfg: Config, volume: Volume, reason: SnapshotReason): Tag[] {
  const tags: Tag[] = [
    { Key: DATA_VOLUME_TAG, Value: cfg.groupName },
    { Key: SNAPSHOT_REASON_TAG, Value: reason },
  ];
  const servedAt = tagValue(volume.Tags, ATTACHED_AT_TAG);
  if (servedAt !== undefined) tags.push({ Key: ATTACHED_AT_TAG, Value: servedAt });
  return tags;
}

/** Polls until the volume is in `state`; false when the deadline passes first. */
async function waitForVolume(cfg: Config, volumeId: string, state: string, deadline: number): Promise<boolean> {
  for (;;) {
    const [volume] = await describeVolumes([volumeId]);
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
    const [volume] = await describeVolumes([volumeId]);
    const attachment = volume?.Attachments?.find((a) => a.InstanceId === instanceId);
    if (attachment?.State === 'attached') return true;
    if (Date.now() + cfg.pollIntervalMs > deadline) return false;
    await sleep(cfg.pollIntervalMs);
  }
}

/** Polls until the snapshot completes; undefined when the deadline passes first. */
async function waitForSnapshot(cfg: Config, snapshotId: string, deadline: number): Promise<Snapshot | undefined> {
  for (;;) {
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    const snapshot = out.Snapshots?.[0];
    if (snapshot?.State === 'completed') return snapshot;
    if (snapshot?.State === 'error' || snapshot === undefined) {
      throw new Error(`snapshot ${snapshotId} is ${snapshot?.State ?? 'gone'}`);
    }
    if (Date.now() + cfg.pollIntervalMs > deadline) return undefined;
    await sleep(cfg.pollIntervalMs);
  }
}

async function notify(cfg: Config, subject: string, message: string): Promise<void> {
  if (!cfg.topicArn) return;
  try {
    await sns.send(new PublishCommand({ TopicArn: cfg.topicArn, Subject: subject.slice(0, 99), Message: message }));
  } catch (e) {
    console.error(JSON.stringify({ message: 'notification failed', error: errorText(e) }));
  }
}

function emitMetric(cfg: Config, durationMs: number, eventTimeMs: number | undefined, instanceId: string): void {
  emitFailoverMetric({
    allocationId: cfg.allocationId,
    newPrimary: instanceId,
    durationMs,
    eventTimeMs,
  });
}

/** One abandoned launch, as an embedded-metric-format record on stdout (no API call). */
function emitAbandonedLaunch(cfg: Config, instanceId: string): void {
  process.stdout.write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [[METRIC_DIMENSION]],
            Metrics: [{ Name: ABANDONED_LAUNCHES_METRIC, Unit: 'Count' }],
          },
        ],
      },
      [METRIC_DIMENSION]: cfg.allocationId,
      InstanceId: instanceId,
      [ABANDONED_LAUNCHES_METRIC]: 1,
    }) + '\n',
  );
}

function eventTime(event: LifecycleEvent): number | undefined {
  const ms = event.time ? Date.parse(event.time) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function log(result: LifecycleResult): LifecycleResult {
  console.log(JSON.stringify({ message: 'lifecycle action', ...result }));
  return result;
}
