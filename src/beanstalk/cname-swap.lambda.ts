/*
 * Custom resource handler behind Cutover.cnameSwap(): makes the live slot of a
 * BeanstalkEnvironmentPair hold the pair's live CNAME.
 *
 * The live CNAME is fixed when the resource is created (the CNAME the live environment has then)
 * and kept as the physical resource id, so clients always use the same domain name. On every
 * Create and Update the handler waits until both environments are Ready, swaps their CNAMEs
 * (SwapEnvironmentCNAMEs) only when the live environment does not hold the live CNAME yet, waits
 * for both to be Ready again and checks the result. Repeating it changes nothing: it is
 * idempotent. Delete leaves the environments as they are.
 *
 * A swap checks first and steps back after (each step only when its property is given): enhanced
 * health of the environment becoming live must be Ok (RequireHealthOk), an HTTP GET of it must
 * answer 2xx/3xx (HttpCheck), and none of its alarms may be in ALARM; otherwise the request fails
 * without swapping. After the swap it watches that environment's alarms (LiveAlarmNames) for
 * BakeSeconds; if one goes to ALARM it swaps back and fails. The decisions are pure functions
 * (cutover-decisions.ts); this module reads and acts.
 *
 * While the stack rolls back (DescribeStacks says UPDATE_ROLLBACK_IN_PROGRESS), a swap puts the
 * previous live slot back without checks or bake: it was serving before, and a check could only
 * make the rollback fail.
 *
 * Properties: ApplicationName, LiveEnvironmentName, IdleEnvironmentName, PollIntervalSeconds
 * (optional, default 15), RequireHealthOk, HttpCheck, LiveAlarmNames, BakeSeconds (optional).
 * Attributes: LiveCname, IdleCname, Swapped ("true"/"false").
 *
 * The same function serves Cutover.route53()'s check resources (Custom::BeanstalkCutoverCheck):
 * `Phase: before` checks the environment becoming live as a swap does before the record moves (the
 * record depends on it), and `Phase: after` watches its alarms for the bake time after the record
 * moved and fails if one fires, so that CloudFormation rolls the record back. Both act only on an
 * Update that changes LiveEnvironmentName, and not during a rollback.
 *
 * Imports only the AWS SDK v3, Node's HTTP clients, its own helpers and the contract it shares
 * with the construct.
 */
import * as http from 'http';
import * as https from 'https';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEnvironmentHealthCommand,
  DescribeEnvironmentsCommand,
  ElasticBeanstalkClient,
  EnvironmentDescription,
  SwapEnvironmentCNAMEsCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import {
  CnameSwapAttributes,
  CnameSwapProperties,
  CUTOVER_CHECK_RESOURCE_TYPE,
  CutoverCheckProperties,
  DEFAULT_CNAME_SWAP_POLL_INTERVAL_SECONDS,
} from './contract';
import {
  AlarmState,
  alarmsBeforeSwapVerdict,
  bakeEnd,
  bakeVerdict,
  cutoverCheckPlan,
  healthVerdict,
  isRollingBack,
  ProbeResult,
  probeVerdict,
  Verdict,
} from './cutover-decisions';
import {
  CustomResourceEvent,
  CustomResourceResult,
  HandlerContext,
  requiredString,
  respond,
} from '../common/cfn-response';

const client = new ElasticBeanstalkClient({});
const cloudwatchClient = new CloudWatchClient({});
const cloudformationClient = new CloudFormationClient({});

/** Time left for the response after the last poll. */
const RESPONSE_MARGIN_MS = 30_000;

/** Time kept after the bake to swap back and wait for both environments to be Ready again. */
export const SWAP_BACK_RESERVE_MS = 180_000;

/** How many times enhanced health is asked (one poll interval apart) before the swap fails. */
export const HEALTH_ATTEMPTS = 4;

/** How many times the HTTP check is tried, how long each may take, and the pause between them. */
export const PROBE_ATTEMPTS = 3;
export const PROBE_TIMEOUT_MS = 5_000;
export const PROBE_PAUSE_MS = 5_000;

/** An HTTP GET of a URL that resolves to what it saw (never rejects). */
export type HttpProbe = (url: string, timeoutMs: number) => Promise<ProbeResult>;

/** What the checks and the bake call beyond Elastic Beanstalk; injectable for tests. */
export interface CutoverClients {
  readonly cloudwatch: CloudWatchClient;
  readonly probe: HttpProbe;
  /** The status of the stack (DescribeStacks); defaults to the CloudFormation API. */
  readonly stackStatus?: (stackId: string) => Promise<string | undefined>;
}

/** The stack's status, from the CloudFormation API. */
export async function describeStackStatus(stackId: string): Promise<string | undefined> {
  const out = await cloudformationClient.send(new DescribeStacksCommand({ StackName: stackId }));
  return out.Stacks?.[0]?.StackStatus;
}

