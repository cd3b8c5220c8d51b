/*
 * Moves the Elastic IP of an ElasticIpFailoverInstance from an unhealthy instance to the other one.
 *
 * Invoked asynchronously (reserved concurrency 1, so one failover at a time) by
 *  - EventBridge, for "EC2 Instance State-change Notification" events (stopping, stopped,
 *    shutting-down, terminated) of either instance,
 *  - CloudWatch alarm actions, when a status-check or CPU alarm of either instance goes to ALARM, and
 *  - CloudFormation, for the Custom::ElasticIpPlacement resource that takes the place of an
 *    AWS::EC2::EIPAssociation (see "Elastic IP placement" below): it puts the Elastic IP on the
 *    primary when the stack is created and, when a deployment replaces an instance, keeps it on a
 *    running instance of the new pair and releases the old instance's termination protection; with
 *    StandbyState.STOPPED it then stops the standby it created (see "Stopping the standby").
 *
 * The hot path (the instance holding the EIP fails, the other one is running and healthy) makes five
 * EC2 calls in three round trips: DescribeAddresses and DescribeInstanceStatus sent together, then
 * AssociateAddress (the move), then two CreateTags (one per role) together, after the move. An event
 * about the instance that does not hold the EIP, or a duplicate delivered after the EIP moved, costs
 * the two reads and changes nothing.
 *
 * Imports only the AWS SDK v3 (provided by the Lambda runtime), its retry strategy (bundled), its own
 * helpers and the contract it shares with the construct, and nothing from aws-cdk-lib.
 */
import {
  AssociateAddressCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  InstanceStatus,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  FAILED_STATES,
  FailoverEnvironment,
  FailoverRole,
  HEALTH_PROBE_FAILED_METRIC,
  METRIC_DIMENSION,
  PlacementResourceProperties,
  PRIMARY_ROLE,
  ROLE_TAG,
  STANDBY_ROLE,
} from './contract';
import { emitFailoverMetric, environment, errorText, retryingClientConfig, sleep } from './handler-support';
import {
  CustomResourceEvent,
  CustomResourceResponse,
  HandlerContext,
  putResponse,
  requiredString,
  respond,
  ResponseSender,
} from '../common/cfn-response';

