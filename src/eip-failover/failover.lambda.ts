/*
 * Moves the Elastic IP of an ElasticIpFailoverInstance from an unhealthy instance to the other one.
 *
 * Invoked asynchronously (reserved concurrency 1, so one failover at a time) by
 *  - EventBridge, for "EC2 Instance State-change Notification" events (stopping, stopped,
 *    shutting-down, terminated) of either instance, and
 *  - CloudWatch alarm actions, when a status-check or CPU alarm of either instance goes to ALARM.
 *
 * The hot path (the instance holding the EIP fails, the other one is running and healthy) makes five
 * EC2 calls: DescribeAddresses, DescribeInstanceStatus, AssociateAddress and two CreateTags (one per
 * role). An event about the instance that does not hold the EIP, or a duplicate delivered after the
 * EIP moved, costs one call (DescribeAddresses) and changes nothing.
 *
 * Imports only the AWS SDK v3 (provided by the Lambda runtime) and nothing from aws-cdk-lib.
 */
import {
  AssociateAddressCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  InstanceStatus,
  StartInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { emitFailoverMetric, errorText, sleep, withRetries } from './handler-support';

/** The environment the construct sets. */
interface Config {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly instanceIds: [string, string];
  readonly topicArn: string;
  readonly roleTagKey: string;
  readonly metricNamespace: string;
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetries: number;
}

/** An EventBridge EC2 state-change event. */
export interface StateChangeEvent {
  readonly source: 'aws.ec2';
  readonly 'detail-type': string;
  readonly time?: string;
  readonly detail: { readonly 'instance-id': string; readonly state: string };
}

/** The event a CloudWatch Lambda alarm action delivers. */
export interface AlarmEvent {
  readonly source: 'aws.cloudwatch';
  readonly alarmArn?: string;
  readonly time?: string;
  readonly alarmData: {
    readonly alarmName: string;
    readonly state: { readonly value: string; readonly reason?: string; readonly timestamp?: string };
    readonly configuration?: {
      readonly metrics?: {
        readonly metricStat?: {
          readonly metric?: { readonly name?: string; readonly dimensions?: Record<string, string> };
        };
      }[];
    };
  };
}

export type FailoverEvent = StateChangeEvent | AlarmEvent;

/** What the handler did, returned for logs and tests. */
export interface FailoverResult {
  /** `moved`: the EIP now points at `to`; `ignored`: nothing to do; `both-unhealthy`: the EIP was left where it was. */
  readonly action: 'moved' | 'ignored' | 'both-unhealthy';
  readonly reason: string;
  readonly from?: string;
  readonly to?: string;
  readonly durationMs?: number;
}

/** States of an instance that cannot serve and will not come back without someone acting. */
const DOWN_STATES = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);
/** States of an instance that is gone for good. */
const GONE_STATES = new Set(['shutting-down', 'terminated']);

// Retries are done here (throttling and 5xx, exponential backoff with full jitter) rather than
// stacked on the SDK's own, so there is one retry budget to reason about.
const ec2 = new EC2Client({ maxAttempts: 1 });
const sns = new SNSClient({ maxAttempts: 1 });

function config(): Config {
  const env = process.env;
  const ids = (env.INSTANCE_IDS ?? '').split(',').filter((s) => s.length > 0);
  if (!env.ALLOCATION_ID || ids.length !== 2 || !env.TOPIC_ARN) {
    throw new Error('ALLOCATION_ID, INSTANCE_IDS (two, comma-separated) and TOPIC_ARN must be set');
  }
  return {
    allocationId: env.ALLOCATION_ID,
    publicIp: env.PUBLIC_IP ?? '',
    instanceIds: [ids[0], ids[1]],
    topicArn: env.TOPIC_ARN,
    roleTagKey: env.ROLE_TAG_KEY ?? 'FailoverRole',
    metricNamespace: env.METRIC_NAMESPACE ?? 'CdkHaPatterns/ElasticIpFailover',
    waitTimeoutMs: Number(env.WAIT_TIMEOUT_SECONDS ?? '480') * 1000,
    pollIntervalMs: Number(env.POLL_INTERVAL_MS ?? '5000'),
    retryBaseDelayMs: Number(env.RETRY_BASE_DELAY_MS ?? '200'),
    maxRetries: Number(env.MAX_RETRIES ?? '6'),
  };
}

