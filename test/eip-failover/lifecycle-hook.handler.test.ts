import { CompleteLifecycleActionCommand, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-jest';
import {
  ALLOCATION,
  asMock,
  ATTACHED_AT,
  AWS_BACKUP_TAG,
  AZ_A,
  AZ_B,
  ec2Mock,
  GROUP,
  GROUP_TAG,
  minutesAgo,
  NEW,
  OLD,
  REASON,
  snsMock,
  TOPIC,
  World,
} from './ec2-world';
import { handler, LifecycleEvent, ProbeAlarmEvent } from '../../src/eip-failover/lifecycle-hook.lambda';

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

  test('an abandoned launch records AbandonedLaunches = 1 (embedded metric format) by allocation id', async () => {
    world.instance(NEW, AZ_A, 'Pending:Wait').volume('vol-live', {
      az: AZ_A,
      attachedTo: OLD,
      releaseAfter: Infinity,
      tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: '2026-11-20T10:00:00.000Z' },
    });
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const result = await launch();
    expect(result).toMatchObject({ action: 'abandoned' });
    const records = written.filter((w) => w.includes('"_aws"')).map((w) => JSON.parse(w));
    expect(records).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: 'CdkHaPatterns/ElasticIpFailover',
              Dimensions: [['AllocationId']],
              Metrics: [{ Name: 'AbandonedLaunches', Unit: 'Count' }],
            },
          ],
        }),
        AllocationId: ALLOCATION,
        InstanceId: NEW,
        AbandonedLaunches: 1,
      }),
    ]);
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

describe('launch with snapshots AWS Backup took of the data volume (dataVolume.backupPlan)', () => {
  const served = '2026-11-20T10:00:00.000Z';
  /** The volume's tags, copied by AWS Backup, and AWS Backup's own. */
  const backupTags = {
    [GROUP_TAG]: GROUP,
    [ATTACHED_AT]: served,
    [AWS_BACKUP_TAG]: 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-live',
  };
  /** The volume served last is in zone a, which is lost: it never comes free. */
  function zoneALost(): World {
    return world.instance(NEW, AZ_B, 'Pending:Wait').volume('vol-live', {
      az: AZ_A,
      attachedTo: OLD,
      releaseAfter: Infinity,
      tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served },
    });
  }

  test("old AZ lost: the group's own newest completed snapshot is restored, not AWS Backup's newer one", async () => {
    zoneALost()
      .snapshot('snap-periodic', {
        volumeId: 'vol-live',
        start: minutesAgo(50),
        tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served, [REASON]: 'periodic' },
      })
      .snapshot('snap-backup', { volumeId: 'vol-live', start: minutesAgo(10), tags: backupTags });
    const result = await launch();
    expect(result.action).toBe('continued');
    expect(world.volumeOf(NEW)![1]).toMatchObject({ az: AZ_B, snapshotId: 'snap-periodic' });
    expect(ec2Mock).not.toHaveReceivedCommandWith(CreateVolumeCommand, { SnapshotId: 'snap-backup' });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { Subject: expect.stringContaining('snap-periodic') });
    expectNothingDeleted();
  });

  test('old AZ lost and only AWS Backup snapshots: ABANDON, nothing created, and the topic is told to restore a recovery point', async () => {
    zoneALost().snapshot('snap-backup', { volumeId: 'vol-live', start: minutesAgo(10), tags: backupTags });
    const result = await launch();
    expect(result).toMatchObject({ action: 'abandoned' });
    expect(result.reason).toMatch(/1 taken by AWS Backup is not restored automatically: restore a recovery point/);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateVolumeCommand);
    expect(world.completions).toEqual([{ instanceId: NEW, result: 'ABANDON' }]);
    expect(world.holder).toBe(OLD);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.stringMatching(/taken by AWS Backup is not restored automatically.*\nThe launch was abandoned/s),
    });
    expectNothingDeleted();
  });

  test('old volume released in another AZ with an AWS Backup snapshot since it served: a snapshot of its own is taken and restored', async () => {
    world
      .instance(NEW, AZ_B, 'Pending:Wait')
      .volume('vol-live', { az: AZ_A, tags: { [GROUP_TAG]: GROUP, [ATTACHED_AT]: served } })
      .snapshot('snap-backup', { volumeId: 'vol-live', start: minutesAgo(5), tags: backupTags });
    const result = await launch();
    expect(result.action).toBe('continued');
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateSnapshotCommand, 1);
    const restoredFrom = world.volumeOf(NEW)![1].snapshotId!;
    expect(restoredFrom).not.toBe('snap-backup');
    expect(world.snapshots[restoredFrom].tags).toMatchObject({ [REASON]: 'detached' });
  });
});