/** The environment the construct sets (FailoverEnvironment), read. */
interface Config {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly instanceIds: [string, string];
  readonly topicArn: string;
  readonly roleTagKey: string;
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
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
const DOWN_STATES = new Set(FAILED_STATES);
/** States of an instance that is gone for good. */
const GONE_STATES = new Set(['shutting-down', 'terminated']);

// The SDK retries throttling and transient errors (see retryingClientConfig): one retry budget per call.
const ec2 = new EC2Client(retryingClientConfig());
const sns = new SNSClient(retryingClientConfig());

function config(): Config {
  const env = environment<FailoverEnvironment>();
  const ids = (env.INSTANCE_IDS ?? '').split(',').filter((s) => s.length > 0);
  if (!env.ALLOCATION_ID || ids.length !== 2 || !env.TOPIC_ARN) {
    throw new Error('ALLOCATION_ID, INSTANCE_IDS (two, comma-separated) and TOPIC_ARN must be set');
  }
  return {
    allocationId: env.ALLOCATION_ID,
    publicIp: env.PUBLIC_IP ?? '',
    instanceIds: [ids[0], ids[1]],
    topicArn: env.TOPIC_ARN,
    roleTagKey: env.ROLE_TAG_KEY ?? ROLE_TAG,
    waitTimeoutMs: Number(env.WAIT_TIMEOUT_SECONDS ?? '480') * 1000,
    pollIntervalMs: Number(env.POLL_INTERVAL_MS ?? '5000'),
  };
}

/**
 * The entry point: a CloudFormation custom resource request places the Elastic IP (see
 * `handlePlacement`); any other event is a possible failure of one of the instances.
 */
export async function handler(event: CustomResourceEvent, context?: HandlerContext): Promise<CustomResourceResponse>;
export async function handler(event: FailoverEvent, context?: HandlerContext): Promise<FailoverResult>;
export async function handler(
  event: FailoverEvent | CustomResourceEvent,
  context?: HandlerContext,
): Promise<FailoverResult | CustomResourceResponse> {
  if (isCustomResourceEvent(event)) {
    return handlePlacement(event, context);
  }
  return failover(event);
}

async function failover(event: FailoverEvent): Promise<FailoverResult> {
  const started = Date.now();
  const cfg = config();
  const subject = subjectOf(event);
  if (subject === undefined) {
    return log({ action: 'ignored', reason: 'not a state change or alarm event this function handles' });
  }
  if (subject.kind === 'probe' && subject.allocationId !== cfg.allocationId) {
    return log({ action: 'ignored', reason: `health probe of ${subject.allocationId}, not of this pair's Elastic IP` });
  }
  if (subject.instanceId !== undefined && !cfg.instanceIds.includes(subject.instanceId)) {
    return log({ action: 'ignored', reason: `event about ${subject.instanceId}, which is not one of this pair` });
  }
  if (!subject.unhealthy) {
    return log({
      action: 'ignored',
      reason: `${subject.instanceId ?? 'health probe'}: ${subject.what} is not a failure`,
    });
  }

  // 1. Who holds the EIP now, and the state and status checks of both instances: two reads sent
  //    together, so the move follows one round trip later instead of two. Events about the other
  //    instance (the standby), and duplicates delivered after the EIP has already moved away from
  //    the subject, stop once both have answered; they change nothing. A failed health probe is
  //    about the service behind the Elastic IP, so its subject is the instance holding it.
  const [first, second] =
    subject.instanceId === undefined || subject.instanceId === cfg.instanceIds[0]
      ? cfg.instanceIds
      : [cfg.instanceIds[1], cfg.instanceIds[0]];
  const [addresses, statuses] = await Promise.all([
    ec2.send(new DescribeAddressesCommand({ AllocationIds: [cfg.allocationId] })),
    ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [first, second], IncludeAllInstances: true })),
  ]);
  const holder = addresses.Addresses?.[0]?.InstanceId;
  if (subject.instanceId === undefined && (holder === undefined || !cfg.instanceIds.includes(holder))) {
    return log({
      action: 'ignored',
      reason: `${subject.what}, but ${holder === undefined ? 'no instance' : `${holder}, not one of this pair,`} holds the Elastic IP`,
    });
  }
  const failed = subject.instanceId ?? holder!;
  const target = cfg.instanceIds[0] === failed ? cfg.instanceIds[1] : cfg.instanceIds[0];
  if (holder !== undefined && holder !== failed) {
    return log({
      action: 'ignored',
      reason: `${failed} (${subject.what}) does not hold the Elastic IP; ${holder} does`,
    });
  }

  // 2. Decide from the statuses read.
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
      await ec2.send(new StartInstancesCommand({ InstanceIds: [target] }));
    }
    if (targetState !== 'running') {
      await waitForState(cfg, target, 'running', deadline);
    }

    // 5. Move the EIP; AllowReassociation takes it from the failed instance in the same call.
    await ec2.send(
      new AssociateAddressCommand({ AllocationId: cfg.allocationId, InstanceId: target, AllowReassociation: true }),
    );
    const durationMs = Date.now() - started;

    // 6. Swap the role tags: the failed instance becomes the standby once it recovers.
    await Promise.all([
      ec2.send(new CreateTagsCommand({ Resources: [target], Tags: [{ Key: cfg.roleTagKey, Value: PRIMARY_ROLE }] })),
      ec2.send(new CreateTagsCommand({ Resources: [failed], Tags: [{ Key: cfg.roleTagKey, Value: STANDBY_ROLE }] })),
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
  readonly kind: 'state-change' | 'alarm' | 'probe';
  /** The instance the event is about; none for the health probe (it is about the Elastic IP's holder). */
  readonly instanceId?: string;
  /** The Elastic IP the health probe checked. */
  readonly allocationId?: string;
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
    const probe = event.alarmData.configuration?.metrics?.find(
      (m) => m.metricStat?.metric?.name === HEALTH_PROBE_FAILED_METRIC,
    )?.metricStat?.metric;
    if (probe) {
      return {
        kind: 'probe',
        allocationId: probe.dimensions?.[METRIC_DIMENSION],
        unhealthy: event.alarmData.state?.value === 'ALARM',
        what: `health probe ${event.alarmData.state?.value === 'ALARM' ? 'failed' : event.alarmData.state?.value}`,
      };
    }
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
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
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

async function notify(cfg: Config, subject: string, message: string): Promise<void> {
  await sns.send(new PublishCommand({ TopicArn: cfg.topicArn, Subject: subject.slice(0, 99), Message: message }));
}

function emitMetric(cfg: Config, durationMs: number, eventTimeMs: number | undefined, target: string): void {
  emitFailoverMetric({
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

// ---------------------------------------------------------------------------------------------
// Elastic IP placement: the Custom::ElasticIpPlacement resource
//
// The Elastic IP's holder is run-time state that the failover function owns, so no template
// resource pins it to an instance (an AWS::EC2::EIPAssociation would move it back to the original
// primary whenever a deployment replaced the association). This resource only acts when a
// deployment creates the pair or changes its instance ids (one instance replaced):
//  - Create: the Elastic IP goes on the primary (waiting for it to run), unless an instance of the
//    pair already holds it and serves; both instances get termination protection (when the
//    construct keeps it on: the template creates them unprotected, see below).
//  - Update: if the holder is an instance of the new pair and serves, it stays; otherwise it moves
//    to the instance of the new pair that was also in the old pair, if it serves (or, with
//    StandbyState.STOPPED, if it is the standby kept stopped by design: started first), else to a
//    new instance of the pair. The role tags follow the holder. An instance that joined the pair
//    gets termination protection (the template creates instances unprotected, so that a deployment
//    failing before this point can delete the instance it created; and a rollback brings back an
//    instance the forward update released),
//    then each old instance that left the pair has it turned off, so CloudFormation's cleanup (which
//    runs after every update) can terminate it; with the protection on it would be left running.
//  - Delete: nothing (the Elastic IP's own resource releases it).
// With StandbyState.STOPPED (StandbyStoppedAfterCreation), a Create or an Update that brings a new
// standby (the instance created as standby was replaced) then stops that standby, and an Update
// that switches the setting on stops the standby the pair has; see "Stopping the standby" below.
// It never gives the Elastic IP to an instance that is not running (nor starts one that stopped by
// itself), and fails, so the deployment rolls back with the old holder still in place, when no
// instance of the new pair can take it. Duplicates and retries find the work done and do nothing
// more than release the protection again.

/** A property of the placement resource (PlacementResourceProperties). */
type PlacementProperty = keyof PlacementResourceProperties;

/** How long before the function's own timeout the placement gives up and answers FAILED. */
const RESPONSE_MARGIN_MS = 20_000;

/** The properties of the custom resource, as the construct sets them. */
export interface PlacementProperties {
  readonly allocationId: string;
  readonly primaryInstanceId: string;
  readonly standbyInstanceId: string;
  /**
   * With `StandbyState.STOPPED` a new standby is stopped right after it is created: never give it
   * the Elastic IP. The placement stops it (see `decideStandbyStop`).
   */
  readonly standbyStoppedAfterCreation: boolean;
  /** Whether the instances have termination protection (`terminationProtection`). */
  readonly terminationProtection: boolean;
}

/** One instance of the pair as the placement reads it. */
export interface InstanceView {
  /** The EC2 state name, or `missing` when EC2 does not know the instance. */
  readonly state: string;
  /** A failed instance or system status check. */
  readonly impaired: boolean;
  /** The value of its role tag, if it has one. */
  readonly role?: string;
}

/** What the placement reads before it decides. */
export interface PlacementWorld {
  /** The instance the Elastic IP is associated with, if any. */
  readonly holder?: string;
  /** The instances of the (new) pair. */
  readonly instances: { readonly [instanceId: string]: InstanceView };
}

/** What the placement does, in this order. */
export interface PlacementPlan {
  /** The instance that holds the Elastic IP afterwards. */
  readonly target: string;
  /** Start it (it is stopped or stopping) and wait until it runs, before the Elastic IP moves to it. */
  readonly start: boolean;
  /** Wait until it runs (it is pending). */
  readonly wait: boolean;
  /** Associate the Elastic IP with it (it does not hold it yet). */
  readonly associate: boolean;
  /** Role tags to write: only those that differ from the instance's current tag. */
  readonly tags: { readonly instanceId: string; readonly role: FailoverRole }[];
  /**
   * Instances that joined the pair (both on Create), whose termination protection is turned on
   * (when the construct keeps it on): the template creates instances unprotected, and a rollback
   * brings back an old instance whose protection the forward update had released.
   */
  readonly protect: string[];
  /** Old instances that left the pair: their termination protection is turned off. */
  readonly release: string[];
  /**
   * With `StandbyState.STOPPED`: the instance created as standby, to be stopped last, when it is new
   * to the pair (or the setting was just switched on) and is not `target`. Whether it is stopped is
   * decided again from a fresh read of the world just before (`decideStandbyStop`).
   */
  readonly stop?: string;
  /** For logs and the failure message. */
  readonly reason: string;
}

/** The outcome of one request, returned for logs and tests. */
export interface PlacementResult {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  /**
   * `unchanged`: an Update whose instance ids did not change, answered without any call (unless it
   * switches `StandbyStoppedAfterCreation` on: then only the standby may be stopped, see `stop`).
   */
  readonly action: 'placed' | 'unchanged' | 'deleted';
  readonly plan?: PlacementPlan;
  /** What was decided (and done) about stopping the standby, when that was considered. */
  readonly stop?: StopDecision;
}

/**
 * Decides where the Elastic IP goes, from what was read. Pure: no calls. `previous` is the old
 * properties of an Update (undefined for a Create). Throws when no instance of the pair can take it.
 */
export function decidePlacement(
  props: PlacementProperties,
  previous: PlacementProperties | undefined,
  world: PlacementWorld,
): PlacementPlan {
  const pair = [props.primaryInstanceId, props.standbyInstanceId];
  const oldPair = previous ? [previous.primaryInstanceId, previous.standbyInstanceId] : [];
  const release = oldPair.filter((id) => !pair.includes(id));
  // Termination protection is switched on here, not in the template: an instance a deployment
  // creates stays unprotected until the deployment reaches this resource, so a deployment that fails
  // before it can roll the new instance back (delete it) instead of leaving it running.
  const protect = props.terminationProtection ? pair.filter((id) => !oldPair.includes(id)) : [];
  const view = (id: string): InstanceView => world.instances[id] ?? { state: 'missing', impaired: false };
  const newStandby = !oldPair.includes(props.standbyInstanceId);

  const holder = world.holder;
  let target: string | undefined;
  let reason: string;
  if (holder !== undefined && pair.includes(holder) && isUp(view(holder))) {
    target = holder;
    reason = `${holder} holds the Elastic IP, is in the pair and ${view(holder).state}: it stays there`;
  } else {
    // In order: an instance that stays from the old pair and serves (it was serving before); the
    // standby kept stopped by design (StandbyState.STOPPED), started first; a new instance that
    // serves. Never an instance that stopped by itself (it failed, or someone stopped it), and never
    // a new standby that is about to be stopped.
    const survivors = pair.filter((id) => oldPair.includes(id));
    const newcomers = pair.filter((id) => !oldPair.includes(id));
    const stoppedByDesign = (id: string) =>
      props.standbyStoppedAfterCreation &&
      id === props.standbyInstanceId &&
      CAN_START.has(view(id).state) &&
      !view(id).impaired;
    const aboutToBeStopped = (id: string) =>
      props.standbyStoppedAfterCreation && newStandby && id === props.standbyInstanceId;
    const usable = [
      ...survivors.filter((id) => isUp(view(id))),
      ...survivors.filter(stoppedByDesign),
      ...newcomers.filter((id) => isUp(view(id)) && !aboutToBeStopped(id)),
    ];
    const why =
      holder === undefined
        ? 'no instance holds the Elastic IP'
        : `${holder} (${holderState(holder, pair, view)}) holds the Elastic IP`;
    if (usable.length === 0) {
      throw new Error(
        `${why}, and no instance of the pair can take it: ${pair.map((id) => `${id} ${describeView(view(id))}`).join(', ')}` +
          (props.standbyStoppedAfterCreation && newStandby
            ? ` (the new standby ${props.standbyInstanceId} is stopped after creation, so it cannot take it)`
            : '') +
          '. Recover or replace the instance that does not hold the Elastic IP first.',
      );
    }
    target = usable[0];
    reason = `${why}: it moves to ${target} (${view(target).state})`;
  }

  const state = view(target).state;
  const start = CAN_START.has(state);
  const wait = !start && state !== 'running';
  const other = pair.find((id) => id !== target)!;
  const tags: PlacementPlan['tags'] = [];
  if (view(target).role !== PRIMARY_ROLE) tags.push({ instanceId: target, role: PRIMARY_ROLE });
  if (other !== target && view(other).role !== STANDBY_ROLE) tags.push({ instanceId: other, role: STANDBY_ROLE });
  const stop =
    props.standbyStoppedAfterCreation &&
    (newStandby || switchedOn(props, previous)) &&
    target !== props.standbyInstanceId
      ? props.standbyInstanceId
      : undefined;
  return { target, start, wait, associate: holder !== target, tags, protect, release, stop, reason };
}

/** An Update that turns `StandbyStoppedAfterCreation` on (StandbyState.RUNNING to STOPPED). */
function switchedOn(props: PlacementProperties, previous: PlacementProperties | undefined): boolean {
  return previous !== undefined && !previous.standbyStoppedAfterCreation && props.standbyStoppedAfterCreation;
}

// ---------------------------------------------------------------------------------------------
// Stopping the standby (StandbyState.STOPPED)
//
// The placement, not a resource of its own, stops the standby: it runs exactly when a standby is
// new (the pair is created, or the instance created as standby is replaced), after the Elastic IP
// is placed, inside the one-at-a-time failover function (reserved concurrency 1), so no failover
// runs between its read of the world and its stop. It decides from the world, read again just
// before it acts, never from the template alone: after a failover the instance created as standby
// may be the one serving. A retry or a duplicate finds the standby stopped and does nothing.

/** What the placement does about the standby it may stop. */
export interface StopDecision {
  /**
   * `stop`: StopInstances now; `wait`: it is still pending, wait until it runs and decide again;
   * `leave`: nothing is stopped (already stopped, gone, serving, or no healthy instance serves).
   */
  readonly action: 'stop' | 'wait' | 'leave';
  readonly instanceId: string;
  /** For logs. */
  readonly reason: string;
}

/**
 * Whether `instanceId` may be stopped now, from what was read. Pure. It is stopped only when it is
 * an instance of the pair, running, tagged standby, does not hold the Elastic IP, and the instance
 * that holds it is of the pair and serves (running or pending, status checks not failed):
 * stopping the last instance that could serve, or one a failover may need next, is never done.
 */
export function decideStandbyStop(instanceId: string, pair: readonly string[], world: PlacementWorld): StopDecision {
  const leave = (reason: string): StopDecision => ({ action: 'leave', instanceId, reason });
  const view = world.instances[instanceId];
  if (!pair.includes(instanceId)) return leave(`${instanceId} is not an instance of the pair`);
  if (view === undefined || GONE_STATES.has(view.state) || view.state === 'missing') {
    return leave(`${instanceId} is ${view?.state ?? 'missing'}: nothing to stop`);
  }
  if (world.holder === instanceId) return leave(`${instanceId} holds the Elastic IP: it serves`);
  if (view.role !== STANDBY_ROLE) {
    return leave(
      `${instanceId} is tagged ${view.role ?? 'with no role'}, not ${STANDBY_ROLE}: a failover may have made it the one serving`,
    );
  }
  const holder = world.holder;
  const holderView = holder === undefined ? undefined : world.instances[holder];
  if (holder === undefined || !pair.includes(holder) || holderView === undefined) {
    return leave(
      `${holder ?? 'no instance'} holds the Elastic IP, not an instance of the pair: ${instanceId} is kept as it is`,
    );
  }
  if (!isUp(holderView)) {
    return leave(
      `the holder ${holder} is ${describeView(holderView)}: ${instanceId} is kept as it is for the failover`,
    );
  }
  if (view.state === 'stopped' || view.state === 'stopping') return leave(`${instanceId} is already ${view.state}`);
  if (view.state === 'pending') return { action: 'wait', instanceId, reason: `${instanceId} is pending` };
  if (view.state === 'running') {
    return { action: 'stop', instanceId, reason: `${instanceId} is the standby and ${holder} serves` };
  }
  return leave(`${instanceId} is ${view.state}`);
}

/** Serving or about to: running or pending, and no failed status check. */
function isUp(v: InstanceView): boolean {
  return (v.state === 'running' || v.state === 'pending') && !v.impaired;
}

/** States from which StartInstances brings an instance back (stopping: once it has stopped). */
const CAN_START = new Set(['stopped', 'stopping']);

function holderState(holder: string, pair: string[], view: (id: string) => InstanceView): string {
  return pair.includes(holder) ? describeView(view(holder)) : 'no longer in the pair';
}

function describeView(v: InstanceView): string {
  return v.impaired ? `${v.state}, status check failed` : v.state;
}

function isCustomResourceEvent(event: unknown): event is CustomResourceEvent {
  const e = event as { RequestType?: unknown; ResponseURL?: unknown };
  return typeof e?.RequestType === 'string' && typeof e?.ResponseURL === 'string';
}

/**
 * Answers one CloudFormation request for the Custom::ElasticIpPlacement resource: does the work,
 * then PUTs SUCCESS or FAILED (with the reason) to the response URL. Gives up and answers FAILED
 * before the function would time out, so CloudFormation never waits for an answer that cannot come.
 */
export async function handlePlacement(
  event: CustomResourceEvent,
  context?: HandlerContext,
  send: ResponseSender = putResponse,
): Promise<CustomResourceResponse> {
  const started = Date.now();
  const ctx: HandlerContext = context ?? {
    logStreamName: 'unknown',
    getRemainingTimeInMillis: () =>
      Number(environment<FailoverEnvironment>().WAIT_TIMEOUT_SECONDS ?? '480') * 1000 + 2 * RESPONSE_MARGIN_MS,
  };
  const budgetMs = Math.max(0, ctx.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
  return respond(
    event,
    ctx,
    async () => {
      // Past the budget the answer is FAILED; the abandoned work must not act afterwards (a frozen
      // Lambda environment resumes it on its next invocation), so every step checks it is still wanted.
      let abandoned = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned = true;
          reject(new Error(`the Elastic IP placement did not finish within ${Math.round(budgetMs / 1000)} s`));
        }, budgetMs);
      });
      try {
        const result = await Promise.race([place(event, started + budgetMs, () => !abandoned), timeout]);
        console.log(JSON.stringify({ message: 'elastic ip placement', ...result }));
        return { physicalResourceId: physicalIdOf(event) };
      } finally {
        clearTimeout(timer);
      }
    },
    send,
  );
}

/** Stable for the life of the resource: an Update never returns a new id (which CloudFormation would treat as a replacement). */
function physicalIdOf(event: CustomResourceEvent): string {
  if (event.PhysicalResourceId) return event.PhysicalResourceId;
  return `placement-${requiredString(event, 'AllocationId' satisfies PlacementProperty)}`;
}

function placementProperties(
  properties: { readonly [key: string]: unknown } | undefined,
): PlacementProperties | undefined {
  if (!properties) return undefined;
  const text = (name: PlacementProperty) => (typeof properties[name] === 'string' ? (properties[name] as string) : '');
  return {
    allocationId: text('AllocationId'),
    primaryInstanceId: text('PrimaryInstanceId'),
    standbyInstanceId: text('StandbyInstanceId'),
    standbyStoppedAfterCreation: text('StandbyStoppedAfterCreation') === 'true',
    terminationProtection: text('TerminationProtection') !== 'false',
  };
}

async function place(event: CustomResourceEvent, deadline: number, wanted: () => boolean): Promise<PlacementResult> {
  if (event.RequestType === 'Delete') {
    return { requestType: 'Delete', action: 'deleted' };
  }
  const properties = event.ResourceProperties as Partial<PlacementResourceProperties>;
  const required = (name: PlacementProperty) => requiredString(event, name);
  const props: PlacementProperties = {
    allocationId: required('AllocationId'),
    primaryInstanceId: required('PrimaryInstanceId'),
    standbyInstanceId: required('StandbyInstanceId'),
    standbyStoppedAfterCreation: properties.StandbyStoppedAfterCreation === 'true',
    terminationProtection: properties.TerminationProtection !== 'false',
  };
  if (props.primaryInstanceId === props.standbyInstanceId) {
    throw new Error(`PrimaryInstanceId and StandbyInstanceId must differ, both are ${props.primaryInstanceId}`);
  }
  const previous = event.RequestType === 'Update' ? placementProperties(event.OldResourceProperties) : undefined;
  if (
    previous &&
    previous.allocationId === props.allocationId &&
    previous.primaryInstanceId === props.primaryInstanceId &&
    previous.standbyInstanceId === props.standbyInstanceId
  ) {
    // The pair did not change: where the Elastic IP is stays the failover function's business. A
    // switch to StandbyState.STOPPED stops the standby, if that is safe, and moves nothing.
    if (!switchedOn(props, previous)) return { requestType: 'Update', action: 'unchanged' };
    const stop = await stopStandby(config(), props, props.standbyInstanceId, deadline, wanted);
    return { requestType: 'Update', action: 'unchanged', stop };
  }

  const cfg = config();
  const world = await readWorld(cfg, props);
  const plan = decidePlacement(props, previous, world);
  const stop = await carryOut(cfg, props, world, plan, deadline, wanted);
  return { requestType: event.RequestType, action: 'placed', plan, stop };
}

async function readWorld(cfg: Config, props: PlacementProperties): Promise<PlacementWorld> {
  const ids = [props.primaryInstanceId, props.standbyInstanceId];
  const [addresses, described, statuses] = await Promise.all([
    ec2.send(new DescribeAddressesCommand({ AllocationIds: [props.allocationId] })),
    ec2.send(new DescribeInstancesCommand({ InstanceIds: ids })),
    ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true })),
  ]);
  const instances: { [id: string]: InstanceView } = {};
  for (const instance of (described.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    if (!instance.InstanceId || !ids.includes(instance.InstanceId)) continue;
    const status = statuses.InstanceStatuses?.find((st) => st.InstanceId === instance.InstanceId);
    instances[instance.InstanceId] = {
      state: instance.State?.Name ?? 'unknown',
      impaired: status !== undefined && isImpaired(status),
      role: instance.Tags?.find((t) => t.Key === cfg.roleTagKey)?.Value,
    };
  }
  return { holder: addresses.Addresses?.[0]?.InstanceId, instances };
}

