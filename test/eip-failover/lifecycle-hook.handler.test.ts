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
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler, LifecycleEvent } from '../../src/eip-failover/lifecycle-hook.lambda';

const GROUP = 'Shop-Server-0C1E77D5';
const ALLOCATION = 'eipalloc-0123456789abcdef0';
const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:failover';
const GROUP_TAG = 'cdk-ha-patterns:data-volume';
const ATTACHED_AT = 'cdk-ha-patterns:attached-at';
const REASON = 'cdk-ha-patterns:snapshot-reason';
const OLD = 'i-0old00000000000000';
const NEW = 'i-0new00000000000000';
const AZ_A = 'eu-west-1a';
const AZ_B = 'eu-west-1b';

const ec2Mock = mockClient(EC2Client);
const asMock = mockClient(AutoScalingClient);
const snsMock = mockClient(SNSClient);

type Tags = Record<string, string>;
interface FakeVolume {
  az: string;
  state: string;
  size: number;
  tags: Tags;
  attachedTo?: string;
  attachment?: string;
  snapshotId?: string;
  /** Describes left before an in-use volume is released (Infinity: its zone is gone). */
  releaseAfter?: number;
  encrypted?: boolean;
}
interface FakeSnapshot {
  volumeId: string;
  state: string;
  start: Date;
  tags: Tags;
  size: number;
  /** Describes (by id) left before a pending snapshot completes (Infinity: stuck). */
  completeAfter?: number;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
const toTags = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const fromTags = (tags: { Key?: string; Value?: string }[] = []) =>
  Object.fromEntries(tags.map((t) => [t.Key!, t.Value!]));

/**
 * A small model of the account: instances and their lifecycle states, volumes, snapshots and the
 * Elastic IP. The mocked calls read and change it, so the tests assert on what the handler did to
 * the world (which volume the new instance got, from which snapshot, how the action was completed).
 */
class World {
  public holder: string | undefined = OLD;
  public readonly instances: Record<string, { az: string; lifecycle: string; tags: Tags }> = {};
  public readonly volumes: Record<string, FakeVolume> = {};
  public readonly snapshots: Record<string, FakeSnapshot> = {};
  public readonly completions: { instanceId: string; result: string }[] = [];
  public readonly log: string[] = [];
  public failCreateSnapshot = false;
  public failAttach = false;
  private seq = 0;
  private readonly tokens: Record<string, string> = {};

