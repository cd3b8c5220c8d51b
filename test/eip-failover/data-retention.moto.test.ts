import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  Snapshot,
  Volume,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { RetentionResult } from '../../src/eip-failover/data-retention.lambda';
import {
  callNames,
  handlerEnvironment,
  loadBundledHandler,
  MotoServer,
  NotificationInbox,
  RecordedCall,
  sleep,
} from '../support/moto-server';

// The bundled data retention function (assets/eip-failover/data-retention.lambda/index.js) against
// moto's EC2 and SNS: the volumes and snapshots a group leaves behind over a few failovers, tagged as
// the lifecycle hook function and Data Lifecycle Manager tag them. The tests read back from moto
// which volumes and snapshots are left.
//
// moto stamps CreateTime and StartTime with the current time (to the second), so age comes from
// waiting: the retention period and grace period are set to seconds and the world is built in
// phases a few seconds apart.

const GROUP = 'ha-service-group';
const GROUP_TAG = 'cdk-ha-patterns:data-volume';
const ATTACHED_AT = 'cdk-ha-patterns:attached-at';
const REASON = 'cdk-ha-patterns:snapshot-reason';
/** The tag AWS Backup puts on its snapshots (moto lets a test set it; EC2 does not). */
const AWS_BACKUP_TAG = 'aws:backup:source-resource';
const RETENTION_MS = 3_000;
const GRACE_MS = 2_500;
/** moto's times are whole seconds: waiting this long puts the next resource in a later second. */
const NEXT_SECOND_MS = 1_100;

interface Handler {
  handler(): Promise<RetentionResult>;
}

let moto: MotoServer;
let inbox: NotificationInbox;
let fn: Handler;
let ec2: EC2Client;
let sns: SNSClient;
const savedEnv = process.env;

beforeAll(async () => {
  moto = await MotoServer.start();
  inbox = await NotificationInbox.start();
  ec2 = new EC2Client(moto.clientConfig());
  sns = new SNSClient(moto.clientConfig());
  // What the construct sets (data-retention.ts), with the retention and grace periods in seconds.
  process.env = handlerEnvironment(moto.endpoint, {
    GROUP_NAME: GROUP,
    DATA_VOLUME_TAG: GROUP_TAG,
    ATTACHED_AT_TAG: ATTACHED_AT,
    SNAPSHOT_REASON_TAG: REASON,
    RETENTION_HOURS: String(RETENTION_MS / 3_600_000),
    GRACE_MINUTES: String(GRACE_MS / 60_000),
    RETRY_BASE_DELAY_MS: '10',
  });
  fn = loadBundledHandler<Handler>('eip-failover/data-retention.lambda');
});

afterAll(async () => {
  process.env = savedEnv;
  ec2?.destroy();
  sns?.destroy();
  await inbox?.stop();
  await moto?.stop();
});

let subnetB: string;

beforeEach(async () => {
  await moto.reset();
  inbox.clear();
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  subnetB = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'eu-west-1b' }),
    )
  ).Subnet!.SubnetId!;
  const topic = await sns.send(new CreateTopicCommand({ Name: 'failover-notifications' }));
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'http', Endpoint: inbox.url }));
  process.env.TOPIC_ARN = topic.TopicArn;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

async function createVolume(zone: string, tags: Record<string, string>, snapshotId?: string): Promise<string> {
  const out = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: 20,
      VolumeType: 'gp3',
      Encrypted: true,
      SnapshotId: snapshotId,
      TagSpecifications: [{ ResourceType: 'volume', Tags: tagList(tags) }],
    }),
  );
  return out.VolumeId!;
}

async function createSnapshot(volumeId: string, tags: Record<string, string>): Promise<string> {
  const out = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(tags) }],
    }),
  );
  return out.SnapshotId!;
}

/** A running instance in zone B with the volume attached, and the volume tagged as served now. */
async function serve(volumeId: string): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SubnetId: subnetB }),
  );
  const instanceId = out.Instances![0].InstanceId!;
  await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }));
  await ec2.send(
    new CreateTagsCommand({ Resources: [volumeId], Tags: [{ Key: ATTACHED_AT, Value: new Date().toISOString() }] }),
  );
  return instanceId;
}

