import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-jest';
import {
  ALLOCATION,
  ATTACHED_AT,
  AWS_BACKUP_TAG,
  AZ_A,
  AZ_B,
  ec2Mock,
  GROUP,
  GROUP_TAG,
  minutesAgo,
  REASON,
  snsMock,
  TOPIC,
  World,
} from './ec2-world';
import { handler } from '../../src/eip-failover/data-retention.lambda';
import { AWS_BACKUP_KEPT } from '../../src/eip-failover/decisions';

const DAY = 24 * 60;
const CURRENT = 'i-0current0000000000';
const ENV = {
  GROUP_NAME: GROUP,
  ALLOCATION_ID: ALLOCATION,
  DATA_VOLUME_TAG: GROUP_TAG,
  ATTACHED_AT_TAG: ATTACHED_AT,
  SNAPSHOT_REASON_TAG: REASON,
  RETENTION_HOURS: String(7 * 24),
  GRACE_MINUTES: '60',
  TOPIC_ARN: TOPIC,
  RETRY_BASE_DELAY_MS: '1',
};

let world: World;
const savedEnv = { ...process.env };
/** What the handler wrote to stdout (its embedded-metric-format records). */
let written: string[];

beforeEach(() => {
  ec2Mock.reset();
  snsMock.reset();
  process.env = { ...savedEnv, ...ENV };
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  written = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  world = new World();
});

afterEach(() => {
  process.env = savedEnv;
  jest.restoreAllMocks();
});

const served = (minutes: number) => ({ [GROUP_TAG]: GROUP, [ATTACHED_AT]: minutesAgo(minutes).toISOString() });
const snapshotTags = (reason: string, servedMinutesAgo?: number) => ({
  [GROUP_TAG]: GROUP,
  [REASON]: reason,
  ...(servedMinutesAgo === undefined ? {} : { [ATTACHED_AT]: minutesAgo(servedMinutesAgo).toISOString() }),
});

/**
 * The usual state after a move from zone a to zone b ten days ago: vol-b serves (attached to the
 * current instance), vol-a was left available in zone a with the launch hook's `detached` snapshot.
 */
function afterMove(): World {
  return world
    .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(10 * DAY) })
    .volume('vol-a', { az: AZ_A, tags: served(40 * DAY), created: minutesAgo(60 * DAY) })
    .snapshot('snap-detached', {
      volumeId: 'vol-a',
      start: minutesAgo(10 * DAY + 5),
      tags: snapshotTags('detached', 40 * DAY),
    });
}

/** vol-b serves since 10 days; its history holds every kind of snapshot. */
function history(): World {
  return afterMove()
    .snapshot('snap-term-old', {
      volumeId: 'vol-b',
      start: minutesAgo(12 * DAY),
      tags: snapshotTags('termination', 20 * DAY),
    })
    .snapshot('snap-term-recent', {
      volumeId: 'vol-b',
      start: minutesAgo(3 * DAY),
      tags: snapshotTags('termination', 20 * DAY),
    })
    .snapshot('snap-periodic-b', {
      volumeId: 'vol-b',
      start: minutesAgo(9 * DAY),
      tags: snapshotTags('periodic', 10 * DAY),
    })
    .snapshot('snap-periodic-gone', {
      volumeId: 'vol-gone',
      start: minutesAgo(50 * DAY),
      tags: snapshotTags('periodic', 60 * DAY),
    })
    .snapshot('snap-periodic-gone-new', {
      volumeId: 'vol-gone',
      start: minutesAgo(2 * DAY),
      tags: snapshotTags('periodic', 60 * DAY),
    })
    .snapshot('snap-failed', {
      volumeId: 'vol-gone',
      state: 'error',
      start: minutesAgo(30 * DAY),
      tags: snapshotTags('termination', 60 * DAY),
    })
    .snapshot('snap-pending-old', {
      volumeId: 'vol-gone',
      state: 'pending',
      start: minutesAgo(30 * DAY),
      tags: snapshotTags('termination', 60 * DAY),
    });
}