  constructor() {
    asMock.on(DescribeAutoScalingInstancesCommand).callsFake((input) => ({
      AutoScalingInstances: (input.InstanceIds as string[])
        .filter((id) => this.instances[id])
        .map((id) => ({ InstanceId: id, AutoScalingGroupName: GROUP, LifecycleState: this.instances[id].lifecycle })),
    }));
    asMock.on(CompleteLifecycleActionCommand).callsFake((input) => {
      const instance = this.instances[input.InstanceId];
      if (!instance || !instance.lifecycle.endsWith(':Wait')) {
        throw Object.assign(new Error('No active Lifecycle Action found with instance ID'), {
          name: 'ValidationError',
        });
      }
      instance.lifecycle = instance.lifecycle.startsWith('Pending')
        ? input.LifecycleActionResult === 'CONTINUE'
          ? 'InService'
          : 'Terminating'
        : 'Terminating:Proceed';
      this.completions.push({ instanceId: input.InstanceId, result: input.LifecycleActionResult });
      this.log.push(`complete ${input.LifecycleActionResult}`);
      return {};
    });
    ec2Mock.on(DescribeInstancesCommand).callsFake((input) => {
      const id = (input.InstanceIds as string[])[0];
      return {
        Reservations: [
          {
            Instances: [
              { InstanceId: id, State: { Name: 'running' }, Placement: { AvailabilityZone: this.instances[id].az } },
            ],
          },
        ],
      };
    });
    ec2Mock.on(DescribeVolumesCommand).callsFake((input) => {
      let ids = Object.keys(this.volumes);
      if (input.VolumeIds) {
        ids = input.VolumeIds as string[];
        for (const id of ids) this.tick(id);
      }
      for (const f of (input.Filters ?? []) as { Name: string; Values: string[] }[]) {
        if (f.Name.startsWith('tag:')) {
          ids = ids.filter((id) => f.Values.includes(this.volumes[id].tags[f.Name.slice(4)]));
        } else if (f.Name === 'attachment.instance-id') {
          ids = ids.filter((id) => f.Values.includes(this.volumes[id].attachedTo!));
        } else {
          throw new Error(`unexpected filter ${f.Name}`);
        }
      }
      return { Volumes: ids.filter((id) => this.volumes[id]).map((id) => this.describeVolume(id)) };
    });
    ec2Mock.on(CreateVolumeCommand).callsFake((input) => {
      expect(input.Encrypted).toBe(true);
      if (this.tokens[input.ClientToken]) return { VolumeId: this.tokens[input.ClientToken] };
      if (input.SnapshotId && this.snapshots[input.SnapshotId].state !== 'completed') {
        throw Object.assign(new Error('snapshot is pending'), { name: 'IncorrectState' });
      }
      const id = `vol-0${(++this.seq).toString().padStart(16, '0')}`;
      this.tokens[input.ClientToken] = id;
      this.volumes[id] = {
        az: input.AvailabilityZone,
        state: 'creating',
        size: input.Size,
        snapshotId: input.SnapshotId,
        encrypted: input.Encrypted,
        tags: fromTags(input.TagSpecifications?.[0]?.Tags),
      };
      this.log.push(
        `create ${id}${input.SnapshotId ? ` from ${input.SnapshotId}` : ' empty'} in ${input.AvailabilityZone}`,
      );
      return { VolumeId: id };
    });
    ec2Mock.on(AttachVolumeCommand).callsFake((input) => {
      const volume = this.volumes[input.VolumeId];
      if (this.failAttach) throw Object.assign(new Error('attach failed'), { name: 'InvalidParameterValue' });
      if (volume.state !== 'available') {
        throw Object.assign(new Error(`${input.VolumeId} is ${volume.state}`), { name: 'VolumeInUse' });
      }
      expect(volume.az).toBe(this.instances[input.InstanceId].az);
      volume.state = 'in-use';
      volume.attachedTo = input.InstanceId;
      volume.attachment = 'attaching';
      this.log.push(`attach ${input.VolumeId} to ${input.InstanceId} at ${input.Device}`);
      return {};
    });
    ec2Mock.on(CreateTagsCommand).callsFake((input) => {
      for (const id of input.Resources as string[]) {
        const target = this.volumes[id] ?? this.instances[id];
        Object.assign(target.tags, fromTags(input.Tags));
      }
      return {};
    });
    ec2Mock.on(CreateSnapshotCommand).callsFake((input) => {
      if (this.failCreateSnapshot) {
        throw Object.assign(new Error('snapshot limit exceeded'), { name: 'SnapshotLimitExceeded' });
      }
      const id = `snap-0${(++this.seq).toString().padStart(16, '0')}`;
      this.snapshots[id] = {
        volumeId: input.VolumeId,
        state: 'pending',
        start: new Date(),
        size: this.volumes[input.VolumeId].size,
        tags: fromTags(input.TagSpecifications?.[0]?.Tags),
        completeAfter: 2,
      };
      this.log.push(`snapshot ${input.VolumeId} as ${id}`);
      return { SnapshotId: id };
    });
    ec2Mock.on(DescribeSnapshotsCommand).callsFake((input) => {
      let ids = Object.keys(this.snapshots);
      if (input.SnapshotIds) {
        ids = input.SnapshotIds as string[];
        for (const id of ids) this.tickSnapshot(id);
      } else {
        expect(input.OwnerIds).toEqual(['self']);
      }
      for (const f of (input.Filters ?? []) as { Name: string; Values: string[] }[]) {
        if (f.Name.startsWith('tag:')) {
          ids = ids.filter((id) => f.Values.includes(this.snapshots[id].tags[f.Name.slice(4)]));
        } else if (f.Name === 'volume-id') {
          ids = ids.filter((id) => f.Values.includes(this.snapshots[id].volumeId));
        } else {
          throw new Error(`unexpected filter ${f.Name}`);
        }
      }
      return {
        Snapshots: ids.map((id) => {
          const s = this.snapshots[id];
          return {
            SnapshotId: id,
            VolumeId: s.volumeId,
            State: s.state,
            StartTime: s.start,
            VolumeSize: s.size,
            Tags: toTags(s.tags),
          };
        }),
      };
    });
    ec2Mock.on(AssociateAddressCommand).callsFake((input) => {
      expect(input).toEqual({ AllocationId: ALLOCATION, InstanceId: input.InstanceId, AllowReassociation: true });
      this.holder = input.InstanceId;
      this.log.push(`associate ${input.InstanceId}`);
      return { AssociationId: 'eipassoc-1' };
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  }

  public instance(id: string, az: string, lifecycle: string): this {
    this.instances[id] = { az, lifecycle, tags: {} };
    return this;
  }

  public volume(id: string, volume: Partial<FakeVolume> & { az: string }): this {
    this.volumes[id] = { state: 'available', size: 20, tags: { [GROUP_TAG]: GROUP }, ...volume };
    if (volume.attachedTo) {
      this.volumes[id].state = 'in-use';
      this.volumes[id].attachment = 'attached';
    }
    return this;
  }

  public snapshot(id: string, snapshot: Partial<FakeSnapshot> & { volumeId: string; start: Date }): this {
    this.snapshots[id] = { state: 'completed', size: 20, tags: { [GROUP_TAG]: GROUP }, ...snapshot };
    return this;
  }

  /** The volume the instance ended up with. */
  public volumeOf(instanceId: string): [string, FakeVolume] | undefined {
    return Object.entries(this.volumes).find(([, v]) => v.attachedTo === instanceId);
  }

  private describeVolume(id: string) {
    const v = this.volumes[id];
    return {
      VolumeId: id,
      AvailabilityZone: v.az,
      State: v.state,
      Size: v.size,
      SnapshotId: v.snapshotId,
      Tags: toTags(v.tags),
      Attachments: v.attachedTo ? [{ InstanceId: v.attachedTo, State: v.attachment, VolumeId: id }] : [],
    };
  }

  private tick(id: string): void {
    const v = this.volumes[id];
    if (!v) return;
    if (v.state === 'creating') {
      v.state = 'available';
    } else if (v.attachment === 'attaching') {
      v.attachment = 'attached';
    } else if (v.state === 'in-use' && v.releaseAfter !== undefined && --v.releaseAfter <= 0) {
      v.state = 'available';
      v.attachedTo = undefined;
      v.attachment = undefined;
      this.log.push(`${id} released`);
    }
  }

  private tickSnapshot(id: string): void {
    const s = this.snapshots[id];
    if (s?.state === 'pending' && s.completeAfter !== undefined && --s.completeAfter <= 0) s.state = 'completed';
  }
}

function event(transition: 'LAUNCHING' | 'TERMINATING', instanceId: string, group = GROUP): LifecycleEvent {
  return {
    source: 'aws.autoscaling',
    'detail-type': `EC2 Instance-${transition === 'LAUNCHING' ? 'launch' : 'terminate'} Lifecycle Action`,
    time: new Date().toISOString(),
    detail: {
      LifecycleActionToken: `token-${instanceId}`,
      AutoScalingGroupName: group,
      LifecycleHookName:
        transition === 'LAUNCHING' ? 'attach-address-and-data-on-launch' : 'snapshot-data-on-termination',
      EC2InstanceId: instanceId,
      LifecycleTransition: `autoscaling:EC2_INSTANCE_${transition}`,
    },
  };
}

const context = { getRemainingTimeInMillis: () => 3_000 };
const launch = (instanceId = NEW) => handler(event('LAUNCHING', instanceId), context);
const terminate = (instanceId = OLD) => handler(event('TERMINATING', instanceId), context);

const ENV = {
  GROUP_NAME: GROUP,
  ALLOCATION_ID: ALLOCATION,
  PUBLIC_IP: '203.0.113.10',
  TOPIC_ARN: TOPIC,
  VOLUME_SIZE_GIB: '20',
  VOLUME_TYPE: 'gp3',
  DEVICE_NAME: '/dev/sdf',
  DATA_VOLUME_TAG: GROUP_TAG,
  ATTACHED_AT_TAG: ATTACHED_AT,
  SNAPSHOT_REASON_TAG: REASON,
  INSTANCE_VOLUME_TAG: 'DataVolumeId',
  POLL_INTERVAL_MS: '1',
  RELEASE_WAIT_SECONDS: '0.2',
  STUCK_SNAPSHOT_MINUTES: '60',
  SAFETY_MARGIN_SECONDS: '0',
  RETRY_BASE_DELAY_MS: '1',
};

let world: World;
const savedEnv = { ...process.env };

beforeEach(() => {
  ec2Mock.reset();
  asMock.reset();
  snsMock.reset();
  process.env = { ...savedEnv, ...ENV };
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  world = new World();
});

afterEach(() => {
  process.env = savedEnv;
  jest.restoreAllMocks();
});

function expectNothingDeleted(): void {
  expect(ec2Mock).not.toHaveReceivedCommand(DeleteVolumeCommand);
  expect(ec2Mock).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  expect(ec2Mock).not.toHaveReceivedCommand(DetachVolumeCommand);
}

describe('launch', () => {
  test('first launch: an empty encrypted volume in the new AZ, attached, named on the instance, then the EIP, then CONTINUE', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait');
    const result = await launch();
    expect(result).toMatchObject({ action: 'continued', instanceId: NEW });

    const [volumeId, volume] = world.volumeOf(NEW)!;
    expect(result.volumeId).toBe(volumeId);
    expect(volume).toMatchObject({
      az: AZ_B,
      size: 20,
      snapshotId: undefined,
      encrypted: true,
      attachment: 'attached',
    });
    expect(volume.tags[GROUP_TAG]).toBe(GROUP);
    expect(volume.tags[ATTACHED_AT]).toBeDefined();
    expect(world.instances[NEW].tags.DataVolumeId).toBe(volumeId);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateVolumeCommand, {
      AvailabilityZone: AZ_B,
      Size: 20,
      VolumeType: 'gp3',
      Encrypted: true,
      ClientToken: `${NEW}-data`,
    });
    expect(ec2Mock).toHaveReceivedCommandWith(AttachVolumeCommand, {
      VolumeId: volumeId,
      InstanceId: NEW,
      Device: '/dev/sdf',
    });
    expect(world.holder).toBe(NEW);
    expect(world.log).toEqual([
      `create ${volumeId} empty in ${AZ_B}`,
      `attach ${volumeId} to ${NEW} at /dev/sdf`,
      `associate ${NEW}`,
      'complete CONTINUE',
    ]);
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'CONTINUE' }]);
    expect(asMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, {
      AutoScalingGroupName: GROUP,
      LifecycleHookName: 'attach-address-and-data-on-launch',
      LifecycleActionToken: `token-${NEW}`,
      InstanceId: NEW,
      LifecycleActionResult: 'CONTINUE',
    });
  });

  test('records FailoverDuration and TimeToRecovery (embedded metric format) by allocation id', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait');
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    await launch();
    const records = written.filter((w) => w.includes('"_aws"')).map((w) => JSON.parse(w));
    expect(records).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: 'CdkHaPatterns/ElasticIpFailover',
              Dimensions: [['AllocationId']],
              Metrics: [
                { Name: 'FailoverDuration', Unit: 'Milliseconds' },
                { Name: 'TimeToRecovery', Unit: 'Milliseconds' },
              ],
            },
          ],
        }),
        AllocationId: ALLOCATION,
        NewPrimary: NEW,
        FailoverDuration: expect.any(Number),
        TimeToRecovery: expect.any(Number),
      }),
    ]);
  });

  test('a customer managed key and provisioned performance are passed to CreateVolume', async () => {
    process.env.KMS_KEY_ID = 'arn:aws:kms:eu-west-1:111111111111:key/abc';
    process.env.VOLUME_IOPS = '4000';
    process.env.VOLUME_THROUGHPUT = '250';
    world.instance(NEW, AZ_B, 'Pending:Wait');
    await launch();
    expect(ec2Mock).toHaveReceivedCommandWith(CreateVolumeCommand, {
      KmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc',
      Iops: 4000,
      Throughput: 250,
    });
  });

  test('replacement in the same AZ: the old volume is reattached once the old instance releases it; no snapshot, no restore', async () => {
    world
      .instance(NEW, AZ_A, 'Pending:Wait')
      .volume('vol-live', {
        az: AZ_A,
        attachedTo: OLD,
        releaseAfter: 3,
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-20T10:00:00.000Z' },
      })
      .volume('vol-older', { az: AZ_A, tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-01T10:00:00.000Z' } });
    const result = await launch();
    expect(result).toMatchObject({ action: 'continued', volumeId: 'vol-live' });
    expect(world.volumeOf(NEW)![0]).toBe('vol-live');
    expect(world.log).toEqual([
      'vol-live released',
      `attach vol-live to ${NEW} at /dev/sdf`,
      `associate ${NEW}`,
      'complete CONTINUE',
    ]);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateVolumeCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect(world.volumes['vol-live'].tags[ATTACHED_AT] > '2026-11-20T10:00:00.000Z').toBe(true);
    expectNothingDeleted();
  });

  test('same AZ but the old instance never releases the volume: ABANDON, no empty or older volume instead', async () => {
    world.instance(NEW, AZ_A, 'Pending:Wait').volume('vol-live', {
      az: AZ_A,
      attachedTo: OLD,
      releaseAfter: Infinity,
      tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-20T10:00:00.000Z' },
    });
    const result = await launch();
    expect(result).toMatchObject({ action: 'abandoned' });
    expect(result.reason).toMatch(/vol-live was not released/);
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'ABANDON' }]);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateVolumeCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(AttachVolumeCommand);
    expect(world.holder).toBe(OLD);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
  });

  test('replacement in another AZ, old volume released: snapshot it now, restore from that snapshot in the new AZ', async () => {
    world
      .instance(NEW, AZ_B, 'Pending:Wait')
      .volume('vol-live', { az: AZ_A, tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-20T10:00:00.000Z' } })
      .snapshot('snap-dlm', {
        volumeId: 'vol-live',
        start: minutesAgo(30),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-20T10:00:00.000Z' },
      });
    const result = await launch();
    expect(result.action).toBe('continued');
    const [snapshotId, snapshot] = Object.entries(world.snapshots).find(([id]) => id !== 'snap-dlm')!;
    expect(snapshot).toMatchObject({ volumeId: 'vol-live', state: 'completed' });
    expect(snapshot.tags).toEqual({
      [GROUP_TAG]: GROUP,
      [REASON]: 'detached',
      [ATTACHED_AT]: '2026-11-20T10:00:00.000Z',
    });
    const [volumeId, volume] = world.volumeOf(NEW)!;
    expect(volume).toMatchObject({ az: AZ_B, snapshotId });
    expect(world.log).toEqual([
      `snapshot vol-live as ${snapshotId}`,
      `create ${volumeId} from ${snapshotId} in ${AZ_B}`,
      `attach ${volumeId} to ${NEW} at /dev/sdf`,
      `associate ${NEW}`,
      'complete CONTINUE',
    ]);
    // The old volume stays where it is, untouched.
    expect(world.volumes['vol-live'].state).toBe('available');
    expectNothingDeleted();
  });

  test('replacement in another AZ, old AZ lost: restore the newest COMPLETED snapshot of the data served last, not a pending or an older one', async () => {
    const served = '2026-11-20T10:00:00.000Z';
    world
      .instance(NEW, AZ_B, 'Pending:Wait')
      .volume('vol-live', {
        az: AZ_A,
        attachedTo: OLD,
        releaseAfter: Infinity,
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      // A volume left behind by an earlier move keeps being snapshotted, but its data is older.
      .volume('vol-superseded', { az: AZ_B, tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-01T10:00:00.000Z' } })
      .snapshot('snap-older', {
        volumeId: 'vol-live',
        start: minutesAgo(120),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-newest-completed', {
        volumeId: 'vol-live',
        start: minutesAgo(60),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-stuck', {
        volumeId: 'vol-live',
        state: 'pending',
        completeAfter: Infinity,
        start: minutesAgo(61),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-of-superseded', {
        volumeId: 'vol-superseded',
        start: minutesAgo(5),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-01T10:00:00.000Z' },
      })
      // A volume that was never served (an abandoned launch) has no attached-at tag.
      .snapshot('snap-never-served', { volumeId: 'vol-orphan', start: minutesAgo(1) });
    const result = await launch();
    expect(result.action).toBe('continued');
    const [volumeId, volume] = world.volumeOf(NEW)!;
    expect(volume).toMatchObject({ az: AZ_B, snapshotId: 'snap-newest-completed' });
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateVolumeCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateVolumeCommand, {
      SnapshotId: 'snap-newest-completed',
      AvailabilityZone: AZ_B,
    });
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'CONTINUE' }]);
    expect(world.holder).toBe(NEW);
    expect(volumeId).not.toBe('vol-superseded');
    // Whoever runs the service hears that data after the snapshot may be on the old volume only.
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: expect.stringContaining('snap-newest-completed'),
    });
    expectNothingDeleted();
  });

  test('old AZ lost but a newer snapshot is still being taken: wait for it and restore from it', async () => {
    const served = '2026-11-20T10:00:00.000Z';
    world
      .instance(NEW, AZ_B, 'Pending:Wait')
      .volume('vol-live', {
        az: AZ_A,
        attachedTo: OLD,
        releaseAfter: Infinity,
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-dlm', {
        volumeId: 'vol-live',
        start: minutesAgo(50),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-termination', {
        volumeId: 'vol-live',
        state: 'pending',
        completeAfter: 3,
        start: minutesAgo(2),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served, [REASON]: 'termination' },
      });
    const result = await launch();
    expect(result.action).toBe('continued');
    expect(world.volumeOf(NEW)![1].snapshotId).toBe('snap-termination');
  });

  test('old AZ lost and the newer snapshot does not complete in time: ABANDON (a later attempt uses it), nothing created', async () => {
    const served = '2026-11-20T10:00:00.000Z';
    world
      .instance(NEW, AZ_B, 'Pending:Wait')
      .volume('vol-live', {
        az: AZ_A,
        attachedTo: OLD,
        releaseAfter: Infinity,
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-dlm', {
        volumeId: 'vol-live',
        start: minutesAgo(50),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-termination', {
        volumeId: 'vol-live',
        state: 'pending',
        completeAfter: Infinity,
        start: minutesAgo(2),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      });
    const result = await launch();
    expect(result).toMatchObject({ action: 'abandoned' });
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'ABANDON' }]);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateVolumeCommand);
    expect(world.holder).toBe(OLD);
  });

  test('the volume served last is unreachable and has no snapshot: ABANDON rather than start empty', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait').volume('vol-live', {
      az: AZ_A,
      attachedTo: OLD,
      releaseAfter: Infinity,
      tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-20T10:00:00.000Z' },
    });
    const result = await launch();
    expect(result).toMatchObject({ action: 'abandoned' });
    expect(result.reason).toMatch(/no completed snapshot/);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateVolumeCommand);
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'ABANDON' }]);
  });

  test('a failure after the volume is created: ABANDON exactly once, EIP not moved, nothing deleted', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait');
    world.failAttach = true;
    const result = await launch();
    expect(result).toMatchObject({ action: 'abandoned' });
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'ABANDON' }]);
    expect(asMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
    expect(world.holder).toBe(OLD);
    expectNothingDeleted();
  });

  test('a duplicate event after the action completed changes nothing and completes nothing', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait');
    await launch();
    const again = await launch();
    expect(again).toMatchObject({ action: 'ignored' });
    expect(again.reason).toMatch(/InService, not Pending:Wait/);
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateVolumeCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(AttachVolumeCommand, 1);
    expect(asMock).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
    expect(Object.keys(world.volumes)).toHaveLength(1);
  });

  test('two deliveries of the same event at once: one volume, attached once, the action completed once', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait');
    const results = await Promise.all([launch(), launch()]);
    expect(results.map((r) => r.action).sort()).toEqual(['continued', 'continued']);
    expect(Object.keys(world.volumes)).toHaveLength(1);
    expect(world.log.filter((l) => l.startsWith('attach'))).toHaveLength(1);
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'CONTINUE' }]);
  });

  test('events of another group, and other events, are ignored without a call', async () => {
    world.instance(NEW, AZ_B, 'Pending:Wait');
    expect(await handler(event('LAUNCHING', NEW, 'other-group'), context)).toMatchObject({ action: 'ignored' });
    expect(await handler({ source: 'aws.ec2' } as unknown as LifecycleEvent, context)).toMatchObject({
      action: 'ignored',
    });
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(asMock.calls()).toHaveLength(0);
  });

  test('without a data volume: only the Elastic IP, then CONTINUE', async () => {
    for (const key of Object.keys(ENV).filter((k) => k.startsWith('VOLUME_'))) delete process.env[key];
    world.instance(NEW, AZ_B, 'Pending:Wait');
    const result = await launch();
    expect(result).toMatchObject({ action: 'continued', volumeId: undefined });
    expect(world.log).toEqual([`associate ${NEW}`, 'complete CONTINUE']);
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeVolumesCommand);
  });
});