/** How the handler waits; injectable for tests. */
export interface WaitOptions {
  /** Epoch milliseconds after which waiting fails. */
  readonly deadline: number;
  /** Milliseconds between two polls. */
  readonly pollIntervalMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export async function handler(event: CustomResourceEvent, context: HandlerContext): Promise<void> {
  const properties = event.ResourceProperties as Partial<CnameSwapProperties>;
  const interval = Number(properties.PollIntervalSeconds ?? DEFAULT_CNAME_SWAP_POLL_INTERVAL_SECONDS);
  await respond(event, context, () =>
    onEvent(
      event,
      client,
      {
        deadline: Date.now() + context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS,
        pollIntervalMs:
          (Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_CNAME_SWAP_POLL_INTERVAL_SECONDS) * 1000,
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      { cloudwatch: cloudwatchClient, probe: httpProbe },
    ),
  );
}

export async function onEvent(
  event: CustomResourceEvent,
  eb: ElasticBeanstalkClient,
  wait: WaitOptions,
  cutover: CutoverClients = { cloudwatch: cloudwatchClient, probe: httpProbe },
): Promise<CustomResourceResult> {
  if (event.ResourceType === CUTOVER_CHECK_RESOURCE_TYPE) return onCutoverCheck(event, eb, wait, cutover);
  if (event.RequestType === 'Delete') {
    // The environments belong to the stack; leaving the CNAMEs where they are is the safe choice.
    return { physicalResourceId: event.PhysicalResourceId ?? event.LogicalResourceId };
  }
  const required = (name: keyof CnameSwapProperties) => requiredString(event, name);
  const applicationName = required('ApplicationName');
  const live = required('LiveEnvironmentName');
  const idle = required('IdleEnvironmentName');

  let envs = await waitUntilReady(eb, applicationName, [live, idle], wait);
  for (const name of [live, idle]) {
    // Worker environments have no CNAME: there is nothing to swap, and an empty live CNAME would
    // be an empty physical id, which CloudFormation refuses.
    if (cnameOf(envs[name]) === '') {
      throw new Error(`Environment ${name} has no CNAME: a CNAME swap needs two web server environments`);
    }
  }
  const previous = event.RequestType === 'Update' ? event.PhysicalResourceId : undefined;
  // The live CNAME is the one recorded by an earlier deployment, if one of the two environments
  // still has it; otherwise (first deployment, or an environment was replaced) the live one's.
  const liveCname =
    previous !== undefined && [cnameOf(envs[live]), cnameOf(envs[idle])].includes(previous.toLowerCase())
      ? previous.toLowerCase()
      : cnameOf(envs[live]);

  let swapped = false;
  if (cnameOf(envs[live]) !== liveCname) {
    const properties = event.ResourceProperties as Partial<CnameSwapProperties>;
    // A rollback puts back the slot that was live before: no checks, no bake.
    const rollingBack = isRollingBack(await (cutover.stackStatus ?? describeStackStatus)(event.StackId));
    const liveAlarms = rollingBack ? [] : (properties.LiveAlarmNames ?? []);
    if (rollingBack) {
      log('the stack is rolling back: swapping back without checks', { applicationName, live, idle });
    } else {
      await checkBeforeCutover(
        eb,
        cutover,
        wait,
        properties,
        live,
        cnameOf(envs[live]),
        liveAlarms,
        (reason) => new Error(`Did not swap the CNAMEs: ${reason}; the live CNAME stays where it was`),
      );
    }
    log('swapping CNAMEs', { applicationName, live, idle, liveCname });
    await eb.send(new SwapEnvironmentCNAMEsCommand({ SourceEnvironmentName: idle, DestinationEnvironmentName: live }));
    swapped = true;
    envs = await waitUntilReady(eb, applicationName, [live, idle], wait);
    if (cnameOf(envs[live]) !== liveCname) {
      throw new Error(
        `After swapping CNAMEs, environment ${live} has ${cnameOf(envs[live])}, expected the live CNAME ${liveCname}`,
      );
    }
    const bakeSeconds = Number(properties.BakeSeconds ?? 0);
    if (Number.isFinite(bakeSeconds) && bakeSeconds > 0 && liveAlarms.length > 0) {
      const firing = await bake(cutover.cloudwatch, wait, liveAlarms, bakeSeconds, SWAP_BACK_RESERVE_MS);
      if (firing.length > 0) {
        log('alarms fired during the bake: swapping back', { applicationName, live, idle, firing });
        await eb.send(
          new SwapEnvironmentCNAMEsCommand({ SourceEnvironmentName: live, DestinationEnvironmentName: idle }),
        );
        envs = await waitUntilReady(eb, applicationName, [live, idle], wait);
        throw new Error(
          `Alarm(s) of ${live} went to ALARM during the bake after the swap (${firing.join(', ')}): swapped the CNAMEs back, so ${idle} holds the live CNAME ${liveCname} again (now ${cnameOf(envs[idle])})`,
        );
      }
    }
  } else {
    log('live environment already holds the live CNAME', { applicationName, live, liveCname });
  }
  const data: CnameSwapAttributes = { LiveCname: liveCname, IdleCname: cnameOf(envs[idle]), Swapped: String(swapped) };
  return { physicalResourceId: liveCname, data: { ...data } };
}

/**
 * A Route 53 cutover's check resource: before the record moves, the checks a swap makes; after it,
 * the bake. Its physical id is its logical id, so an Update never replaces it.
 */
async function onCutoverCheck(
  event: CustomResourceEvent,
  eb: ElasticBeanstalkClient,
  wait: WaitOptions,
  cutover: CutoverClients,
): Promise<CustomResourceResult> {
  const physicalResourceId = event.PhysicalResourceId ?? event.LogicalResourceId;
  const properties = event.ResourceProperties as Partial<CutoverCheckProperties>;
  const previous = event.OldResourceProperties as Partial<CutoverCheckProperties> | undefined;
  const live = properties.LiveEnvironmentName ?? '';
  const cutoverUpdate = event.RequestType === 'Update' && previous?.LiveEnvironmentName !== live;
  const stackStatus = cutoverUpdate ? await (cutover.stackStatus ?? describeStackStatus)(event.StackId) : undefined;
  const plan = cutoverCheckPlan(event.RequestType, previous?.LiveEnvironmentName, live, stackStatus);
  if (!plan.act) {
    log('nothing to check', { phase: properties.Phase, reason: plan.reason });
    return { physicalResourceId };
  }
  const required = (name: keyof CutoverCheckProperties) => requiredString(event, name);
  const applicationName = required('ApplicationName');
  required('LiveEnvironmentName');
  const alarmNames = properties.LiveAlarmNames ?? [];
  if (properties.Phase === 'before') {
    const envs = await waitUntilReady(eb, applicationName, [live], wait);
    const cname = cnameOf(envs[live]);
    if (cname === '') {
      throw new Error(`Environment ${live} has no CNAME: a Route 53 cutover needs a web server environment`);
    }
    await checkBeforeCutover(
      eb,
      cutover,
      wait,
      properties,
      live,
      cname,
      alarmNames,
      (reason) => new Error(`Did not move the record to ${live}: ${reason}; it stays on the environment that was live`),
    );
    return { physicalResourceId };
  }
  if (properties.Phase !== 'after') throw new Error(`Phase must be before or after, not ${properties.Phase}`);
  const bakeSeconds = Number(properties.BakeSeconds ?? 0);
  if (Number.isFinite(bakeSeconds) && bakeSeconds > 0 && alarmNames.length > 0) {
    // Nothing to swap back: failing is the step back (CloudFormation rolls the record back).
    const firing = await bake(cutover.cloudwatch, wait, alarmNames, bakeSeconds, 0);
    if (firing.length > 0) {
      throw new Error(
        `Alarm(s) of ${live} went to ALARM during the bake after the record moved to it (${firing.join(', ')}): failing the deployment, so CloudFormation moves the record back to the environment that was live`,
      );
    }
  }
  return { physicalResourceId };
}

/**
 * Describes the environments until every one of them is Ready; fails when one is missing or
 * terminating, or when the deadline passes first.
 */
export async function waitUntilReady(
  eb: ElasticBeanstalkClient,
  applicationName: string,
  names: string[],
  wait: WaitOptions,
): Promise<{ [name: string]: EnvironmentDescription }> {
  const started = wait.now();
  for (;;) {
    const result = await eb.send(
      new DescribeEnvironmentsCommand({
        ApplicationName: applicationName,
        EnvironmentNames: names,
        IncludeDeleted: false,
      }),
    );
    const byName: { [name: string]: EnvironmentDescription } = {};
    for (const env of result.Environments ?? []) {
      if (env.EnvironmentName) byName[env.EnvironmentName] = env;
    }
    const notReady: string[] = [];
    for (const name of names) {
      const env = byName[name];
      if (env === undefined) {
        throw new Error(`Environment ${name} of application ${applicationName} does not exist`);
      }
      if (env.Status === 'Terminating' || env.Status === 'Terminated') {
        throw new Error(`Environment ${name} of application ${applicationName} is ${env.Status}`);
      }
      if (env.Status !== 'Ready') notReady.push(`${name} is ${env.Status}`);
    }
    if (notReady.length === 0) return byName;
    if (wait.now() + wait.pollIntervalMs > wait.deadline) {
      const seconds = Math.round((wait.now() - started) / 1000);
      throw new Error(
        `Timed out after ${seconds} s waiting for the environments of ${applicationName} to be Ready (${notReady.join(', ')}); deploy again once they are`,
      );
    }
    log('waiting for environments to be Ready', { notReady });
    await wait.sleep(wait.pollIntervalMs);
  }
}

/**
 * Fails (before the cutover) unless the environment becoming live passes every check its
 * properties ask for: enhanced health Ok, the HTTP check, and none of its alarms in ALARM.
 */
async function checkBeforeCutover(
  eb: ElasticBeanstalkClient,
  cutover: CutoverClients,
  wait: WaitOptions,
  properties: Partial<Pick<CnameSwapProperties, 'RequireHealthOk' | 'HttpCheck'>>,
  live: string,
  cname: string,
  alarmNames: string[],
  refuse: (reason: string) => Error,
): Promise<void> {
  if (properties.RequireHealthOk === 'true') {
    const verdict = await retry(HEALTH_ATTEMPTS, wait.pollIntervalMs, wait, async () => {
      const health = await eb.send(
        new DescribeEnvironmentHealthCommand({ EnvironmentName: live, AttributeNames: ['HealthStatus', 'Causes'] }),
      );
      return healthVerdict(live, health.HealthStatus, health.Causes ?? []);
    });
    if (verdict.verdict !== 'ok') throw refuse(verdict.reason);
  }
  if (properties.HttpCheck !== undefined) {
    const url = `${properties.HttpCheck.Scheme}://${cname}${properties.HttpCheck.Path}`;
    const verdict = await retry(PROBE_ATTEMPTS, PROBE_PAUSE_MS, wait, async () =>
      probeVerdict(url, await cutover.probe(url, PROBE_TIMEOUT_MS)),
    );
    if (verdict.verdict !== 'ok') throw refuse(verdict.reason);
  }
  if (alarmNames.length > 0) {
    const verdict = alarmsBeforeSwapVerdict(live, await alarmStates(cutover.cloudwatch, alarmNames));
    if (verdict.verdict !== 'ok') throw refuse(verdict.reason);
  }
}

/** Runs `check` up to `attempts` times, `pauseMs` apart, until it is not `retry`. */
async function retry(
  attempts: number,
  pauseMs: number,
  wait: WaitOptions,
  check: () => Promise<Verdict>,
): Promise<Verdict> {
  let verdict = await check();
  for (let attempt = 1; attempt < attempts && verdict.verdict === 'retry'; attempt++) {
    log('check not passed yet, trying again', { reason: verdict.reason, attempt });
    await wait.sleep(pauseMs);
    verdict = await check();
  }
  return verdict;
}

/**
 * Watches the alarms every poll interval for `bakeSeconds` (cut short so that `reserveMs`, the
 * time a swap back needs, still fits before the deadline); returns the alarms that went to ALARM,
 * none when the bake passed.
 */
async function bake(
  cw: CloudWatchClient,
  wait: WaitOptions,
  alarmNames: string[],
  bakeSeconds: number,
  reserveMs: number,
): Promise<string[]> {
  const end = bakeEnd(wait.now(), bakeSeconds, wait.deadline - reserveMs);
  log('baking: watching the alarms of the newly live environment', { alarmNames, bakeSeconds });
  for (;;) {
    const verdict = bakeVerdict(await alarmStates(cw, alarmNames), wait.now(), end);
    if (verdict.verdict === 'rollback') return verdict.firing;
    if (verdict.verdict === 'passed') return [];
    await wait.sleep(Math.max(0, Math.min(wait.pollIntervalMs, end - wait.now())));
  }
}

/** The state of each alarm (DescribeAlarms takes at most 100 names). */
async function alarmStates(cw: CloudWatchClient, alarmNames: string[]): Promise<AlarmState[]> {
  const result = await cw.send(
    new DescribeAlarmsCommand({ AlarmNames: alarmNames.slice(0, 100), AlarmTypes: ['MetricAlarm'] }),
  );
  return (result.MetricAlarms ?? []).map((a) => ({ name: a.AlarmName ?? '', state: a.StateValue ?? '' }));
}

/**
 * An HTTP(S) GET that resolves to the status code or the error. HTTPS does not verify the
 * certificate: the environment's own Elastic Beanstalk domain name is not one the user's
 * certificate covers, and the check sends nothing but the request line.
 */
export const httpProbe: HttpProbe = (url, timeoutMs) =>
  new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const request = get(url, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (e) => resolve({ error: e.message }));
  });

function cnameOf(env: EnvironmentDescription): string {
  return (env.CNAME ?? '').toLowerCase();
}

function log(message: string, fields: object): void {
  console.log(JSON.stringify({ level: 'info', message, ...fields }));
}
