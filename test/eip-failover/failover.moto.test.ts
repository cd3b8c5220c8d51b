import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type {
  AlarmEvent,
  FailoverEvent,
  FailoverResult,
  StateChangeEvent,
} from '../../src/eip-failover/failover.lambda';
import {
  callNames,
  handlerEnvironment,
  loadBundledHandler,
  MotoServer,
  NotificationInbox,
  RecordedCall,
} from '../support/moto-server';

// The bundled failover function (assets/eip-failover/failover.lambda/index.js) against moto's EC2
// and SNS: two instances in two zones, an Elastic IP on the primary, the notification topic. Each
// test reads back from moto where the Elastic IP is, the role tags and the instance states.

const ROLE_TAG = 'FailoverRole';

interface Handler {
  handler(event: FailoverEvent): Promise<FailoverResult>;
}

let moto: MotoServer;
let inbox: NotificationInbox;
let fn: Handler;
let ec2: EC2Client;
let sns: SNSClient;
const savedEnv = process.env;

interface World {
  readonly primary: string;
  readonly standby: string;
  readonly allocationId: string;
  readonly publicIp: string;
  readonly topicArn: string;
}
let world: World;

beforeAll(async () => {
  moto = await MotoServer.start();
  inbox = await NotificationInbox.start();
  ec2 = new EC2Client(moto.clientConfig());
  sns = new SNSClient(moto.clientConfig());
  // The function creates its SDK clients when it loads: the endpoint and region are set first.
  process.env = handlerEnvironment(moto.endpoint, {
    ROLE_TAG_KEY: ROLE_TAG,
    METRIC_NAMESPACE: 'CdkHaPatterns/ElasticIpFailover',
    WAIT_TIMEOUT_SECONDS: '20',
    POLL_INTERVAL_MS: '50',
    RETRY_BASE_DELAY_MS: '10',
  });
  fn = loadBundledHandler<Handler>('eip-failover/failover.lambda');
});

afterAll(async () => {
  process.env = savedEnv;
  ec2?.destroy();
  sns?.destroy();
  await inbox?.stop();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  inbox.clear();
  world = await createWorld();
  // What the construct sets (standby-instance.ts), with this world's ids.
  process.env.ALLOCATION_ID = world.allocationId;
  process.env.PUBLIC_IP = world.publicIp;
  process.env.INSTANCE_IDS = `${world.primary},${world.standby}`;
  process.env.TOPIC_ARN = world.topicArn;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

async function createWorld(): Promise<World> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnet = async (cidr: string, zone: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: cidr, AvailabilityZone: zone })))
      .Subnet!.SubnetId!;
  const subnetA = await subnet('10.0.0.0/24', 'eu-west-1a');
  const subnetB = await subnet('10.0.1.0/24', 'eu-west-1b');
  const instance = async (subnetId: string, role: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: ROLE_TAG, Value: role }] }],
        }),
      )
    ).Instances![0].InstanceId!;
  const primary = await instance(subnetA, 'primary');
  const standby = await instance(subnetB, 'standby');
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  await ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: primary }));
  const topic = await sns.send(new CreateTopicCommand({ Name: 'failover-notifications' }));
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'http', Endpoint: inbox.url }));
  return { primary, standby, allocationId: eip.AllocationId!, publicIp: eip.PublicIp!, topicArn: topic.TopicArn! };
}

function stateChange(instanceId: string, state: string): StateChangeEvent {
  return {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    time: new Date(Date.now() - 20_000).toISOString(),
    detail: { 'instance-id': instanceId, state },
  };
}