describe('termination', () => {
  test('snapshots the data volume (tagged with the group, the reason and when it was served), then CONTINUE', async () => {
    const served = '2026-11-20T10:00:00.000Z';
    world
      .instance(OLD, AZ_A, 'Terminating:Wait')
      .volume('vol-live', { az: AZ_A, attachedTo: OLD, tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served } });
    const result = await terminate();
    expect(result).toMatchObject({ action: 'continued', snapshotIds: [expect.stringMatching(/^snap-/)] });
    const snapshot = world.snapshots[result.snapshotIds![0]];
    expect(snapshot).toMatchObject({ volumeId: 'vol-live', state: 'pending' });
    expect(snapshot.tags).toEqual({ [GROUP_TAG]: GROUP, [REASON]: 'termination', [ATTACHED_AT]: served });
    // It does not wait for the snapshot to complete.
    expect(world.log).toEqual([`snapshot vol-live as ${result.snapshotIds![0]}`, 'complete CONTINUE']);
    expect(asMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, {
      LifecycleHookName: 'snapshot-data-on-termination',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: OLD,
    });
    expectNothingDeleted();
  });

  test('a duplicate termination event takes no second snapshot', async () => {
    world.instance(OLD, AZ_A, 'Terminating:Wait').volume('vol-live', { az: AZ_A, attachedTo: OLD });
    await terminate();
    expect(await terminate()).toMatchObject({ action: 'ignored' });
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateSnapshotCommand, 1);
    expect(world.completions).toHaveLength(1);
  });

  test('the snapshot call fails: CONTINUE once anyway and say so; the next launch still restores the last good snapshot', async () => {
    const served = '2026-11-20T10:00:00.000Z';
    world
      .instance(OLD, AZ_A, 'Terminating:Wait')
      .instance(NEW, AZ_B, 'Pending:Wait')
      .volume('vol-live', {
        az: AZ_A,
        attachedTo: OLD,
        releaseAfter: Infinity,
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
      })
      .snapshot('snap-last-good', {
        volumeId: 'vol-live',
        start: minutesAgo(40),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served, [REASON]: 'periodic' },
      })
      .snapshot('snap-before', {
        volumeId: 'vol-live',
        start: minutesAgo(100),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served, [REASON]: 'periodic' },
      });
    world.failCreateSnapshot = true;

    const terminated = await terminate();
    expect(terminated).toMatchObject({ action: 'continued', snapshotIds: [] });
    expect(terminated.reason).toMatch(/snapshot failed: SnapshotLimitExceeded/);
    expect(world.completions).toEqual([{ instanceId: OLD, result: 'CONTINUE' }]);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: expect.stringContaining('termination snapshot failed'),
    });

    const launched = await launch();
    expect(launched.action).toBe('continued');
    expect(world.volumeOf(NEW)![1]).toMatchObject({ az: AZ_B, snapshotId: 'snap-last-good' });
    expect(world.snapshots['snap-before']).toBeDefined();
    expect(world.volumes['vol-live']).toBeDefined();
    expectNothingDeleted();
  });

  test('an instance without a data volume: CONTINUE without a snapshot', async () => {
    world.instance(OLD, AZ_A, 'Terminating:Wait');
    expect(await terminate()).toMatchObject({ action: 'continued', snapshotIds: [] });
    expect(ec2Mock).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect(world.completions).toEqual([{ instanceId: OLD, result: 'CONTINUE' }]);
  });
});
