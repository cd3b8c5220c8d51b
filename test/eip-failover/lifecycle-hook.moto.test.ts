import {
  AttachInstancesCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  PutLifecycleHookCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AllocateAddressCommand,
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  Snapshot,
  TerminateInstancesCommand,
  Volume,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { LambdaContextLike, LifecycleEvent, LifecycleResult } from '../../src/eip-failover/lifecycle-hook.lambda';
import { LifecycleActionEvent, LifecycleActionProxy, Transition } from '../support/lifecycle-action-proxy';
import {
  callNames,
  handlerEnvironment,
  loadBundledHandler,
  MotoServer,
  NotificationInbox,
  RecordedCall,
} from '../support/moto-server';

// The bundled lifecycle hook function (assets/eip-failover/lifecycle-hook.lambda/index.js) against
// moto's EC2, SNS and Auto Scaling: a group in two zones with its launch and termination hooks, an
// Elastic IP, data volumes and snapshots. moto has no lifecycle actions (instances go InService at
// once, CompleteLifecycleAction is not implemented), so the Auto Scaling calls of the function go
// through LifecycleActionProxy (test/support/lifecycle-action-proxy.ts), which adds them on top of
// moto; everything else is moto's, and the tests read the volumes, snapshots, attachments, tags and
// the Elastic IP back from it.

const GROUP = 'ha-service-group';
const LAUNCH_HOOK = 'attach-address-and-data-on-launch';
const TERMINATE_HOOK = 'snapshot-data-on-termination';
const GROUP_TAG = 'cdk-ha-patterns:data-volume';
const ATTACHED_AT = 'cdk-ha-patterns:attached-at';
const REASON = 'cdk-ha-patterns:snapshot-reason';
const INSTANCE_VOLUME_TAG = 'DataVolumeId';
const ZONE_A = 'eu-west-1a';
const ZONE_B = 'eu-west-1b';

interface Handler {
  handler(event: LifecycleEvent, context?: LambdaContextLike): Promise<LifecycleResult>;
}

let moto: MotoServer;
let proxy: LifecycleActionProxy;
let inbox: NotificationInbox;
let fn: Handler;
let ec2: EC2Client;
let sns: SNSClient;
let autoscaling: AutoScalingClient;
const savedEnv = process.env;

interface World {
  readonly subnets: Record<string, string>;
  readonly allocationId: string;
  readonly publicIp: string;
}
let world: World;

beforeAll(async () => {
  moto = await MotoServer.start();
  inbox = await NotificationInbox.start();
  ec2 = new EC2Client(moto.clientConfig());
  sns = new SNSClient(moto.clientConfig());
  autoscaling = new AutoScalingClient(moto.clientConfig());
  proxy = await LifecycleActionProxy.start(moto.endpoint, autoscaling);
  // What the construct sets (auto-scaling-group.ts, with a data volume of 20 GiB), with short waits.
  process.env = handlerEnvironment(moto.endpoint, {
    AWS_ENDPOINT_URL_AUTO_SCALING: proxy.endpoint,
    GROUP_NAME: GROUP,
    METRIC_NAMESPACE: 'CdkHaPatterns/ElasticIpFailover',
    VOLUME_SIZE_GIB: '20',
    VOLUME_TYPE: 'gp3',
    DEVICE_NAME: '/dev/sdf',
    DATA_VOLUME_TAG: GROUP_TAG,
    ATTACHED_AT_TAG: ATTACHED_AT,
    SNAPSHOT_REASON_TAG: REASON,
    INSTANCE_VOLUME_TAG,
    POLL_INTERVAL_MS: '50',
    RELEASE_WAIT_SECONDS: '1',
    SAFETY_MARGIN_SECONDS: '0',
    RETRY_BASE_DELAY_MS: '10',
  });
  fn = loadBundledHandler<Handler>('eip-failover/lifecycle-hook.lambda');
});

afterAll(async () => {
  process.env = savedEnv;
  for (const client of [ec2, sns, autoscaling]) client?.destroy();
  await proxy?.stop();
  await inbox?.stop();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  proxy.reset();
  inbox.clear();
  world = await createWorld();
  process.env.ALLOCATION_ID = world.allocationId;
  process.env.PUBLIC_IP = world.publicIp;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => jest.restoreAllMocks());

async function createWorld(): Promise<World> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnets: Record<string, string> = {};
  for (const [i, zone] of [ZONE_A, ZONE_B].entries()) {
    const out = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: zone }),
    );
    subnets[zone] = out.Subnet!.SubnetId!;
  }
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${GROUP}-template`,
      LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
    }),
  );
  await autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: GROUP,
      LaunchTemplate: { LaunchTemplateName: `${GROUP}-template`, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: 0,
      VPCZoneIdentifier: Object.values(subnets).join(','),
    }),
  );
  // moto ignores LifecycleHookSpecificationList on the group: the hooks are put one by one.
  await autoscaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: GROUP,
      LifecycleHookName: LAUNCH_HOOK,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: 900,
      DefaultResult: 'ABANDON',
    }),
  );
  await autoscaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: GROUP,
      LifecycleHookName: TERMINATE_HOOK,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 300,
      DefaultResult: 'CONTINUE',
    }),
  );
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const topic = await sns.send(new CreateTopicCommand({ Name: 'failover-notifications' }));
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'http', Endpoint: inbox.url }));
  process.env.TOPIC_ARN = topic.TopicArn;
  return { subnets, allocationId: eip.AllocationId!, publicIp: eip.PublicIp! };
}

/** A new instance of the group in `zone` (run in its subnet and attached to the group, so the zone is known). */
async function newInstance(zone: string): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SubnetId: world.subnets[zone] }),
  );
  const instanceId = out.Instances![0].InstanceId!;
  await autoscaling.send(new AttachInstancesCommand({ AutoScalingGroupName: GROUP, InstanceIds: [instanceId] }));
  return instanceId;
}

const context: LambdaContextLike = { getRemainingTimeInMillis: () => 60_000 };

/** Opens the lifecycle action and runs the function on its event, recording the AWS calls that reach moto. */
async function lifecycle(instanceId: string, transition: Transition) {
  const event = await proxy.begin(GROUP, instanceId, transition);
  return { event, ...(await deliver(event)) };
}

async function deliver(event: LifecycleActionEvent): Promise<{ result: LifecycleResult; calls: RecordedCall[] }> {
  return moto.record(() => fn.handler(event as LifecycleEvent, context));
}

const launch = (instanceId: string) => lifecycle(instanceId, 'autoscaling:EC2_INSTANCE_LAUNCHING');
const terminate = (instanceId: string) => lifecycle(instanceId, 'autoscaling:EC2_INSTANCE_TERMINATING');

async function groupVolumes(): Promise<Volume[]> {
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: `tag:${GROUP_TAG}`, Values: [GROUP] }] }));
  return out.Volumes ?? [];
}

async function volume(volumeId: string): Promise<Volume> {
  return (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0];
}

async function groupSnapshots(): Promise<Snapshot[]> {
  const out = await ec2.send(
    new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${GROUP_TAG}`, Values: [GROUP] }] }),
  );
  return out.Snapshots ?? [];
}