function alarm(instanceId: string, metric: string, value: string): AlarmEvent {
  return {
    source: 'aws.cloudwatch',
    alarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Server${metric}`,
    time: new Date().toISOString(),
    alarmData: {
      alarmName: `Server${metric}`,
      state: { value, reason: 'Threshold Crossed', timestamp: new Date(Date.now() - 60_000).toISOString() },
      configuration: {
        metrics: [
          {
            metricStat: {
              metric: { name: metric, dimensions: { InstanceId: instanceId } },
            },
          },
        ],
      },
    },
  };
}

/** Runs the handler; returns its result, the AWS calls it made (as moto received them) and its metric records. */
async function invoke(event: FailoverEvent) {
  const stdout: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  try {
    const { result, calls } = await moto.record(() => fn.handler(event));
    const metrics = stdout.filter((line) => line.startsWith('{"_aws"')).map((line) => JSON.parse(line));
    return { result, calls, metrics };
  } finally {
    write.mockRestore();
  }
}

async function holder(): Promise<string | undefined> {
  const out = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [world.allocationId] }));
  return out.Addresses?.[0]?.InstanceId;
}

/** Each instance's state and role tag, read from moto. */
async function instances(): Promise<Record<string, { state?: string; role?: string }>> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [world.primary, world.standby] }));
  const result: Record<string, { state?: string; role?: string }> = {};
  for (const instance of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    result[instance.InstanceId!] = {
      state: instance.State?.Name,
      role: instance.Tags?.find((t) => t.Key === ROLE_TAG)?.Value,
    };
  }
  return result;
}

function param(calls: RecordedCall[], action: string, name: string): (string | null)[] {
  return calls.filter((c) => c.action === action).map((c) => c.params.get(name));
}

/**
 * The calls in order, except the two reads the function sends together (DescribeAddresses and
 * DescribeInstanceStatus), which reach the server in either order: they come first, sorted.
 */
function hotPathNames(calls: Parameters<typeof callNames>[0]): string[] {
  const names = callNames(calls);
  const reads = ['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus'];
  const first = names.slice(0, 2);
  if (first.every((n) => reads.includes(n))) return [...first.sort(), ...names.slice(2)];
  return names;
}

describe('failover function against moto', () => {
  test('the primary stops: the Elastic IP moves to the running standby, the role tags swap, one notification', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.primary] }));

    const { result, calls, metrics } = await invoke(stateChange(world.primary, 'stopped'));

    expect(result).toMatchObject({ action: 'moved', from: world.primary, to: world.standby });
    expect(await holder()).toBe(world.standby);
    expect(await instances()).toEqual({
      [world.primary]: { state: 'stopped', role: 'standby' },
      [world.standby]: { state: 'running', role: 'primary' },
    });
    // The hot path: five EC2 calls (the two CreateTags run in parallel) and the notification.
    expect(hotPathNames(calls).slice(0, 3)).toEqual([
      'ec2:DescribeAddresses',
      'ec2:DescribeInstanceStatus',
      'ec2:AssociateAddress',
    ]);
    expect(hotPathNames(calls).slice(3, 5).sort()).toEqual(['ec2:CreateTags', 'ec2:CreateTags']);
    expect(hotPathNames(calls).slice(5)).toEqual(['sns:Publish']);
    expect(param(calls, 'AssociateAddress', 'AllowReassociation')).toEqual(['true']);
    expect(param(calls, 'DescribeInstanceStatus', 'IncludeAllInstances')).toEqual(['true']);
    expect(inbox.notifications).toEqual([
      {
        subject: `Elastic IP ${world.publicIp} moved to ${world.standby}`,
        message: expect.stringContaining(`The Elastic IP moved from ${world.primary} to ${world.standby}`),
      },
    ]);
    // The embedded-metric-format record, one line of stdout.
    expect(metrics).toEqual([
      expect.objectContaining({
        AllocationId: world.allocationId,
        NewPrimary: world.standby,
        FailoverDuration: expect.any(Number),
        TimeToRecovery: expect.any(Number),
      }),
    ]);
  });

  test('a duplicate of the same event, after the move, costs the two reads and changes nothing', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.primary] }));
    const event = stateChange(world.primary, 'stopped');
    await invoke(event);
    const before = await instances();
    inbox.clear();

    const { result, calls, metrics } = await invoke(event);

    expect(result).toMatchObject({ action: 'ignored' });
    expect(result.reason).toContain(`does not hold the Elastic IP; ${world.standby} does`);
    expect(hotPathNames(calls)).toEqual(['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus']);
    expect(await holder()).toBe(world.standby);
    expect(await instances()).toEqual(before);
    expect(inbox.notifications).toEqual([]);
    expect(metrics).toEqual([]);
  });

  test('a status check alarm on the running primary moves the Elastic IP; the alarm going back to OK does not', async () => {
    const { result } = await invoke(alarm(world.primary, 'StatusCheckFailed_Instance', 'ALARM'));

    expect(result).toMatchObject({ action: 'moved', from: world.primary, to: world.standby });
    expect(await holder()).toBe(world.standby);
    expect(await instances()).toEqual({
      [world.primary]: { state: 'running', role: 'standby' },
      [world.standby]: { state: 'running', role: 'primary' },
    });

    const ok = await invoke(alarm(world.standby, 'StatusCheckFailed_Instance', 'OK'));
    expect(ok.result).toMatchObject({ action: 'ignored' });
    expect(ok.calls).toEqual([]);
    expect(await holder()).toBe(world.standby);
  });

  test('the standby stops: it does not hold the Elastic IP, nothing changes', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.standby] }));

    const { result, calls } = await invoke(stateChange(world.standby, 'stopped'));

    expect(result).toMatchObject({ action: 'ignored' });
    expect(hotPathNames(calls)).toEqual(['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus']);
    expect(await holder()).toBe(world.primary);
    expect(await instances()).toEqual({
      [world.primary]: { state: 'running', role: 'primary' },
      [world.standby]: { state: 'stopped', role: 'standby' },
    });
  });

  test('a stopped standby is started, waited for, and then takes the Elastic IP', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.standby] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.primary] }));

    const { result, calls } = await invoke(stateChange(world.primary, 'stopped'));

    expect(result).toMatchObject({ action: 'moved', from: world.primary, to: world.standby });
    expect(await holder()).toBe(world.standby);
    expect(await instances()).toEqual({
      [world.primary]: { state: 'stopped', role: 'standby' },
      [world.standby]: { state: 'running', role: 'primary' },
    });
    // moto starts an instance at once (running, no pending), so one DescribeInstances sees it running.
    expect(hotPathNames(calls).slice(0, 5)).toEqual([
      'ec2:DescribeAddresses',
      'ec2:DescribeInstanceStatus',
      'ec2:StartInstances',
      'ec2:DescribeInstances',
      'ec2:AssociateAddress',
    ]);
    expect(param(calls, 'StartInstances', 'InstanceId.1')).toEqual([world.standby]);
  });

  test('the standby is terminated and the primary stops: the Elastic IP stays, the topic is told', async () => {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [world.standby] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.primary] }));

    const { result, calls } = await invoke(stateChange(world.primary, 'stopped'));

    expect(result).toMatchObject({ action: 'both-unhealthy', from: world.primary });
    expect(result.reason).toContain(`${world.standby} cannot take over (terminated`);
    expect(hotPathNames(calls)).toEqual(['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus', 'sns:Publish']);
    expect(await holder()).toBe(world.primary);
    expect(await instances()).toEqual({
      [world.primary]: { state: 'stopped', role: 'primary' },
      [world.standby]: { state: 'terminated', role: 'standby' },
    });
    expect(inbox.notifications).toEqual([
      {
        subject: `Elastic IP ${world.publicIp}: both instances unhealthy`,
        message: expect.stringContaining(`Other:  ${world.standby} (terminated`),
      },
    ]);
  });

  test('a stopped event about a primary that is running again is stale: nothing moves', async () => {
    const { result, calls } = await invoke(stateChange(world.primary, 'stopped'));

    expect(result).toMatchObject({ action: 'ignored' });
    expect(result.reason).toContain('is running and healthy again');
    expect(hotPathNames(calls)).toEqual(['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus']);
    expect(await holder()).toBe(world.primary);
  });

  test('an Elastic IP someone moved to an instance outside the pair stays there when the primary fails', async () => {
    const vpcId = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [world.primary] }))).Reservations![0]
      .Instances![0].VpcId;
    const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId!] }] }));
    const other = (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnets.Subnets![0].SubnetId,
        }),
      )
    ).Instances![0].InstanceId!;
    await ec2.send(
      new AssociateAddressCommand({ AllocationId: world.allocationId, InstanceId: other, AllowReassociation: true }),
    );
    await ec2.send(new StopInstancesCommand({ InstanceIds: [world.primary] }));

    const { result, calls } = await invoke(stateChange(world.primary, 'stopped'));

    expect(result).toMatchObject({ action: 'ignored' });
    expect(result.reason).toContain(`does not hold the Elastic IP; ${other} does`);
    expect(hotPathNames(calls)).toEqual(['ec2:DescribeAddresses', 'ec2:DescribeInstanceStatus']);
    expect(await holder()).toBe(other);
    expect(inbox.notifications).toEqual([]);
  });
});
