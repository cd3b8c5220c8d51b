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
 * Properties: ApplicationName, LiveEnvironmentName, IdleEnvironmentName, PollIntervalSeconds
 * (optional, default 15). Attributes: LiveCname, IdleCname, Swapped ("true"/"false").
 *
 * Imports only the AWS SDK v3, its own helpers and the contract it shares with the construct.
 */
import {
  DescribeEnvironmentsCommand,
  ElasticBeanstalkClient,
  EnvironmentDescription,
  SwapEnvironmentCNAMEsCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import { CnameSwapAttributes, CnameSwapProperties, DEFAULT_CNAME_SWAP_POLL_INTERVAL_SECONDS } from './contract';
import {
  CustomResourceEvent,
  CustomResourceResult,
  HandlerContext,
  requiredString,
  respond,
} from '../common/cfn-response';

const client = new ElasticBeanstalkClient({});

/** Time left for the response after the last poll. */
const RESPONSE_MARGIN_MS = 30_000;

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
    onEvent(event, client, {
      deadline: Date.now() + context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS,
      pollIntervalMs:
        (Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_CNAME_SWAP_POLL_INTERVAL_SECONDS) * 1000,
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    }),
  );
}

export async function onEvent(
  event: CustomResourceEvent,
  eb: ElasticBeanstalkClient,
  wait: WaitOptions,
): Promise<CustomResourceResult> {
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
    log('swapping CNAMEs', { applicationName, live, idle, liveCname });
    await eb.send(new SwapEnvironmentCNAMEsCommand({ SourceEnvironmentName: idle, DestinationEnvironmentName: live }));
    swapped = true;
    envs = await waitUntilReady(eb, applicationName, [live, idle], wait);
    if (cnameOf(envs[live]) !== liveCname) {
      throw new Error(
        `After swapping CNAMEs, environment ${live} has ${cnameOf(envs[live])}, expected the live CNAME ${liveCname}`,
      );
    }
  } else {
    log('live environment already holds the live CNAME', { applicationName, live, liveCname });
  }
  const data: CnameSwapAttributes = { LiveCname: liveCname, IdleCname: cnameOf(envs[idle]), Swapped: String(swapped) };
  return { physicalResourceId: liveCname, data: { ...data } };
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

function cnameOf(env: EnvironmentDescription): string {
  return (env.CNAME ?? '').toLowerCase();
}

function log(message: string, fields: object): void {
  console.log(JSON.stringify({ level: 'info', message, ...fields }));
}
