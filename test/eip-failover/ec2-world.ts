// A small model of an account's instances, volumes, snapshots and Elastic IP behind mocked AWS
// SDK clients, shared by the handler tests of the lifecycle hook and the data retention functions.
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
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';

export const GROUP = 'Shop-Server-0C1E77D5';
export const ALLOCATION = 'eipalloc-0123456789abcdef0';
export const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:failover';
export const GROUP_TAG = 'cdk-ha-patterns:data-volume';
export const ATTACHED_AT = 'cdk-ha-patterns:attached-at';
export const REASON = 'cdk-ha-patterns:snapshot-reason';
/** The tag AWS Backup puts on the snapshots it takes (beside the volume's tags it copies). */
export const AWS_BACKUP_TAG = 'aws:backup:source-resource';
export const OLD = 'i-0old00000000000000';
export const NEW = 'i-0new00000000000000';
export const AZ_A = 'eu-west-1a';
export const AZ_B = 'eu-west-1b';

export const ec2Mock = mockClient(EC2Client);
export const asMock = mockClient(AutoScalingClient);
export const snsMock = mockClient(SNSClient);

export type Tags = Record<string, string>;
export interface FakeVolume {
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
  /** When the volume was created (CreateTime). */
  created: Date;
}
export interface FakeSnapshot {
  volumeId: string;
  state: string;
  start: Date;
  tags: Tags;
  size: number;
  /** Describes (by id) left before a pending snapshot completes (Infinity: stuck). */
  completeAfter?: number;
}

export const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
export const toTags = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const fromTags = (tags: { Key?: string; Value?: string }[] = []) =>
  Object.fromEntries(tags.map((t) => [t.Key!, t.Value!]));

/**
 * A small model of the account: instances and their lifecycle states, volumes, snapshots and the
 * Elastic IP. The mocked calls read and change it, so the tests assert on what the handler did to
 * the world (which volume the new instance got, from which snapshot, how the action was completed).
 */
export class World {
  public holder: string | undefined = OLD;
  public readonly instances: Record<string, { az: string; lifecycle: string; tags: Tags }> = {};
  public readonly volumes: Record<string, FakeVolume> = {};
  public readonly snapshots: Record<string, FakeSnapshot> = {};
  public readonly completions: { instanceId: string; result: string }[] = [];
  public readonly log: string[] = [];
  public failCreateSnapshot = false;
  public failAttach = false;
  /** SetInstanceHealth calls, in order. */
  public readonly healthSet: { instanceId: string; status: string; respectGrace?: boolean }[] = [];
  /** Error names DeleteVolume and DeleteSnapshot throw, by resource id. */
  public readonly failDelete: Record<string, string> = {};
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
    asMock.on(SetInstanceHealthCommand).callsFake((input) => {
      this.healthSet.push({
        instanceId: input.InstanceId,
        status: input.HealthStatus,
        respectGrace: input.ShouldRespectGracePeriod,
      });
      this.log.push(`health ${input.InstanceId} ${input.HealthStatus}`);
      return {};
    });
    ec2Mock.on(DescribeAddressesCommand).callsFake((input) => {
      expect(input).toEqual({ AllocationIds: [ALLOCATION] });
      return { Addresses: [{ AllocationId: ALLOCATION, InstanceId: this.holder }] };
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
        created: new Date(),
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
    ec2Mock.on(DeleteVolumeCommand).callsFake((input) => {
      const volume = this.volumes[input.VolumeId];
      if (this.failDelete[input.VolumeId]) {
        throw Object.assign(new Error('delete failed'), { name: this.failDelete[input.VolumeId] });
      }
      if (!volume) {
        throw Object.assign(new Error(`${input.VolumeId} does not exist`), { name: 'InvalidVolume.NotFound' });
      }
      if (volume.state !== 'available') {
        throw Object.assign(new Error(`${input.VolumeId} is ${volume.state}`), { name: 'VolumeInUse' });
      }
      delete this.volumes[input.VolumeId];
      this.log.push(`delete ${input.VolumeId}`);
      return {};
    });
    ec2Mock.on(DeleteSnapshotCommand).callsFake((input) => {
      if (this.failDelete[input.SnapshotId]) {
        throw Object.assign(new Error('delete failed'), { name: this.failDelete[input.SnapshotId] });
      }
      if (!this.snapshots[input.SnapshotId]) {
        throw Object.assign(new Error(`${input.SnapshotId} does not exist`), { name: 'InvalidSnapshot.NotFound' });
      }
      if (this.snapshots[input.SnapshotId].tags[AWS_BACKUP_TAG] !== undefined) {
        // EC2 refuses to delete a snapshot AWS Backup manages (Amazon EBS User Guide, "Delete an
        // Amazon EBS snapshot"); the error's name is not documented, so this one is made up.
        throw Object.assign(new Error(`${input.SnapshotId} is managed by AWS Backup`), {
          name: 'InvalidSnapshot.ManagedByAwsBackup',
        });
      }
      delete this.snapshots[input.SnapshotId];
      this.log.push(`delete ${input.SnapshotId}`);
      return {};
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  }

  public instance(id: string, az: string, lifecycle: string): this {
    this.instances[id] = { az, lifecycle, tags: {} };
    return this;
  }

  public volume(id: string, volume: Partial<FakeVolume> & { az: string }): this {
    this.volumes[id] = {
      state: 'available',
      size: 20,
      created: minutesAgo(30 * 24 * 60),
      tags: { [GROUP_TAG]: GROUP },
      ...volume,
    };
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
      CreateTime: v.created,
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