/** Every volume the test made (moto also gives each instance an untagged root volume, left out here). */
async function volumes(): Promise<Volume[]> {
  return ((await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).filter((v) => (v.Tags ?? []).length > 0);
}

/**
 * Every snapshot the test made. moto ignores OwnerIds (it answers with the snapshots of its stock
 * AMIs too), so they are found by the tag key of data snapshots, of this group or another.
 */
async function snapshots(): Promise<Snapshot[]> {
  const out = await ec2.send(
    new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [GROUP_TAG] }] }),
  );
  return out.Snapshots ?? [];
}

async function volumeIds(): Promise<string[]> {
  return (await volumes()).map((v) => v.VolumeId!).sort();
}

async function snapshotIds(): Promise<string[]> {
  return (await snapshots()).map((s) => s.SnapshotId!).sort();
}

function run(): Promise<{ result: RetentionResult; calls: RecordedCall[] }> {
  return moto.record(() => fn.handler());
}

function deleted(calls: RecordedCall[], action: string, param: string): string[] {
  return calls
    .filter((c) => c.action === action)
    .map((c) => c.params.get(param)!)
    .sort();
}

describe('data retention function against moto', () => {
  test('deletes only the superseded volume and snapshots; keeps the serving volume, the restore point and every cover', async () => {
    // Phase 1: the volumes of earlier instances. Two are gone by now (their zone was lost, or they
    // were retired), one (old) was left behind with a snapshot of it taken after it was released,
    // one (stray) was left behind without one. Another group's volume and an untagged one are not ours.
    // When each volume last went into service, as the lifecycle hook function tags it (its snapshots copy the tag).
    const servedAt = { old: hoursAgo(4), stray: hoursAgo(3.5), gone1: hoursAgo(3), gone2: hoursAgo(2) };
    const gone1 = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.gone1 });
    const gone2 = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.gone2 });
    const old = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.old });
    const stray = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.stray });
    const otherGroup = await createVolume('eu-west-1a', { [GROUP_TAG]: 'another-group', [ATTACHED_AT]: hoursAgo(5) });
    const untagged = await createVolume('eu-west-1a', { Name: 'not a data volume' });
    await sleep(NEXT_SECOND_MS);

    // Phase 2: their snapshots; the current volume, restored from the newest one in zone B, serves.
    const terminationOfGone1 = await createSnapshot(gone1, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'termination',
      [ATTACHED_AT]: servedAt.gone1,
    });
    const periodicOfGone1 = await createSnapshot(gone1, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'periodic',
      [ATTACHED_AT]: servedAt.gone1,
    });
    const restorePoint = await createSnapshot(gone2, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'detached',
      [ATTACHED_AT]: servedAt.gone2,
    });
    const coverOfOld = await createSnapshot(old, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'detached',
      [ATTACHED_AT]: servedAt.old,
    });
    const periodicOfStray = await createSnapshot(stray, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'periodic',
      [ATTACHED_AT]: servedAt.stray,
    });
    const otherGroupSnapshot = await createSnapshot(otherGroup, {
      [GROUP_TAG]: 'another-group',
      [REASON]: 'termination',
    });
    for (const volumeId of [gone1, gone2]) await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    const current = await createVolume('eu-west-1b', { [GROUP_TAG]: GROUP }, restorePoint);
    await serve(current);
    await sleep(RETENTION_MS + 200);

    // Phase 3, just before the run: a volume a launch is creating, and a fresh periodic snapshot of it.
    const fresh = await createVolume('eu-west-1b', { [GROUP_TAG]: GROUP });
    const freshSnapshot = await createSnapshot(fresh, { [GROUP_TAG]: GROUP, [REASON]: 'periodic' });

    const { result, calls } = await run();

    expect(result.errors).toEqual([]);
    expect(result.deletedVolumes).toEqual([{ volumeId: old, snapshotId: coverOfOld }]);
    expect(result.deletedSnapshots.sort()).toEqual([terminationOfGone1, periodicOfGone1].sort());
    expect(result.retiringSnapshots).toHaveLength(1);
    const retiring = result.retiringSnapshots[0];
    expect(result.kept).toEqual({
      [current]: 'in-use, not available',
      [stray]: `snapshot ${retiring} started: the volume is deleted once it completes`,
      [fresh]: 'created or put into service within the grace period',
      [restorePoint]: 'the snapshot a launch in another zone would restore',
      [coverOfOld]: `taken since ${old} last served: it holds that volume's current data`,
      [periodicOfStray]: 'a periodic snapshot of an existing volume: Data Lifecycle Manager expires it',
      [freshSnapshot]: 'within the retention period',
    });

    // What is left in moto: the deletions happened, nothing else did.
    expect(await volumeIds()).toEqual([current, stray, fresh, otherGroup, untagged].sort());
    expect(await snapshotIds()).toEqual(
      [restorePoint, coverOfOld, periodicOfStray, freshSnapshot, otherGroupSnapshot, retiring].sort(),
    );
    const retired = (await snapshots()).find((s) => s.SnapshotId === retiring)!;
    expect(retired.VolumeId).toBe(stray);
    expect(retired.Tags).toEqual(
      expect.arrayContaining([
        { Key: GROUP_TAG, Value: GROUP },
        { Key: REASON, Value: 'retired' },
        { Key: ATTACHED_AT, Value: servedAt.stray },
      ]),
    );
    expect(deleted(calls, 'DeleteVolume', 'VolumeId')).toEqual([old]);
    expect(deleted(calls, 'DeleteSnapshot', 'SnapshotId')).toEqual([terminationOfGone1, periodicOfGone1].sort());
    expect(deleted(calls, 'CreateSnapshot', 'VolumeId')).toEqual([stray]);
    // The volume is described again right before it is deleted.
    const names = callNames(calls);
    expect(names.slice(0, 2)).toEqual(['ec2:DescribeVolumes', 'ec2:DescribeSnapshots']);
    expect(names[names.indexOf('ec2:DeleteVolume') - 1]).toBe('ec2:DescribeVolumes');
    expect(names.at(-1)).toBe('sns:Publish');
    expect(inbox.notifications).toEqual([
      {
        subject: `${GROUP}: data retention`,
        message: expect.stringContaining(
          `Deleted the data volume ${old}, no longer used: its data is in the snapshot ${coverOfOld}`,
        ),
      },
    ]);

    // The next run: the stray volume's snapshot has completed (at once, in moto), so the volume goes;
    // the cover of the volume deleted last run has outlived its volume and the retention period.
    inbox.clear();
    const next = await run();

    expect(next.result.errors).toEqual([]);
    expect(next.result.deletedVolumes).toEqual([{ volumeId: stray, snapshotId: retiring }]);
    expect(next.result.deletedSnapshots).toEqual([coverOfOld]);
    expect(next.result.kept[restorePoint]).toBe('the snapshot a launch in another zone would restore');
    expect(next.result.kept[current]).toBe('in-use, not available');
    const left = await snapshotIds();
    for (const kept of [restorePoint, periodicOfStray, freshSnapshot, otherGroupSnapshot, retiring]) {
      expect(left).toContain(kept);
    }
    expect(await volumeIds()).toEqual(expect.arrayContaining([current, fresh, otherGroup, untagged]));
    expect(await volumeIds()).not.toContain(stray);
    expect(inbox.notifications).toEqual([
      expect.objectContaining({ message: expect.stringContaining(`Deleted the data volume ${stray}`) }),
    ]);
  });

  test('deletes nothing while the volume that served last is not attached, and resumes once it is', async () => {
    const servedAt = { gone: hoursAgo(3), old: hoursAgo(2), current: hoursAgo(1) };
    const gone = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.gone });
    const old = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.old });
    // Served last (between instances now): the newest attached-at, attached to nothing.
    const current = await createVolume('eu-west-1b', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.current });
    await sleep(NEXT_SECOND_MS);
    const ofGone = await createSnapshot(gone, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'termination',
      [ATTACHED_AT]: servedAt.gone,
    });
    const coverOfOld = await createSnapshot(old, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'detached',
      [ATTACHED_AT]: servedAt.old,
    });
    const ofCurrent = await createSnapshot(current, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'termination',
      [ATTACHED_AT]: servedAt.current,
    });
    await ec2.send(new DeleteVolumeCommand({ VolumeId: gone }));
    await sleep(RETENTION_MS + 200);
    const volumesBefore = await volumeIds();
    const snapshotsBefore = await snapshotIds();

    const { result, calls } = await run();

    expect(result).toMatchObject({ deletedVolumes: [], deletedSnapshots: [], retiringSnapshots: [], errors: [] });
    const why = `the volume the group serves from (${current}) is not attached: nothing is deleted until it is`;
    expect(result.kept).toEqual({
      [old]: why,
      [current]: why,
      [ofGone]: why,
      [coverOfOld]: why,
      [ofCurrent]: why,
    });
    expect(callNames(calls)).toEqual(['ec2:DescribeVolumes', 'ec2:DescribeSnapshots']);
    expect(await volumeIds()).toEqual(volumesBefore);
    expect(await snapshotIds()).toEqual(snapshotsBefore);
    expect(inbox.notifications).toEqual([]);

    // A new instance takes the volume: the superseded volume and the snapshot of the gone one go.
    await serve(current);
    const next = await run();

    expect(next.result.errors).toEqual([]);
    expect(next.result.deletedVolumes).toEqual([{ volumeId: old, snapshotId: coverOfOld }]);
    expect(next.result.deletedSnapshots).toEqual([ofGone]);
    expect(next.result.kept[ofCurrent]).toBe('the snapshot a launch in another zone would restore');
    expect(await volumeIds()).toEqual([current]);
    expect(await snapshotIds()).toEqual([coverOfOld, ofCurrent].sort());
  });
  test("leaves the snapshots AWS Backup took (the volume's tags copied onto them) however old; the group's own expire", async () => {
    const servedAt = { gone: hoursAgo(3), current: hoursAgo(1) };
    const gone = await createVolume('eu-west-1a', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.gone });
    const current = await createVolume('eu-west-1b', { [GROUP_TAG]: GROUP, [ATTACHED_AT]: servedAt.current });
    await sleep(NEXT_SECOND_MS);
    const ofGone = await createSnapshot(gone, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'termination',
      [ATTACHED_AT]: servedAt.gone,
    });
    const backupOfGone = await createSnapshot(gone, {
      [GROUP_TAG]: GROUP,
      [ATTACHED_AT]: servedAt.gone,
      [AWS_BACKUP_TAG]: `arn:aws:ec2:eu-west-1:123456789012:volume/${gone}`,
    });
    const ofCurrent = await createSnapshot(current, {
      [GROUP_TAG]: GROUP,
      [REASON]: 'periodic',
      [ATTACHED_AT]: servedAt.current,
    });
    // Newer than the group's own restore point, and of the data served last: still not the restore point.
    const backupOfCurrent = await createSnapshot(current, {
      [GROUP_TAG]: GROUP,
      [ATTACHED_AT]: servedAt.current,
      [AWS_BACKUP_TAG]: `arn:aws:ec2:eu-west-1:123456789012:volume/${current}`,
    });
    await ec2.send(new DeleteVolumeCommand({ VolumeId: gone }));
    await serve(current);
    await sleep(RETENTION_MS + 200);

    const { result, calls } = await run();

    expect(result.errors).toEqual([]);
    expect(result.deletedSnapshots).toEqual([ofGone]);
    expect(result.kept[backupOfGone]).toMatch(/^taken by AWS Backup/);
    expect(result.kept[backupOfCurrent]).toMatch(/^taken by AWS Backup/);
    expect(result.kept[ofCurrent]).toBe('the snapshot a launch in another zone would restore');
    expect(deleted(calls, 'DeleteSnapshot', 'SnapshotId')).toEqual([ofGone]);
    expect(await snapshotIds()).toEqual([backupOfGone, ofCurrent, backupOfCurrent].sort());
  });
});