function tag(resource: { Tags?: { Key?: string; Value?: string }[] }, key: string): string | undefined {
  return resource.Tags?.find((t) => t.Key === key)?.Value;
}

async function instanceTag(instanceId: string, key: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return tag(out.Reservations![0].Instances![0], key);
}

async function holder(): Promise<string | undefined> {
  const out = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [world.allocationId] }));
  return out.Addresses?.[0]?.InstanceId;
}

/** The first instance of the group, in zone A: an empty data volume. */
async function firstLaunch(): Promise<{ instanceId: string; volumeId: string }> {
  const instanceId = await newInstance(ZONE_A);
  const { result } = await launch(instanceId);
  expect(result).toMatchObject({ action: 'continued', instanceId });
  return { instanceId, volumeId: result.volumeId! };
}

describe('lifecycle hook function against moto', () => {
  test('first launch: an empty encrypted volume in the zone of the instance, attached and tagged; then the Elastic IP', async () => {
    const instanceId = await newInstance(ZONE_A);
    const before = Date.now();

    const { result, calls } = await launch(instanceId);

    expect(result).toMatchObject({ action: 'continued', instanceId, volumeId: expect.stringMatching(/^vol-/) });
    const created = await volume(result.volumeId!);
    expect(created).toMatchObject({
      AvailabilityZone: ZONE_A,
      Size: 20,
      VolumeType: 'gp3',
      Encrypted: true,
      State: 'in-use',
      Attachments: [expect.objectContaining({ InstanceId: instanceId, Device: '/dev/sdf', State: 'attached' })],
    });
    expect(created.SnapshotId ?? '').toBe('');
    expect(tag(created, GROUP_TAG)).toBe(GROUP);
    expect(tag(created, 'Name')).toBe(`${GROUP} data`);
    expect(Date.parse(tag(created, ATTACHED_AT)!)).toBeGreaterThanOrEqual(before);
    expect(await instanceTag(instanceId, INSTANCE_VOLUME_TAG)).toBe(result.volumeId);
    expect(await holder()).toBe(instanceId);
    expect(proxy.completed).toEqual([{ instanceId, hookName: LAUNCH_HOOK, result: 'CONTINUE' }]);
    // CompleteLifecycleAction is answered by the proxy, so it is not among the calls moto saw.
    expect(callNames(calls)).toEqual([
      'autoscaling:DescribeAutoScalingInstances',
      'ec2:DescribeInstances',
      'ec2:DescribeVolumes',
      'ec2:DescribeSnapshots',
      'ec2:CreateVolume',
      'ec2:DescribeVolumes',
      'ec2:AttachVolume',
      'ec2:DescribeVolumes',
      'ec2:CreateTags',
      'ec2:CreateTags',
      'ec2:AssociateAddress',
    ]);
    const createVolume = calls.find((c) => c.action === 'CreateVolume')!;
    expect(createVolume.params.get('ClientToken')).toBe(`${instanceId}-data`);
    expect(inbox.notifications).toEqual([]);
  });

  test('a duplicate of the launch event, after the action completed, finds the instance InService and changes nothing', async () => {
    const instanceId = await newInstance(ZONE_A);
    const { event, result: first } = await launch(instanceId);
    const volumesBefore = await groupVolumes();

    const { result, calls } = await deliver(event);

    expect(result).toMatchObject({ action: 'ignored', instanceId });
    expect(result.reason).toBe(`${instanceId} is InService, not Pending:Wait`);
    expect(callNames(calls)).toEqual(['autoscaling:DescribeAutoScalingInstances']);
    expect(await groupVolumes()).toEqual(volumesBefore);
    expect(volumesBefore.map((v) => v.VolumeId)).toEqual([first.volumeId]);
    expect(proxy.completed).toHaveLength(1);
    expect(proxy.refused).toEqual([]);
  });

  test('termination: a snapshot of the data volume is started, tagged with the time it went into service; CONTINUE', async () => {
    const { instanceId, volumeId } = await firstLaunch();
    const servedAt = tag(await volume(volumeId), ATTACHED_AT);

    const { result, calls } = await terminate(instanceId);

    expect(result).toMatchObject({ action: 'continued', instanceId, snapshotIds: [expect.stringMatching(/^snap-/)] });
    const snapshots = await groupSnapshots();
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({ SnapshotId: result.snapshotIds![0], VolumeId: volumeId });
    expect(tag(snapshots[0], REASON)).toBe('termination');
    expect(tag(snapshots[0], ATTACHED_AT)).toBe(servedAt);
    expect(snapshots[0].Description).toBe(`Data of ${GROUP} when its instance ${instanceId} was terminated`);
    expect(proxy.completed.at(-1)).toEqual({ instanceId, hookName: TERMINATE_HOOK, result: 'CONTINUE' });
    expect(callNames(calls)).toEqual([
      'autoscaling:DescribeAutoScalingInstances',
      'ec2:DescribeVolumes',
      'ec2:CreateSnapshot',
    ]);
    const filters = calls[1].params;
    expect([filters.get('Filter.2.Name'), filters.get('Filter.2.Value.1')]).toEqual([
      'attachment.instance-id',
      instanceId,
    ]);
    // Nothing is detached or deleted: the instance keeps its volume until it is gone.
    expect(await volume(volumeId)).toMatchObject({ State: 'in-use', Attachments: [{ InstanceId: instanceId }] });
  });

  test('replacement in the same zone: the released volume is attached to the new instance, no volume is created', async () => {
    const first = await firstLaunch();
    const firstServedAt = tag(await volume(first.volumeId), ATTACHED_AT)!;
    await terminate(first.instanceId);
    // The group terminates the instance once the hook continued; EC2 (and moto) then detach its volume.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.instanceId] }));
    expect((await volume(first.volumeId)).State).toBe('available');
    const second = await newInstance(ZONE_A);

    const { result, calls } = await launch(second);

    expect(result).toMatchObject({ action: 'continued', instanceId: second, volumeId: first.volumeId });
    const reattached = await volume(first.volumeId);
    expect(reattached).toMatchObject({
      AvailabilityZone: ZONE_A,
      State: 'in-use',
      Attachments: [expect.objectContaining({ InstanceId: second, Device: '/dev/sdf', State: 'attached' })],
    });
    expect(tag(reattached, ATTACHED_AT)! > firstServedAt).toBe(true);
    expect((await groupVolumes()).map((v) => v.VolumeId)).toEqual([first.volumeId]);
    expect(callNames(calls)).not.toContain('ec2:CreateVolume');
    expect(callNames(calls)).not.toContain('ec2:CreateSnapshot');
    expect(await instanceTag(second, INSTANCE_VOLUME_TAG)).toBe(first.volumeId);
    expect(await holder()).toBe(second);
  });

  test('replacement in another zone, old volume released: snapshot taken now, restored in the new zone, old volume kept', async () => {
    const first = await firstLaunch();
    const firstServedAt = tag(await volume(first.volumeId), ATTACHED_AT);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.instanceId] }));
    const second = await newInstance(ZONE_B);

    const { result, calls } = await launch(second);

    expect(result).toMatchObject({ action: 'continued', instanceId: second });
    expect(result.volumeId).not.toBe(first.volumeId);
    const snapshots = await groupSnapshots();
    expect(snapshots).toHaveLength(1);
    const detached = snapshots[0];
    expect(detached).toMatchObject({ VolumeId: first.volumeId, State: 'completed' });
    expect(tag(detached, REASON)).toBe('detached');
    expect(tag(detached, ATTACHED_AT)).toBe(firstServedAt);
    const restored = await volume(result.volumeId!);
    expect(restored).toMatchObject({
      AvailabilityZone: ZONE_B,
      SnapshotId: detached.SnapshotId,
      Size: 20,
      Encrypted: true,
      State: 'in-use',
      Attachments: [expect.objectContaining({ InstanceId: second, Device: '/dev/sdf', State: 'attached' })],
    });
    // The old volume is still there, untouched, in its zone: nothing is deleted here.
    expect(await volume(first.volumeId)).toMatchObject({ AvailabilityZone: ZONE_A, State: 'available' });
    expect(callNames(calls)).not.toContain('ec2:DeleteVolume');
    const names = callNames(calls);
    expect(names.indexOf('ec2:CreateSnapshot')).toBeLessThan(names.indexOf('ec2:CreateVolume'));
    expect(names.indexOf('ec2:CreateVolume')).toBeLessThan(names.indexOf('ec2:AttachVolume'));
    expect(await instanceTag(second, INSTANCE_VOLUME_TAG)).toBe(result.volumeId);
    expect(await holder()).toBe(second);
    expect(proxy.completed.at(-1)).toEqual({ instanceId: second, hookName: LAUNCH_HOOK, result: 'CONTINUE' });
  });

  test('another zone, old volume not released in time (its zone failing): restored from the newest completed snapshot, topic told', async () => {
    const first = await firstLaunch();
    const { result: terminated } = await terminate(first.instanceId);
    const terminationSnapshot = terminated.snapshotIds![0];
    // The old instance never goes away: its volume stays attached to it.
    const second = await newInstance(ZONE_B);

    const { result } = await launch(second);

    expect(result).toMatchObject({ action: 'continued', instanceId: second });
    const restored = await volume(result.volumeId!);
    expect(restored).toMatchObject({
      AvailabilityZone: ZONE_B,
      SnapshotId: terminationSnapshot,
      State: 'in-use',
      Attachments: [expect.objectContaining({ InstanceId: second, State: 'attached' })],
    });
    expect(await volume(first.volumeId)).toMatchObject({
      AvailabilityZone: ZONE_A,
      State: 'in-use',
      Attachments: [expect.objectContaining({ InstanceId: first.instanceId })],
    });
    // No snapshot of an attached volume was taken for the move: only the termination one exists.
    expect((await groupSnapshots()).map((s) => s.SnapshotId)).toEqual([terminationSnapshot]);
    expect(inbox.notifications).toEqual([
      {
        subject: `Elastic IP ${world.publicIp}: data restored from ${terminationSnapshot}`,
        message: expect.stringContaining(`Data written after that time is on ${first.volumeId} only`),
      },
    ]);
    expect(await holder()).toBe(second);
  });

  test('another zone, old volume not released and no completed snapshot: ABANDON, nothing created, the Elastic IP stays', async () => {
    const first = await firstLaunch();
    const second = await newInstance(ZONE_B);

    const { result, calls } = await launch(second);

    expect(result).toMatchObject({ action: 'abandoned', instanceId: second });
    expect(result.reason).toContain(`the data volume ${first.volumeId} is in-use and has no completed snapshot`);
    expect(proxy.completed.at(-1)).toEqual({ instanceId: second, hookName: LAUNCH_HOOK, result: 'ABANDON' });
    expect((await groupVolumes()).map((v) => v.VolumeId)).toEqual([first.volumeId]);
    expect(await groupSnapshots()).toEqual([]);
    expect(await holder()).toBe(first.instanceId);
    expect(callNames(calls)).not.toContain('ec2:AssociateAddress');
    expect(inbox.notifications).toEqual([
      {
        subject: `Elastic IP ${world.publicIp}: launch of ${second} abandoned`,
        message: expect.stringContaining('The launch was abandoned; the group will launch another instance.'),
      },
    ]);
  });
});