describe('volumes left behind', () => {
  test('a volume the group moved away from is deleted once a snapshot taken after its release holds its data; the topic is told which', async () => {
    afterMove();
    const result = await handler();
    expect(world.volumes['vol-a']).toBeUndefined();
    expect(world.volumes['vol-b']).toBeDefined();
    expect(world.snapshots['snap-detached']).toBeDefined();
    expect(result.deletedVolumes).toEqual([{ volumeId: 'vol-a', snapshotId: 'snap-detached' }]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DeleteVolumeCommand, 1);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Message: expect.stringMatching(
        /Deleted the data volume vol-a.*snap-detached, which is deleted 7 days after it was taken/,
      ),
    });
  });

  test('a volume left in a lost zone (no snapshot after it last served) is snapshotted first, and deleted only once that snapshot completes', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(2 * DAY) })
      .volume('vol-a', { az: AZ_A, tags: served(30 * DAY), created: minutesAgo(30 * DAY) })
      // The periodic snapshot vol-b was restored from: older than the data left on vol-a.
      .snapshot('snap-periodic', {
        volumeId: 'vol-a',
        start: minutesAgo(2 * DAY + 50),
        tags: snapshotTags('periodic', 30 * DAY),
      });

    const first = await handler();
    expect(first.deletedVolumes).toEqual([]);
    expect(first.retiringSnapshots).toHaveLength(1);
    const retired = first.retiringSnapshots[0];
    expect(world.snapshots[retired]).toMatchObject({
      volumeId: 'vol-a',
      state: 'pending',
      tags: { [GROUP_TAG]: GROUP, [REASON]: 'retired', [ATTACHED_AT]: world.volumes['vol-a'].tags[ATTACHED_AT] },
    });
    expect(world.volumes['vol-a']).toBeDefined();

    // Still being taken: nothing more (no second snapshot, no deletion).
    const second = await handler();
    expect(second.retiringSnapshots).toEqual([]);
    expect(second.kept['vol-a']).toMatch(/still being taken/);
    expect(world.volumes['vol-a']).toBeDefined();

    world.snapshots[retired].state = 'completed';
    const third = await handler();
    expect(third.deletedVolumes).toEqual([{ volumeId: 'vol-a', snapshotId: retired }]);
    expect(world.volumes['vol-a']).toBeUndefined();
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateSnapshotCommand, 1);
  });

  test('a termination snapshot does not count (taken while the instance still ran): the volume is snapshotted again before deletion', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(2 * DAY) })
      .volume('vol-a', { az: AZ_A, tags: served(30 * DAY) })
      .snapshot('snap-termination', {
        volumeId: 'vol-a',
        start: minutesAgo(2 * DAY + 5),
        tags: snapshotTags('termination', 30 * DAY),
      });
    const result = await handler();
    expect(result.deletedVolumes).toEqual([]);
    expect(result.retiringSnapshots).toHaveLength(1);
    expect(world.volumes['vol-a']).toBeDefined();
  });

  test('a detached snapshot from before the volume last served does not count either', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(2 * DAY) })
      .volume('vol-a', { az: AZ_A, tags: served(10 * DAY) })
      .snapshot('snap-old-detached', {
        volumeId: 'vol-a',
        start: minutesAgo(20 * DAY),
        tags: snapshotTags('detached', 30 * DAY),
      });
    const result = await handler();
    expect(result.deletedVolumes).toEqual([]);
    expect(result.retiringSnapshots).toHaveLength(1);
  });

  test('nothing at all is deleted while the volume that serves is not attached (between instances, or launches failing)', async () => {
    history();
    world.volumes['vol-b'].state = 'available';
    world.volumes['vol-b'].attachedTo = undefined;
    world.volumes['vol-b'].attachment = undefined;
    const result = await handler();
    expect(world.volumes['vol-a']).toBeDefined();
    expect(result.kept['vol-a']).toMatch(/vol-b\) is not attached: nothing is deleted until it is/);
    expect(result.kept['snap-term-old']).toMatch(/vol-b\) is not attached/);
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteVolumeCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteSnapshotCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateSnapshotCommand);

    // Once the replacement is attached, the next run goes on.
    world.volumes['vol-b'].state = 'in-use';
    world.volumes['vol-b'].attachedTo = CURRENT;
    world.volumes['vol-b'].attachment = 'attached';
    const next = await handler();
    expect(next.deletedVolumes).toEqual([{ volumeId: 'vol-a', snapshotId: 'snap-detached' }]);
    expect(next.deletedSnapshots).toContain('snap-term-old');
  });

  test('the volume that serves is never touched: alone and available it stops the run, attached it is in use', async () => {
    world.volume('vol-a', { az: AZ_A, tags: served(90 * DAY), created: minutesAgo(90 * DAY) });
    const alone = await handler();
    expect(alone.kept['vol-a']).toMatch(/\(vol-a\) is not attached/);
    world.volumes['vol-a'].state = 'in-use';
    world.volumes['vol-a'].attachedTo = CURRENT;
    world.volumes['vol-a'].attachment = 'attached';
    const attached = await handler();
    expect(attached.kept['vol-a']).toBe('in-use, not available');
    expect(world.volumes['vol-a']).toBeDefined();
    expect(ec2Mock).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteVolumeCommand);
  });

  test('a volume created within the grace period (a launch may be attaching it) is left alone, even if it never served', async () => {
    afterMove();
    world.volume('vol-new', { az: AZ_A, tags: { [GROUP_TAG]: GROUP }, created: minutesAgo(20) });
    const result = await handler();
    expect(world.volumes['vol-new']).toBeDefined();
    expect(result.kept['vol-new']).toMatch(/grace period/);
    expect(ec2Mock).not.toHaveReceivedCommandWith(CreateSnapshotCommand, { VolumeId: 'vol-new' });
  });

  test('a volume attached to an instance (a dying one, or by hand) is left alone', async () => {
    afterMove();
    world.volumes['vol-a'].state = 'in-use';
    world.volumes['vol-a'].attachedTo = 'i-0dying000000000000';
    world.volumes['vol-a'].attachment = 'attached';
    const result = await handler();
    expect(world.volumes['vol-a']).toBeDefined();
    expect(result.kept['vol-a']).toMatch(/in-use, not available/);
  });

  test('volumes of another group, or untagged, are not even seen', async () => {
    afterMove();
    world.volume('vol-other', { az: AZ_A, tags: { [GROUP_TAG]: 'another-group' } });
    world.volume('vol-untagged', { az: AZ_A, tags: {} });
    await handler();
    expect(world.volumes['vol-other']).toBeDefined();
    expect(world.volumes['vol-untagged']).toBeDefined();
    expect(ec2Mock).not.toHaveReceivedCommandWith(DeleteVolumeCommand, { VolumeId: 'vol-other' });
    expect(ec2Mock).not.toHaveReceivedCommandWith(DeleteVolumeCommand, { VolumeId: 'vol-untagged' });
  });

  test('a volume attached again between the listing and the deletion is kept (looked at again right before deleting)', async () => {
    afterMove();
    const listed = world.volumes['vol-a'];
    ec2Mock.on(DescribeVolumesCommand, { VolumeIds: ['vol-a'] }).callsFake(() => ({
      Volumes: [
        {
          VolumeId: 'vol-a',
          State: 'in-use',
          Tags: Object.entries(listed.tags).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    }));
    const result = await handler();
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteVolumeCommand);
    expect(result.kept['vol-a']).toMatch(/changed since it was listed \(in-use\)/);
    expect(result.errors).toEqual([]);
  });

  test('DeleteVolume refused because the volume is in use again: kept, not an error', async () => {
    afterMove();
    world.failDelete['vol-a'] = 'VolumeInUse';
    const result = await handler();
    expect(result.kept['vol-a']).toMatch(/in use again/);
    expect(result.errors).toEqual([]);
  });
});

