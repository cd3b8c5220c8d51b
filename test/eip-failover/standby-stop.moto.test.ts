import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type {
  CustomResourceEvent,
  CustomResourceResponse,
  HandlerContext,
  ResponseSender,
} from '../../src/common/cfn-response';
import { callNames, handlerEnvironment, loadBundledHandler, MotoServer } from '../support/moto-server';

// The bundled failover function (assets/eip-failover/failover.lambda/index.js) answering the
// Custom::ElasticIpPlacement with StandbyState.STOPPED against moto's EC2: it stops the standby it
// created once the Elastic IP is on the primary, and never an instance that serves.

const ROLE_TAG = 'FailoverRole';

interface Handler {
  handlePlacement(
    event: CustomResourceEvent,
    context: HandlerContext,
    send: ResponseSender,
  ): Promise<CustomResourceResponse>;
}

let moto: MotoServer;
let fn: Handler;
let ec2: EC2Client;
let sns: SNSClient;
const savedEnv = process.env;

interface World {
  readonly primary: string;
  readonly standby: string;
  readonly allocationId: string;
}
let world: World;

beforeAll(async () => {
  moto = await MotoServer.start();
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
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  world = await createWorld();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

async function createWorld(): Promise<World> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnet = async (cidr: string, zone: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: cidr, AvailabilityZone: zone })))
      .Subnet!.SubnetId!;
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
  const primary = await instance(await subnet('10.0.0.0/24', 'eu-west-1a'), 'primary');
  const standby = await instance(await subnet('10.0.1.0/24', 'eu-west-1b'), 'standby');
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const topic = await sns.send(new CreateTopicCommand({ Name: 'failover-notifications' }));
  // What the construct sets (standby-instance.ts), with this world's ids.
  process.env.ALLOCATION_ID = eip.AllocationId;
  process.env.PUBLIC_IP = eip.PublicIp;
  process.env.INSTANCE_IDS = `${primary},${standby}`;
  process.env.TOPIC_ARN = topic.TopicArn;
  return { primary, standby, allocationId: eip.AllocationId! };
}

/** A placement request; `wasStopped` is the old StandbyStoppedAfterCreation of an Update. */
function request(requestType: 'Create' | 'Update', stopped: boolean, wasStopped?: boolean): CustomResourceEvent {
  const properties = (s: boolean) => ({
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:failover',
    AllocationId: world.allocationId,
    PrimaryInstanceId: world.primary,
    StandbyInstanceId: world.standby,
    StandbyStoppedAfterCreation: String(s),
    TerminationProtection: 'true',
  });
  return {
    RequestType: requestType,
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Stack/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'ServerElasticIpPlacement0670C851',
    ResourceType: 'Custom::ElasticIpPlacement',
    PhysicalResourceId: requestType === 'Create' ? undefined : `placement-${world.allocationId}`,
    ResourceProperties: properties(stopped),
    OldResourceProperties: wasStopped === undefined ? undefined : properties(wasStopped),
  };
}

/** Answers the request (the response is returned, not PUT anywhere) and records the calls moto received. */
async function place(event: CustomResourceEvent) {
  const context = { logStreamName: 'stream', getRemainingTimeInMillis: () => 120_000 };
  return moto.record(() => fn.handlePlacement(event, context, async () => undefined));
}

/** Who holds the Elastic IP, and each instance's state, read from moto. */
async function states(): Promise<Record<string, string | undefined>> {
  const address = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [world.allocationId] }));
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [world.primary, world.standby] }));
  const result: Record<string, string | undefined> = { holder: address.Addresses?.[0]?.InstanceId };
  for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) result[i.InstanceId!] = i.State?.Name;
  return result;
}

const stops = (calls: Parameters<typeof callNames>[0]) => callNames(calls).filter((c) => /StopInstances/.test(c));

test('Create: the Elastic IP goes on the primary, then the standby is stopped', async () => {
  const { result, calls } = await place(request('Create', true));

  expect(result.Status).toBe('SUCCESS');
  expect(await states()).toEqual({ holder: world.primary, [world.primary]: 'running', [world.standby]: 'stopped' });
  expect(stops(calls)).toHaveLength(1);
});

test('a retried Create stops nothing more', async () => {
  await place(request('Create', true));

  const { result, calls } = await place(request('Create', true));

  expect(result.Status).toBe('SUCCESS');
  expect(stops(calls)).toEqual([]);
  expect(await states()).toEqual({ holder: world.primary, [world.primary]: 'running', [world.standby]: 'stopped' });
});

test('switched on after a failover (the instance created as standby serves): nothing is stopped', async () => {
  await ec2.send(new AssociateAddressCommand({ AllocationId: world.allocationId, InstanceId: world.standby }));
  await ec2.send(new CreateTagsCommand({ Resources: [world.standby], Tags: [{ Key: ROLE_TAG, Value: 'primary' }] }));
  await ec2.send(new CreateTagsCommand({ Resources: [world.primary], Tags: [{ Key: ROLE_TAG, Value: 'standby' }] }));

  const { result, calls } = await place(request('Update', true, false));

  expect(result.Status).toBe('SUCCESS');
  expect(stops(calls)).toEqual([]);
  expect(await states()).toEqual({ holder: world.standby, [world.primary]: 'running', [world.standby]: 'running' });
});

test('switched on with the primary serving: only the standby is stopped', async () => {
  await ec2.send(new AssociateAddressCommand({ AllocationId: world.allocationId, InstanceId: world.primary }));

  const { result, calls } = await place(request('Update', true, false));

  expect(result.Status).toBe('SUCCESS');
  expect(stops(calls)).toHaveLength(1);
  expect(await states()).toEqual({ holder: world.primary, [world.primary]: 'running', [world.standby]: 'stopped' });
});