async function carryOut(
  cfg: Config,
  props: PlacementProperties,
  world: PlacementWorld,
  plan: PlacementPlan,
  deadline: number,
  wanted: () => boolean,
): Promise<StopDecision | undefined> {
  const { target } = plan;
  const waitDeadline = Math.min(deadline, Date.now() + cfg.waitTimeoutMs);
  const step = () => {
    if (!wanted()) throw new Error('abandoned: the placement already answered FAILED');
  };
  if (plan.start) {
    if (world.instances[target]?.state === 'stopping') await waitForState(cfg, target, 'stopped', waitDeadline);
    step();
    await ec2.send(new StartInstancesCommand({ InstanceIds: [target] }));
  }
  if (plan.start || plan.wait) await waitForState(cfg, target, 'running', waitDeadline);
  if (plan.associate) {
    step();
    await ec2.send(
      new AssociateAddressCommand({ AllocationId: props.allocationId, InstanceId: target, AllowReassociation: true }),
    );
  }
  for (const tag of plan.tags) {
    step();
    await ec2.send(
      new CreateTagsCommand({ Resources: [tag.instanceId], Tags: [{ Key: cfg.roleTagKey, Value: tag.role }] }),
    );
  }
  for (const instanceId of plan.protect) {
    step();
    await setTerminationProtection(instanceId, true);
  }
  for (const instanceId of plan.release) {
    step();
    await setTerminationProtection(instanceId, false);
  }
  if (plan.associate && world.holder !== undefined) {
    await notify(
      cfg,
      `Elastic IP ${cfg.publicIp || props.allocationId} moved to ${target} by a deployment`,
      [
        `A deployment changed the instances of the failover pair, so the Elastic IP moved from ${world.holder} to ${target}.`,
        ``,
        plan.reason,
        plan.release.length > 0 ? `Leaving the pair (termination protection released): ${plan.release.join(', ')}` : '',
      ].join('\n'),
    ).catch((e) => console.error(JSON.stringify({ message: 'notification failed', error: errorText(e) })));
  }
  return plan.stop === undefined ? undefined : stopStandby(cfg, props, plan.stop, deadline, wanted);
}