describe('snapshots', () => {
  test('expires what is past retention and no longer needed; keeps the restore point, recent, pending and DLM-managed snapshots', async () => {
    history();
    const result = await handler();
    expect(result.deletedSnapshots.sort()).toEqual(['snap-failed', 'snap-periodic-gone', 'snap-term-old']);
    expect(result.kept).toMatchObject({
      'snap-term-recent': 'within the retention period',
      'snap-periodic-b': 'the snapshot a launch in another zone would restore',
      'snap-periodic-gone-new': 'within the retention period',
      'snap-pending-old': 'pending',
    });
    // vol-a's detached snapshot is its cover while vol-a exists; vol-a is deleted in this run.
    expect(result.deletedVolumes).toEqual([{ volumeId: 'vol-a', snapshotId: 'snap-detached' }]);
    expect(world.snapshots['snap-detached']).toBeDefined();
    expect(Object.keys(world.snapshots).sort()).toEqual([
      'snap-detached',
      'snap-pending-old',
      'snap-periodic-b',
      'snap-periodic-gone-new',
      'snap-term-recent',
    ]);
  });

  test('the restore point is the newest completed snapshot of the data served last, kept however old, even if it is the only snapshot', async () => {
    world.volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(400 * DAY) }).snapshot('snap-only', {
      volumeId: 'vol-gone',
      start: minutesAgo(300 * DAY),
      tags: snapshotTags('termination', 500 * DAY),
    });
    const result = await handler();
    expect(world.snapshots['snap-only']).toBeDefined();
    expect(result.kept['snap-only']).toBe('the snapshot a launch in another zone would restore');
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  test('a pending newer snapshot does not make the completed restore point expendable', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(40 * DAY) })
      .snapshot('snap-complete', {
        volumeId: 'vol-b',
        start: minutesAgo(20 * DAY),
        tags: snapshotTags('termination', 40 * DAY),
      })
      .snapshot('snap-pending', {
        volumeId: 'vol-b',
        state: 'pending',
        start: minutesAgo(10),
        tags: snapshotTags('periodic', 40 * DAY),
      });
    await handler();
    expect(world.snapshots['snap-complete']).toBeDefined();
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  test('a periodic snapshot of an existing volume is left to Data Lifecycle Manager, however old', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(40 * DAY) })
      .snapshot('snap-new', { volumeId: 'vol-b', start: minutesAgo(60), tags: snapshotTags('periodic', 40 * DAY) })
      .snapshot('snap-periodic-old', {
        volumeId: 'vol-b',
        start: minutesAgo(45 * DAY),
        tags: snapshotTags('periodic', 50 * DAY),
      });
    const result = await handler();
    expect(result.kept['snap-periodic-old']).toMatch(/Data Lifecycle Manager expires it/);
    expect(world.snapshots['snap-periodic-old']).toBeDefined();
  });

  test("a snapshot of an existing volume taken since it last served (that volume's current data) is kept past retention", async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(1 * DAY) })
      .volume('vol-a', { az: AZ_A, tags: served(40 * DAY) })
      .snapshot('snap-b', { volumeId: 'vol-b', start: minutesAgo(60), tags: snapshotTags('periodic', 1 * DAY) })
      .snapshot('snap-a-retired', {
        volumeId: 'vol-a',
        start: minutesAgo(20 * DAY),
        tags: snapshotTags('retired', 40 * DAY),
      });
    // vol-a cannot be deleted here (it is in use by hand), so its cover must stay.
    world.volumes['vol-a'].state = 'in-use';
    world.volumes['vol-a'].attachedTo = 'i-0byhand000000000000';
    const result = await handler();
    expect(result.kept['snap-a-retired']).toMatch(/taken since vol-a last served/);
    expect(world.snapshots['snap-a-retired']).toBeDefined();
  });

  test('a snapshot a volume is being created from is kept', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(40 * DAY) })
      .snapshot('snap-new', { volumeId: 'vol-b', start: minutesAgo(60), tags: snapshotTags('periodic', 40 * DAY) })
      .snapshot('snap-source', {
        volumeId: 'vol-gone',
        start: minutesAgo(45 * DAY),
        tags: snapshotTags('termination', 50 * DAY),
      })
      .volume('vol-creating', { az: AZ_A, state: 'creating', snapshotId: 'snap-source', created: minutesAgo(5) });
    const result = await handler();
    expect(result.kept['snap-source']).toBe('a volume is being created from it');
    expect(world.snapshots['snap-source']).toBeDefined();
  });

  test('a snapshot in use by an image, or already gone, is not an error', async () => {
    history();
    world.failDelete['snap-term-old'] = 'InvalidSnapshot.InUse';
    world.failDelete['snap-failed'] = 'InvalidSnapshot.NotFound';
    const result = await handler();
    expect(result.errors).toEqual([]);
    expect(result.kept['snap-term-old']).toMatch(/in use/);
    expect(result.kept['snap-failed']).toBe('already deleted');
    expect(result.deletedSnapshots).toEqual(['snap-periodic-gone']);
  });
});