export async function handler(event: FailoverEvent): Promise<FailoverResult> {
  const started = Date.now();
  const cfg = config();
  const subject = subjectOf(event);
  if (subject === undefined) {
    return log({ action: 'ignored', reason: 'not a state change or alarm event this function handles' });
  }
  if (!cfg.instanceIds.includes(subject.instanceId)) {
    return log({ action: 'ignored', reason: `event about ${subject.instanceId}, which is not one of this pair` });
  }
  if (!subject.unhealthy) {
    return log({ action: 'ignored', reason: `${subject.instanceId}: ${subject.what} is not a failure` });
  }

  // 1. Who holds the EIP now? Events about the other instance (the standby), and duplicates delivered
  //    after the EIP has already moved away from the subject, stop here.
  const addresses = await call(cfg, () =>
    ec2.send(new DescribeAddressesCommand({ AllocationIds: [cfg.allocationId] })),
  );
  const holder = addresses.Addresses?.[0]?.InstanceId;
  if (holder !== undefined && holder !== subject.instanceId) {
    return log({
      action: 'ignored',
      reason: `${subject.instanceId} (${subject.what}) does not hold the Elastic IP; ${holder} does`,
    });
  }
  const failed = subject.instanceId;
  const target = cfg.instanceIds[0] === failed ? cfg.instanceIds[1] : cfg.instanceIds[0];

  // 2. The state and status checks of both instances, in one call.
  const statuses = await call(cfg, () =>
    ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [failed, target], IncludeAllInstances: true })),
  );
  const failedStatus = statuses.InstanceStatuses?.find((s) => s.InstanceId === failed);
  const targetStatus = statuses.InstanceStatuses?.find((s) => s.InstanceId === target);

  // A state-change event older than the instance's current state (it was started again) is stale.
  if (subject.kind === 'state-change' && failedStatus && isServing(failedStatus)) {
    return log({
      action: 'ignored',
      reason: `${failed} reported ${subject.what} but is ${stateOf(failedStatus)} and healthy again`,
    });
  }

  // 3. Both unhealthy: say so, and leave the EIP where it is rather than flap between two bad instances.
  const targetState = targetStatus ? stateOf(targetStatus) : 'missing';
  if (!targetStatus || GONE_STATES.has(targetState) || isImpaired(targetStatus)) {
    const reason = `${failed} (${subject.what}) holds the Elastic IP and ${target} cannot take over (${describeStatus(targetStatus)})`;
    await notify(
      cfg,
      `Elastic IP ${cfg.publicIp || cfg.allocationId}: both instances unhealthy`,
      [
        `Both instances of the failover pair are unhealthy, so the Elastic IP was left where it is.`,
        ``,
        `Failed: ${failed} (${subject.what})`,
        `Other:  ${target} (${describeStatus(targetStatus)})`,
        `Elastic IP: ${cfg.publicIp || '(unknown)'} (${cfg.allocationId}), held by ${holder ?? 'no instance'}`,
        ``,
        `Recover one of the instances; its alarms and state changes will move the Elastic IP as needed.`,
      ].join('\n'),
    );
    return log({ action: 'both-unhealthy', reason, from: holder, to: undefined });
  }

  try {
    // 4. Bring the other instance up if it is not running (the stopped-standby option, or a standby
    //    that was stopped by hand), bounded by the wait timeout.
    const deadline = started + cfg.waitTimeoutMs;
    if (targetState === 'stopping') {
      await waitForState(cfg, target, 'stopped', deadline);
    }
    if (targetState === 'stopping' || targetState === 'stopped') {
      await call(cfg, () => ec2.send(new StartInstancesCommand({ InstanceIds: [target] })));
    }
    if (targetState !== 'running') {
      await waitForState(cfg, target, 'running', deadline);
    }

    // 5. Move the EIP; AllowReassociation takes it from the failed instance in the same call.
    await call(cfg, () =>
      ec2.send(
        new AssociateAddressCommand({ AllocationId: cfg.allocationId, InstanceId: target, AllowReassociation: true }),
      ),
    );
    const durationMs = Date.now() - started;

    // 6. Swap the role tags: the failed instance becomes the standby once it recovers.
    await Promise.all([
      call(cfg, () =>
        ec2.send(new CreateTagsCommand({ Resources: [target], Tags: [{ Key: cfg.roleTagKey, Value: 'primary' }] })),
      ),
      call(cfg, () =>
        ec2.send(new CreateTagsCommand({ Resources: [failed], Tags: [{ Key: cfg.roleTagKey, Value: 'standby' }] })),
      ),
    ]);

    emitMetric(cfg, durationMs, eventTime(event), target);
    await notify(
      cfg,
      `Elastic IP ${cfg.publicIp || cfg.allocationId} moved to ${target}`,
      [
        `The Elastic IP moved from ${failed} to ${target} in ${(durationMs / 1000).toFixed(1)} s.`,
        ``,
        `Trigger: ${subject.what} on ${failed}`,
        `${target} was ${targetState} and is now the primary; ${failed} is the standby once it recovers.`,
      ].join('\n'),
    );
    return log({ action: 'moved', reason: `${subject.what} on ${failed}`, from: failed, to: target, durationMs });
  } catch (e) {
    // Say what failed, then let the error surface: Lambda retries the event and then sends it to the DLQ.
    await notify(
      cfg,
      `Elastic IP ${cfg.publicIp || cfg.allocationId}: failover from ${failed} failed`,
      `Moving the Elastic IP from ${failed} to ${target} failed: ${errorText(e)}\nThe event will be retried, then kept in the dead-letter queue.`,
    ).catch((notifyError) =>
      console.error(JSON.stringify({ message: 'notification failed', error: errorText(notifyError) })),
    );
    throw e;
  }
}