/** The event of the health probe alarm's Lambda action. */
function probeAlarm(state = 'ALARM', allocationId = ALLOCATION, metricName = 'HealthProbeFailed'): ProbeAlarmEvent {
  return {
    source: 'aws.cloudwatch',
    alarmArn: 'arn:aws:cloudwatch:eu-west-1:111111111111:alarm:probe',
    alarmData: {
      alarmName: 'probe',
      state: { value: state },
      configuration: {
        metrics: [
          {
            metricStat: {
              metric: { name: metricName, dimensions: { AllocationId: allocationId } },
            },
          },
        ],
      },
    },
  };
}

describe('health probe alarm', () => {
  test('ALARM: the instance holding the Elastic IP is marked Unhealthy (not waiting for the group grace), and the topic told', async () => {
    world.instance(OLD, AZ_A, 'InService');
    const result = await handler(probeAlarm(), context);
    expect(result).toMatchObject({ action: 'marked-unhealthy', instanceId: OLD });
    expect(world.healthSet).toEqual([{ instanceId: OLD, status: 'Unhealthy', respectGrace: false }]);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: expect.stringContaining(`${OLD} failed the health probe`),
    });
    expect(asMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
    expectNothingDeleted();
  });

  test('the holder is not InService (a replacement is under way): nothing marked', async () => {
    world.instance(OLD, AZ_A, 'Terminating:Wait');
    const result = await handler(probeAlarm(), context);
    expect(result).toMatchObject({ action: 'ignored', instanceId: OLD });
    expect(result.reason).toMatch(/Terminating:Wait, not InService/);
    expect(asMock).not.toHaveReceivedCommand(SetInstanceHealthCommand);
  });

  test('the holder is not in this group, or nothing holds the Elastic IP: nothing marked', async () => {
    world.holder = 'i-0notinthegroup0000';
    expect((await handler(probeAlarm(), context)).reason).toMatch(/not in this group/);
    world.holder = undefined;
    expect((await handler(probeAlarm(), context)).reason).toMatch(/no instance holds the Elastic IP/);
    expect(asMock).not.toHaveReceivedCommand(SetInstanceHealthCommand);
  });

  test('OK, another Elastic IP, another metric: ignored without a call', async () => {
    world.instance(OLD, AZ_A, 'InService');
    for (const e of [
      probeAlarm('OK'),
      probeAlarm('ALARM', 'eipalloc-0ther'),
      probeAlarm('ALARM', ALLOCATION, 'CPUUtilization'),
    ]) {
      expect(await handler(e, context)).toMatchObject({ action: 'ignored' });
    }
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(asMock.calls()).toHaveLength(0);
  });

  test('a duplicate delivery after the group took the instance out of service marks nothing twice', async () => {
    world.instance(OLD, AZ_A, 'InService');
    asMock.on(SetInstanceHealthCommand).callsFake((input) => {
      world.healthSet.push({ instanceId: input.InstanceId, status: input.HealthStatus });
      world.instances[input.InstanceId].lifecycle = 'Terminating';
      return {};
    });
    await handler(probeAlarm(), context);
    const again = await handler(probeAlarm(), context);
    expect(again).toMatchObject({ action: 'ignored' });
    expect(world.healthSet).toHaveLength(1);
  });
});