describe('failures and repeats', () => {
  test('a failed deletion does not stop the others; the run then fails (retried, counted in Errors) and tells the topic', async () => {
    history();
    world.failDelete['snap-term-old'] = 'UnauthorizedOperation';
    await expect(handler()).rejects.toThrow(/delete snap-term-old: UnauthorizedOperation/);
    expect(world.snapshots['snap-term-old']).toBeDefined();
    expect(world.snapshots['snap-periodic-gone']).toBeUndefined();
    expect(world.volumes['vol-a']).toBeUndefined();
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: `${GROUP}: data retention failed`,
      Message: expect.stringContaining('Failed: delete snap-term-old: UnauthorizedOperation'),
    });
  });

  test('a failed snapshot before deletion keeps the volume and fails the run', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(2 * DAY) })
      .volume('vol-a', { az: AZ_A, tags: served(30 * DAY) });
    world.failCreateSnapshot = true;
    await expect(handler()).rejects.toThrow(/snapshot of vol-a: SnapshotLimitExceeded/);
    expect(world.volumes['vol-a']).toBeDefined();
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteVolumeCommand);
  });

  // Retries are the SDK clients' own (the mock replaces send, so it cannot see them): see sdk-retries.handler.test.ts.

  test('repeated runs settle: each deletes only what the previous one made expendable, then nothing; two runs at once delete each thing once', async () => {
    history();
    await handler();
    // vol-a is gone now, so its detached snapshot (10 days old, not the restore point) is past retention.
    const second = await handler();
    expect(second.deletedSnapshots).toEqual(['snap-detached']);
    const settled = { volumes: Object.keys(world.volumes).sort(), snapshots: Object.keys(world.snapshots).sort() };
    expect(settled).toEqual({
      volumes: ['vol-b'],
      snapshots: ['snap-pending-old', 'snap-periodic-b', 'snap-periodic-gone-new', 'snap-term-recent'],
    });
    ec2Mock.resetHistory();
    const third = await handler();
    expect(third.deletedVolumes).toEqual([]);
    expect(third.deletedSnapshots).toEqual([]);
    expect(third.retiringSnapshots).toEqual([]);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect({ volumes: Object.keys(world.volumes).sort(), snapshots: Object.keys(world.snapshots).sort() }).toEqual(
      settled,
    );

    world = new World();
    history();
    const [one, two] = await Promise.all([handler(), handler()]);
    expect([...one.deletedSnapshots, ...two.deletedSnapshots].sort()).toEqual([
      'snap-failed',
      'snap-periodic-gone',
      'snap-term-old',
    ]);
    expect([...one.deletedVolumes, ...two.deletedVolumes]).toHaveLength(1);
    expect([...one.errors, ...two.errors]).toEqual([]);
  });

  test('a group name of 255 characters (the most autoScalingGroupName allows) still fits the snapshot description limit', async () => {
    const long = 'g'.repeat(255);
    process.env.GROUP_NAME = long;
    world
      .volume('vol-b', {
        az: AZ_B,
        attachedTo: CURRENT,
        tags: { [GROUP_TAG]: long, [ATTACHED_AT]: minutesAgo(DAY).toISOString() },
      })
      .volume('vol-a', { az: AZ_A, tags: { [GROUP_TAG]: long, [ATTACHED_AT]: minutesAgo(9 * DAY).toISOString() } });
    const result = await handler();
    expect(result.retiringSnapshots).toHaveLength(1);
    const description = ec2Mock.commandCalls(CreateSnapshotCommand)[0].args[0].input.Description!;
    expect(description.length).toBe(255);
    expect(description.startsWith(`Data of ${long.slice(0, 50)}`)).toBe(true);
  });

  test('refuses to run without its configuration', async () => {
    delete process.env.RETENTION_HOURS;
    await expect(handler()).rejects.toThrow(/GROUP_NAME and RETENTION_HOURS must be set/);
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
  });
});