interface Subject {
  readonly kind: 'state-change' | 'alarm';
  readonly instanceId: string;
  readonly unhealthy: boolean;
  /** For messages: `stopped`, `alarm StatusCheckFailed_Instance`. */
  readonly what: string;
}

function subjectOf(event: FailoverEvent): Subject | undefined {
  if (event?.source === 'aws.ec2' && event.detail?.['instance-id']) {
    const state = event.detail.state;
    return {
      kind: 'state-change',
      instanceId: event.detail['instance-id'],
      unhealthy: DOWN_STATES.has(state),
      what: state,
    };
  }
  if (event?.source === 'aws.cloudwatch' && event.alarmData) {
    const metric = event.alarmData.configuration?.metrics?.find((m) => m.metricStat?.metric?.dimensions?.InstanceId)
      ?.metricStat?.metric;
    const instanceId = metric?.dimensions?.InstanceId;
    if (!instanceId) return undefined;
    return {
      kind: 'alarm',
      instanceId,
      unhealthy: event.alarmData.state?.value === 'ALARM',
      what: `alarm ${metric?.name ?? event.alarmData.alarmName} ${event.alarmData.state?.value}`,
    };
  }
  return undefined;
}

function stateOf(status: InstanceStatus): string {
  return status.InstanceState?.Name ?? 'unknown';
}

function isImpaired(status: InstanceStatus): boolean {
  return status.InstanceStatus?.Status === 'impaired' || status.SystemStatus?.Status === 'impaired';
}

function isServing(status: InstanceStatus): boolean {
  return (stateOf(status) === 'running' || stateOf(status) === 'pending') && !isImpaired(status);
}

function describeStatus(status: InstanceStatus | undefined): string {
  if (!status) return 'not found';
  const checks = `instance checks ${status.InstanceStatus?.Status ?? 'n/a'}, system checks ${status.SystemStatus?.Status ?? 'n/a'}`;
  return `${stateOf(status)}, ${checks}`;
}

async function waitForState(
  cfg: Config,
  instanceId: string,
  wanted: 'running' | 'stopped',
  deadline: number,
): Promise<void> {
  for (;;) {
    const out = await call(cfg, () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
    const state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'unknown';
    if (state === wanted) return;
    if (GONE_STATES.has(state)) throw new Error(`${instanceId} became ${state} while waiting for it to be ${wanted}`);
    if (Date.now() + cfg.pollIntervalMs > deadline) {
      throw new Error(
        `${instanceId} was still ${state} after waiting ${cfg.waitTimeoutMs / 1000} s for it to be ${wanted}`,
      );
    }
    await sleep(cfg.pollIntervalMs);
  }
}

/** Runs an AWS call within this function's retry budget (see withRetries). */
function call<T>(cfg: Config, fn: () => Promise<T>): Promise<T> {
  return withRetries(cfg, fn);
}

async function notify(cfg: Config, subject: string, message: string): Promise<void> {
  await call(cfg, () =>
    sns.send(new PublishCommand({ TopicArn: cfg.topicArn, Subject: subject.slice(0, 99), Message: message })),
  );
}

function emitMetric(cfg: Config, durationMs: number, eventTimeMs: number | undefined, target: string): void {
  emitFailoverMetric({
    namespace: cfg.metricNamespace,
    allocationId: cfg.allocationId,
    newPrimary: target,
    durationMs,
    eventTimeMs,
  });
}

function eventTime(event: FailoverEvent): number | undefined {
  const text = event.source === 'aws.cloudwatch' ? (event.alarmData.state?.timestamp ?? event.time) : event.time;
  const ms = text ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function log(result: FailoverResult): FailoverResult {
  console.log(JSON.stringify({ message: 'failover decision', ...result }));
  return result;
}