/**
 * Stops the standby when a fresh read of the world says it is safe (`decideStandbyStop`), waiting
 * first for a pending one to run. An instance that left the stoppable states in the meantime, or
 * is gone, is left as it is; any other error fails the request.
 */
async function stopStandby(
  cfg: Config,
  props: PlacementProperties,
  instanceId: string,
  deadline: number,
  wanted: () => boolean,
): Promise<StopDecision> {
  const pair = [props.primaryInstanceId, props.standbyInstanceId];
  const decide = async () => decideStandbyStop(instanceId, pair, await readWorld(cfg, props));
  let decision = await decide();
  if (decision.action === 'wait') {
    await waitForState(cfg, instanceId, 'running', Math.min(deadline, Date.now() + cfg.waitTimeoutMs)).catch((e) =>
      console.warn(JSON.stringify({ message: 'standby did not reach running', instanceId, error: errorText(e) })),
    );
    decision = await decide();
    if (decision.action === 'wait') throw new Error(`${instanceId} is still pending: the standby was not stopped`);
  }
  if (decision.action === 'stop') {
    if (!wanted()) throw new Error('abandoned: the placement already answered FAILED');
    try {
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (e) {
      if (!GONE_ERRORS.has((e as { name?: string })?.name ?? '')) throw e;
      decision = { action: 'leave', instanceId, reason: `StopInstances: ${errorText(e)}` };
    }
  }
  console.log(JSON.stringify({ message: 'standby stop', ...decision }));
  return decision;
}

/** Errors of ModifyInstanceAttribute on an old instance that is already gone: nothing left to release. */
const GONE_ERRORS = new Set(['InvalidInstanceID.NotFound', 'IncorrectInstanceState']);

async function setTerminationProtection(instanceId: string, on: boolean): Promise<void> {
  try {
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: on } }),
    );
  } catch (e) {
    if (on || !GONE_ERRORS.has((e as { name?: string })?.name ?? '')) throw e;
    console.log(JSON.stringify({ message: 'instance already gone', instanceId, error: errorText(e) }));
  }
}