describe('snapshots AWS Backup took of the data volumes (dataVolume.backupPlan)', () => {
  /** A snapshot AWS Backup took of `volumeId`: the volume's tags copied, and AWS Backup's own. */
  const backupTags = (servedMinutesAgo: number, volumeId: string) => ({
    [GROUP_TAG]: GROUP,
    [ATTACHED_AT]: minutesAgo(servedMinutesAgo).toISOString(),
    [AWS_BACKUP_TAG]: `arn:aws:ec2:eu-west-1:111111111111:volume/${volumeId}`,
  });

  test("are never deleted, however old, nor counted as errors; the group's own expired snapshots still go", async () => {
    history()
      .snapshot('snap-backup-b', {
        volumeId: 'vol-b',
        start: minutesAgo(20 * DAY),
        tags: backupTags(10 * DAY, 'vol-b'),
      })
      .snapshot('snap-backup-gone', {
        volumeId: 'vol-gone',
        start: minutesAgo(40 * DAY),
        tags: backupTags(60 * DAY, 'vol-gone'),
      })
      .snapshot('snap-backup-failed', {
        volumeId: 'vol-gone',
        state: 'error',
        start: minutesAgo(40 * DAY),
        tags: backupTags(60 * DAY, 'vol-gone'),
      });
    const result = await handler();
    expect(result.errors).toEqual([]);
    for (const id of ['snap-backup-b', 'snap-backup-gone', 'snap-backup-failed']) {
      expect(world.snapshots[id]).toBeDefined();
      expect(ec2Mock).not.toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: id });
      expect(result.kept[id]).toBe(AWS_BACKUP_KEPT);
    }
    expect(result.deletedSnapshots).toEqual(expect.arrayContaining(['snap-term-old', 'snap-periodic-gone']));
    expect(snsMock).not.toHaveReceivedCommandWith(PublishCommand, { Subject: expect.stringContaining('failed') });
  });

  test("do not replace the group's restore point: it is kept past retention even when AWS Backup's snapshots are newer", async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(30 * DAY) })
      .snapshot('snap-point', {
        volumeId: 'vol-b',
        start: minutesAgo(20 * DAY),
        tags: snapshotTags('termination', 30 * DAY),
      })
      .snapshot('snap-backup', { volumeId: 'vol-b', start: minutesAgo(10 * DAY), tags: backupTags(30 * DAY, 'vol-b') });
    const result = await handler();
    expect(result.errors).toEqual([]);
    expect(world.snapshots['snap-point']).toBeDefined();
    expect(result.kept['snap-point']).toBe('the snapshot a launch in another zone would restore');
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  test('do not hold the data of a volume left behind: it is snapshotted (retired) before it is deleted, and only once that snapshot completes', async () => {
    world
      .volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(10 * DAY) })
      .volume('vol-a', { az: AZ_A, tags: served(40 * DAY), created: minutesAgo(60 * DAY) })
      .snapshot('snap-backup-a', {
        volumeId: 'vol-a',
        start: minutesAgo(5 * DAY),
        tags: backupTags(40 * DAY, 'vol-a'),
      });
    const first = await handler();
    expect(first.deletedVolumes).toEqual([]);
    expect(world.volumes['vol-a']).toBeDefined();
    expect(first.retiringSnapshots).toHaveLength(1);
    const [retired] = first.retiringSnapshots;
    expect(world.snapshots[retired].tags).toEqual({
      [GROUP_TAG]: GROUP,
      [REASON]: 'retired',
      [ATTACHED_AT]: expect.any(String),
    });
    world.snapshots[retired].state = 'completed';
    const second = await handler();
    expect(second.deletedVolumes).toEqual([{ volumeId: 'vol-a', snapshotId: retired }]);
    expect(world.snapshots['snap-backup-a']).toBeDefined();
  });
});

describe('the age of the newest snapshot (NewestSnapshotAge, embedded metric format)', () => {
  const NOW = Date.parse('2026-11-20T12:00:00.000Z');
  const records = () => written.filter((w) => w.includes('"_aws"')).map((w) => JSON.parse(w));
  /** The one record a run writes, with the age in seconds. */
  const ageRecord = (seconds: number) => ({
    _aws: {
      Timestamp: NOW,
      CloudWatchMetrics: [
        {
          Namespace: 'CdkHaPatterns/ElasticIpFailover',
          Dimensions: [['AllocationId']],
          Metrics: [{ Name: 'NewestSnapshotAge', Unit: 'Seconds' }],
        },
      ],
    },
    AllocationId: ALLOCATION,
    GroupName: GROUP,
    NewestSnapshotAge: seconds,
  });

  beforeEach(() => {
    // The world's times (minutesAgo) and the handler's clock agree to the millisecond.
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });

  test("every run records the newest completed snapshot of the volume that serves, by allocation id (not vol-a's, not pending ones)", async () => {
    history();
    await handler();
    // snap-term-recent (3 days) is vol-b's newest; snap-pending-old and the left-behind vol-a's do not count.
    expect(records()).toEqual([ageRecord(3 * DAY * 60)]);
    await handler();
    expect(records()).toHaveLength(2);
  });

  test('a new periodic snapshot brings the age down; a newer one of AWS Backup does not', async () => {
    history()
      .snapshot('snap-periodic-new', {
        volumeId: 'vol-b',
        start: minutesAgo(25),
        tags: snapshotTags('periodic', 10 * DAY),
      })
      .snapshot('snap-backup-new', {
        volumeId: 'vol-b',
        start: minutesAgo(5),
        tags: { ...served(10 * DAY), [AWS_BACKUP_TAG]: 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-b' },
      });
    await handler();
    expect(records()).toEqual([ageRecord(25 * 60)]);
  });

  test('a volume that serves without any snapshot: its own age, so it alarms as it ages', async () => {
    world.volume('vol-b', { az: AZ_B, attachedTo: CURRENT, tags: served(2 * 60), created: minutesAgo(3 * 60) });
    await handler();
    expect(records()).toEqual([ageRecord(3 * 60 * 60)]);
  });

  test('recorded right after the listing, before anything is deleted: a run that fails later still records it', async () => {
    history();
    world.failDelete['snap-term-old'] = 'UnauthorizedOperation';
    const deletionsWhenWritten: number[] = [];
    (process.stdout.write as unknown as jest.SpyInstance).mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      deletionsWhenWritten.push(
        ec2Mock.commandCalls(DeleteSnapshotCommand).length + ec2Mock.commandCalls(DeleteVolumeCommand).length,
      );
      return true;
    });
    await expect(handler()).rejects.toThrow(/UnauthorizedOperation/);
    expect(records()).toEqual([ageRecord(3 * DAY * 60)]);
    expect(deletionsWhenWritten).toEqual([0]);
    expect(ec2Mock.commandCalls(DeleteSnapshotCommand).length).toBeGreaterThan(0);
  });

  test('nothing recorded when the group has no volume and no snapshot yet, or without ALLOCATION_ID', async () => {
    await handler();
    expect(records()).toEqual([]);
    delete process.env.ALLOCATION_ID;
    history();
    await handler();
    expect(records()).toEqual([]);
  });
});
