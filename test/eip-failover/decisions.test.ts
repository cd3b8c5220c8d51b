import type { Snapshot, Volume } from '@aws-sdk/client-ec2';
import {
  ATTACHED_AT_TAG,
  AWS_BACKUP_SOURCE_TAG,
  DATA_VOLUME_TAG,
  DETACHED_SNAPSHOT,
  PERIODIC_SNAPSHOT,
  RETIRED_SNAPSHOT,
  SNAPSHOT_REASON_TAG,
  TERMINATION_SNAPSHOT,
} from '../../src/eip-failover/contract';
import {
  AWS_BACKUP_KEPT,
  decideLaunchVolume,
  DEFAULT_STUCK_SNAPSHOT_MS,
  isAwsBackupSnapshot,
  LaunchChoice,
  LaunchInput,
  lastUseOf,
  newestServed,
  newestSnapshotAgeSeconds,
  ownSnapshots,
  planRetention,
  restoreLineage,
  restorePoint,
  RetentionInput,
  RetentionPlan,
} from '../../src/eip-failover/decisions';

// The decisions are pure: each case is a listing (volumes, snapshots), a time and settings in, a
// choice out. No mocks, no clock.

const NOW = Date.parse('2026-11-20T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GROUP = 'Shop-Server-0C1E77D5';
const ZONE_A = 'eu-west-1a';
const ZONE_B = 'eu-west-1b';
const INSTANCE = 'i-0new00000000000000';
const OLD_INSTANCE = 'i-0old00000000000000';

const ago = (ms: number) => new Date(NOW - ms);
const iso = (ms: number) => ago(ms).toISOString();

interface VolumeSpec {
  readonly zone?: string;
  readonly state?: string;
  /** How long ago it last went into service (the attached-at tag); untagged when absent. */
  readonly servedAgo?: number;
  readonly createdAgo?: number;
  readonly attachedTo?: string;
  readonly fromSnapshot?: string;
}

function volume(id: string, spec: VolumeSpec = {}): Volume {
  const tags = [{ Key: DATA_VOLUME_TAG, Value: GROUP }];
  if (spec.servedAgo !== undefined) tags.push({ Key: ATTACHED_AT_TAG, Value: iso(spec.servedAgo) });
  const state = spec.state ?? (spec.attachedTo ? 'in-use' : 'available');
  return {
    VolumeId: id,
    AvailabilityZone: spec.zone ?? ZONE_A,
    State: state as Volume['State'],
    CreateTime: ago(spec.createdAgo ?? 30 * DAY),
    Tags: tags,
    SnapshotId: spec.fromSnapshot,
    Attachments: spec.attachedTo ? [{ InstanceId: spec.attachedTo, VolumeId: id, State: 'attached' }] : [],
  };
}

interface SnapshotSpec {
  readonly volumeId?: string;
  readonly state?: string;
  readonly startedAgo: number;
  /** The attached-at tag copied from its volume: how long ago that volume last went into service. */
  readonly servedAgo?: number;
  readonly reason?: string;
  /**
   * Taken by AWS Backup: it carries AWS Backup's own tag beside the volume's tags AWS Backup copied
   * (the data-volume and attached-at tags). Only the tag's key matters to the decisions.
   */
  readonly awsBackup?: boolean;
}

function snapshot(id: string, spec: SnapshotSpec): Snapshot {
  const tags = [{ Key: DATA_VOLUME_TAG, Value: GROUP }];
  if (spec.servedAgo !== undefined) tags.push({ Key: ATTACHED_AT_TAG, Value: iso(spec.servedAgo) });
  if (spec.reason !== undefined) tags.push({ Key: SNAPSHOT_REASON_TAG, Value: spec.reason });
  if (spec.awsBackup) {
    tags.push({
      Key: AWS_BACKUP_SOURCE_TAG,
      Value: `arn:aws:ec2:eu-west-1:111111111111:volume/${spec.volumeId ?? 'vol-live'}`,
    });
  }
  return {
    SnapshotId: id,
    VolumeId: spec.volumeId ?? 'vol-live',
    State: (spec.state ?? 'completed') as Snapshot['State'],
    StartTime: ago(spec.startedAgo),
    VolumeSize: 20,
    Tags: tags,
  };
}

const ids = (list: readonly (Volume | Snapshot)[]) =>
  list.map((x) => ('SnapshotId' in x && x.SnapshotId ? x.SnapshotId : (x as Volume).VolumeId));

// ---------------------------------------------------------------------------------------------

describe('newestServed and lastUseOf', () => {
  test.each<[string, Volume[], string | undefined]>([
    ['no volume', [], undefined],
    ['only untagged volumes (never served)', [volume('vol-1'), volume('vol-2')], undefined],
    [
      'the newest attached-at wins, wherever it is listed',
      [volume('vol-old', { servedAgo: 2 * DAY }), volume('vol-new', { servedAgo: HOUR }), volume('vol-none')],
      'vol-new',
    ],
    [
      'state does not matter',
      [
        volume('vol-old', { servedAgo: 2 * DAY, attachedTo: OLD_INSTANCE }),
        volume('vol-new', { servedAgo: HOUR, state: 'error' }),
      ],
      'vol-new',
    ],
  ])('%s', (_, volumes, expected) => {
    expect(newestServed(volumes)?.VolumeId).toBe(expected);
  });

  test.each<[string, VolumeSpec, string]>([
    ['never served: its creation', { createdAgo: 3 * HOUR }, iso(3 * HOUR)],
    ['served after creation: its service', { createdAgo: 3 * HOUR, servedAgo: HOUR }, iso(HOUR)],
    [
      'a tag older than the creation (restored copy): its creation',
      { createdAgo: HOUR, servedAgo: 3 * HOUR },
      iso(HOUR),
    ],
  ])('lastUseOf, %s', (_, spec, expected) => {
    expect(lastUseOf(volume('vol-1', spec))).toBe(expected);
  });
});

describe('restorePoint: the newest completed snapshot of the data served last, unless a newer one is pending', () => {
  const stuck = DEFAULT_STUCK_SNAPSHOT_MS;
  test.each<[string, Snapshot[], { completed?: string; pending?: string }]>([
    ['nothing', [], {}],
    [
      'snapshots without attached-at (of a volume that never served) are no restore point',
      [snapshot('snap-untagged', { startedAgo: HOUR })],
      {},
    ],
    [
      'the newest start of the same service wins',
      [
        snapshot('snap-older', { startedAgo: 3 * HOUR, servedAgo: DAY }),
        snapshot('snap-newer', { startedAgo: HOUR, servedAgo: DAY }),
      ],
      { completed: 'snap-newer' },
    ],
    [
      'the volume served last first: a left-behind volume snapshotted later holds older data',
      [
        snapshot('snap-left-behind', { volumeId: 'vol-left', startedAgo: 10 * MINUTE, servedAgo: 5 * DAY }),
        snapshot('snap-current', { startedAgo: 2 * HOUR, servedAgo: DAY }),
      ],
      { completed: 'snap-current' },
    ],
    [
      'a tie in start time keeps the listing order',
      [
        snapshot('snap-first', { startedAgo: HOUR, servedAgo: DAY }),
        snapshot('snap-second', { startedAgo: HOUR, servedAgo: DAY }),
      ],
      { completed: 'snap-first' },
    ],
    [
      'a newer pending snapshot is waited for',
      [
        snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY }),
        snapshot('snap-running', { state: 'pending', startedAgo: 10 * MINUTE, servedAgo: DAY }),
      ],
      { completed: 'snap-done', pending: 'snap-running' },
    ],
    [
      'only a pending snapshot: it is waited for',
      [snapshot('snap-running', { state: 'pending', startedAgo: 10 * MINUTE, servedAgo: DAY })],
      { pending: 'snap-running' },
    ],
    [
      'a newer pending snapshot that is stuck (started the stuck time ago) is not',
      [
        snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY }),
        snapshot('snap-stuck', { state: 'pending', startedAgo: stuck, servedAgo: DAY }),
      ],
      { completed: 'snap-done' },
    ],
    [
      'a pending snapshot started just under the stuck time is still waited for',
      [
        snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY }),
        snapshot('snap-slow', { state: 'pending', startedAgo: stuck - 1, servedAgo: DAY }),
      ],
      { completed: 'snap-done', pending: 'snap-slow' },
    ],
    [
      'a pending snapshot older than the completed one is not',
      [
        snapshot('snap-old-pending', { state: 'pending', startedAgo: 3 * MINUTE, servedAgo: 5 * DAY }),
        snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY }),
      ],
      { completed: 'snap-done' },
    ],
    [
      'an error snapshot is neither: the older completed one is the restore point',
      [
        snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY }),
        snapshot('snap-failed', { state: 'error', startedAgo: 10 * MINUTE, servedAgo: DAY }),
      ],
      { completed: 'snap-done' },
    ],
  ])('%s', (_, snapshots, expected) => {
    const point = restorePoint(snapshots, NOW, stuck);
    expect({ completed: point.completed?.SnapshotId, pending: point.pending?.SnapshotId }).toEqual({
      completed: expected.completed,
      pending: expected.pending,
    });
  });

  test('the lineage orders by service, then start, and leaves out snapshots of volumes that never served', () => {
    const lineage = restoreLineage([
      snapshot('snap-a', { startedAgo: 5 * HOUR, servedAgo: DAY }),
      snapshot('snap-untagged', { startedAgo: MINUTE }),
      snapshot('snap-b', { startedAgo: HOUR, servedAgo: 3 * DAY }),
      snapshot('snap-c', { startedAgo: 2 * HOUR, servedAgo: DAY }),
    ]);
    expect(ids(lineage)).toEqual(['snap-c', 'snap-a', 'snap-b']);
  });

  test('the stuck time defaults to an hour', () => {
    const running = snapshot('snap-running', { state: 'pending', startedAgo: 59 * MINUTE, servedAgo: DAY });
    const stale = snapshot('snap-stale', { state: 'pending', startedAgo: 61 * MINUTE, servedAgo: DAY });
    expect(restorePoint([running], NOW).pending?.SnapshotId).toBe('snap-running');
    expect(restorePoint([stale], NOW).pending).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('decideLaunchVolume', () => {
  const launch = (over: Partial<LaunchInput>): LaunchChoice =>
    decideLaunchVolume({
      instanceId: INSTANCE,
      zone: ZONE_A,
      volumes: [],
      now: NOW,
      stuckSnapshotMs: DEFAULT_STUCK_SNAPSHOT_MS,
      ...over,
    });
  const live = (spec: VolumeSpec) => volume('vol-live', { servedAgo: DAY, ...spec });
  const older = volume('vol-older', { servedAgo: 5 * DAY, zone: ZONE_A });

  // Each case: volumes, snapshots (undefined: not listed yet), what is chosen.
  test.each<[string, Volume[], Snapshot[] | undefined, LaunchChoice]>([
    [
      'a duplicate delivery attached a volume to this instance already: that one',
      [live({ zone: ZONE_B, attachedTo: OLD_INSTANCE }), volume('vol-mine', { attachedTo: INSTANCE })],
      undefined,
      { kind: 'attached', volumeId: 'vol-mine' },
    ],
    [
      'same zone, released: reattach, without listing snapshots',
      [older, live({})],
      undefined,
      { kind: 'reattach', volumeId: 'vol-live' },
    ],
    [
      'same zone, still attached to the dying instance (detaching): reattach once released',
      [live({ attachedTo: OLD_INSTANCE })],
      undefined,
      { kind: 'reattach', volumeId: 'vol-live' },
    ],
    [
      'same zone, broken (error): not reattached; the snapshots are needed',
      [live({ state: 'error' })],
      undefined,
      { kind: 'list-snapshots' },
    ],
    [
      'another zone, still attached: wait for its release',
      [live({ zone: ZONE_B, attachedTo: OLD_INSTANCE })],
      undefined,
      { kind: 'wait-for-release', volumeId: 'vol-live' },
    ],
    [
      'another zone, released: the snapshots are needed',
      [live({ zone: ZONE_B })],
      undefined,
      { kind: 'list-snapshots' },
    ],
    ['nothing at all: the snapshots are needed', [], undefined, { kind: 'list-snapshots' }],
    ['first launch, nothing exists: an empty volume', [], [], { kind: 'empty' }],
    [
      'only volumes that never served and no snapshot: an empty volume',
      [volume('vol-stray', { zone: ZONE_B })],
      [],
      { kind: 'empty' },
    ],
  ])('%s', (_, volumes, snapshots, expected) => {
    expect(launch({ volumes, snapshots })).toEqual(expected);
  });

  describe('another zone, volume released: snapshot it now, or reuse the one taken since it served', () => {
    const released = live({ zone: ZONE_B });
    test.each<[string, Snapshot[], string | undefined]>([
      ['no snapshot: take one', [], undefined],
      [
        'a detached snapshot taken since it last served: reused (any state)',
        [snapshot('snap-detached', { state: 'pending', startedAgo: HOUR, servedAgo: DAY, reason: DETACHED_SNAPSHOT })],
        'snap-detached',
      ],
      [
        'a detached snapshot from before it last served: not reused',
        [snapshot('snap-old', { startedAgo: 2 * DAY, servedAgo: 3 * DAY, reason: DETACHED_SNAPSHOT })],
        undefined,
      ],
      [
        'a termination snapshot (taken while attached): not reused',
        [snapshot('snap-termination', { startedAgo: HOUR, servedAgo: DAY, reason: TERMINATION_SNAPSHOT })],
        undefined,
      ],
      [
        "another volume's detached snapshot: not reused",
        [
          snapshot('snap-other', {
            volumeId: 'vol-other',
            startedAgo: HOUR,
            servedAgo: DAY,
            reason: DETACHED_SNAPSHOT,
          }),
        ],
        undefined,
      ],
    ])('%s', (_, snapshots, snapshotId) => {
      expect(launch({ zone: ZONE_A, volumes: [released], snapshots })).toEqual({
        kind: 'snapshot-then-restore',
        volumeId: 'vol-live',
        volume: released,
        snapshotId,
      });
    });
  });

  describe('the volume served last is out of reach: the restore point', () => {
    const completed = snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY, reason: TERMINATION_SNAPSHOT });
    const pending = snapshot('snap-running', { state: 'pending', startedAgo: 5 * MINUTE, servedAgo: DAY });
    const broken = live({ state: 'error' });
    test.each<[string, Volume[], Snapshot[], LaunchChoice]>([
      [
        'broken, a completed snapshot: restore it, saying the volume was unusable',
        [broken],
        [completed],
        {
          kind: 'restore',
          snapshot: completed,
          unusable: broken,
        },
      ],
      [
        'broken, a newer snapshot pending: wait for it',
        [broken],
        [completed, pending],
        {
          kind: 'wait-for-snapshot',
          snapshotId: 'snap-running',
        },
      ],
      [
        'broken, no snapshot: abandon',
        [broken],
        [],
        {
          kind: 'abandon',
          reason: 'the data volume vol-live is error and has no completed snapshot',
        },
      ],
      [
        'no volume left, a completed snapshot: restore it, nothing unusable',
        [],
        [completed],
        {
          kind: 'restore',
          snapshot: completed,
          unusable: undefined,
        },
      ],
    ])('%s', (_, volumes, snapshots, expected) => {
      expect(launch({ zone: ZONE_B, volumes, snapshots })).toEqual(expected);
    });
  });

  describe('after waiting for the release of the volume served last, in another zone', () => {
    const completed = snapshot('snap-done', { startedAgo: 2 * HOUR, servedAgo: DAY, reason: TERMINATION_SNAPSHOT });
    const stillAttached = live({ zone: ZONE_B, attachedTo: OLD_INSTANCE });
    const nowReleased = live({ zone: ZONE_B });
    test.each<[string, Volume | undefined, Snapshot[] | undefined, LaunchChoice]>([
      ['the snapshots are needed first', nowReleased, undefined, { kind: 'list-snapshots' }],
      [
        'released now: snapshot it',
        nowReleased,
        [completed],
        {
          kind: 'snapshot-then-restore',
          volumeId: 'vol-live',
          volume: nowReleased,
          snapshotId: undefined,
        },
      ],
      [
        'still attached (its zone is failing): the restore point, not another wait',
        stillAttached,
        [completed],
        {
          kind: 'restore',
          snapshot: completed,
          unusable: stillAttached,
        },
      ],
      [
        'still attached and no snapshot: abandon',
        stillAttached,
        [],
        {
          kind: 'abandon',
          reason: 'the data volume vol-live is in-use and has no completed snapshot',
        },
      ],
      ['gone, no snapshot: an empty volume', undefined, [], { kind: 'empty' }],
    ])('%s', (_, after, snapshots, expected) => {
      expect(launch({ volumes: [stillAttached], snapshots, afterRelease: { volume: after } })).toEqual(expected);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('planRetention', () => {
  const RETENTION = 7 * DAY;
  const GRACE = HOUR;
  const plan = (volumes: Volume[], snapshots: Snapshot[] = []): RetentionPlan =>
    planRetention({ volumes, snapshots, now: NOW, retentionMs: RETENTION, graceMs: GRACE } satisfies RetentionInput);
  const verdictOf = (p: RetentionPlan, id: string) =>
    [...p.volumes, ...p.snapshots].find((v) => ('volumeId' in v ? v.volumeId : v.snapshotId) === id);
  const serving = volume('vol-live', { servedAgo: MINUTE, attachedTo: OLD_INSTANCE });

  const leftBehind = volume('vol-left', { servedAgo: 20 * DAY, createdAgo: 30 * DAY });
  test.each<[string, Volume[], string]>([
    ['only a volume left behind long ago (available)', [leftBehind], 'vol-left'],
    [
      'the volume served last is available (between instances)',
      [volume('vol-live', { servedAgo: DAY }), leftBehind],
      'vol-live',
    ],
    [
      'the volume served last is being created',
      [volume('vol-live', { servedAgo: DAY, state: 'creating' }), leftBehind],
      'vol-live',
    ],
    ['no volume served yet', [volume('vol-new')], 'none'],
  ])('nothing is deleted while the volume served last is not attached: %s', (_, volumes, served) => {
    const old = snapshot('snap-old', { volumeId: 'vol-gone', startedAgo: 100 * DAY, servedAgo: 100 * DAY });
    const p = plan(volumes, [old]);
    const why = `the volume the group serves from (${served}) is not attached: nothing is deleted until it is`;
    expect(p).toEqual({
      volumes: volumes.map((v) => ({ kind: 'keep', volumeId: v.VolumeId, why })),
      snapshots: [{ kind: 'keep', snapshotId: 'snap-old', why }],
    });
  });

  describe('volumes', () => {
    const cover = (id: string, spec: Partial<SnapshotSpec>) =>
      snapshot(id, { volumeId: 'vol-left', startedAgo: 2 * DAY, reason: DETACHED_SNAPSHOT, ...spec });
    const left = volume('vol-left', { zone: ZONE_B, servedAgo: 5 * DAY });
    test.each<[string, Volume, Snapshot[], { kind: string; why?: string; snapshotId?: string }]>([
      [
        'in use: kept',
        volume('vol-left', { attachedTo: 'i-other' }),
        [],
        { kind: 'keep', why: 'in-use, not available' },
      ],
      [
        'being created: kept',
        volume('vol-left', { state: 'creating' }),
        [],
        { kind: 'keep', why: 'creating, not available' },
      ],
      [
        'created within the grace period: kept',
        volume('vol-left', { createdAgo: GRACE - MINUTE }),
        [],
        { kind: 'keep', why: 'created or put into service within the grace period' },
      ],
      [
        'put into service within the grace period: kept',
        volume('vol-left', { servedAgo: GRACE - MINUTE }),
        [],
        { kind: 'keep', why: 'created or put into service within the grace period' },
      ],
      [
        'last used exactly the grace period ago: no cover yet, snapshot it',
        volume('vol-left', { createdAgo: GRACE }),
        [],
        { kind: 'snapshot' },
      ],
      ['no snapshot at all: snapshot it (retired)', left, [], { kind: 'snapshot' }],
      [
        'a completed detached snapshot since it served: delete it',
        left,
        [cover('snap-cover', {})],
        { kind: 'delete', snapshotId: 'snap-cover' },
      ],
      [
        'a completed retired snapshot since it served: delete it',
        left,
        [cover('snap-retired', { reason: RETIRED_SNAPSHOT })],
        { kind: 'delete', snapshotId: 'snap-retired' },
      ],
      [
        'its cover is still being taken: kept',
        left,
        [cover('snap-cover', { state: 'pending' })],
        { kind: 'keep', why: 'its snapshot snap-cover is still being taken' },
      ],
      [
        'its cover failed (error): another snapshot',
        left,
        [cover('snap-failed', { state: 'error' })],
        { kind: 'snapshot' },
      ],
      [
        'a cover from before it last served: another snapshot',
        left,
        [cover('snap-stale', { startedAgo: 6 * DAY })],
        { kind: 'snapshot' },
      ],
      [
        'a termination snapshot (taken while attached) is no cover',
        left,
        [cover('snap-termination', { reason: TERMINATION_SNAPSHOT })],
        { kind: 'snapshot' },
      ],
      [
        'a periodic snapshot is no cover',
        left,
        [cover('snap-periodic', { reason: PERIODIC_SNAPSHOT })],
        { kind: 'snapshot' },
      ],
      [
        "another volume's detached snapshot is no cover",
        left,
        [cover('snap-other', { volumeId: 'vol-other' })],
        { kind: 'snapshot' },
      ],
      [
        'a pending cover next to a completed one: the completed one',
        left,
        [cover('snap-pending', { state: 'pending', startedAgo: HOUR }), cover('snap-done', {})],
        { kind: 'delete', snapshotId: 'snap-done' },
      ],
    ])('%s', (_, candidate, snapshots, expected) => {
      const verdict = plan([serving, candidate], snapshots).volumes.find((v) => v.volumeId === 'vol-left');
      expect(verdict).toMatchObject(expected);
      if (verdict?.kind === 'delete') expect(verdict.lastUse).toBe(lastUseOf(candidate));
    });

    test('the volume that serves is kept, and verdicts follow the listing order', () => {
      const p = plan([volume('vol-b', { servedAgo: 9 * DAY }), serving, volume('vol-a', { servedAgo: 8 * DAY })]);
      expect(p.volumes.map((v) => [v.volumeId, v.kind])).toEqual([
        ['vol-b', 'snapshot'],
        ['vol-live', 'keep'],
        ['vol-a', 'snapshot'],
      ]);
    });
  });

  describe('snapshots', () => {
    const old = (id: string, spec: Partial<SnapshotSpec> = {}) =>
      snapshot(id, { volumeId: 'vol-gone', startedAgo: 10 * DAY, servedAgo: 20 * DAY, ...spec });
    // The restore point is the current volume's: the old snapshots below are not it.
    const restore = snapshot('snap-restore', { startedAgo: 2 * HOUR, servedAgo: DAY, reason: TERMINATION_SNAPSHOT });
    test.each<[string, Volume[], Snapshot, { kind: string; why?: string }]>([
      ['past retention, of a volume that is gone: deleted', [], old('snap-x'), { kind: 'delete' }],
      ['past retention and failed (error): deleted', [], old('snap-x', { state: 'error' }), { kind: 'delete' }],
      ['still pending: kept', [], old('snap-x', { state: 'pending' }), { kind: 'keep', why: 'pending' }],
      [
        'within the retention period: kept',
        [],
        old('snap-x', { startedAgo: RETENTION - MINUTE }),
        { kind: 'keep', why: 'within the retention period' },
      ],
      [
        'started exactly the retention period ago: deleted',
        [],
        old('snap-x', { startedAgo: RETENTION }),
        { kind: 'delete' },
      ],
      [
        'periodic, of an existing volume: kept for Data Lifecycle Manager',
        [volume('vol-gone', { servedAgo: 15 * DAY, attachedTo: 'i-x' })],
        old('snap-x', { reason: PERIODIC_SNAPSHOT }),
        { kind: 'keep', why: 'a periodic snapshot of an existing volume: Data Lifecycle Manager expires it' },
      ],
      [
        'periodic, of a volume that is gone: deleted',
        [],
        old('snap-x', { reason: PERIODIC_SNAPSHOT }),
        { kind: 'delete' },
      ],
      [
        'taken since its existing volume last served: kept (its cover)',
        [volume('vol-gone', { servedAgo: 20 * DAY, createdAgo: 40 * DAY })],
        old('snap-x', { reason: DETACHED_SNAPSHOT }),
        { kind: 'keep', why: "taken since vol-gone last served: it holds that volume's current data" },
      ],
      [
        'taken before its existing volume last served: deleted',
        [volume('vol-gone', { servedAgo: 9 * DAY, createdAgo: 40 * DAY, attachedTo: 'i-x' })],
        old('snap-x', { reason: TERMINATION_SNAPSHOT }),
        { kind: 'delete' },
      ],
      [
        'a volume is being created from it: kept',
        [volume('vol-restoring', { state: 'creating', fromSnapshot: 'snap-x' })],
        old('snap-x'),
        { kind: 'keep', why: 'a volume is being created from it' },
      ],
    ])('%s', (_, volumes, candidate, expected) => {
      expect(verdictOf(plan([serving, ...volumes], [restore, candidate]), 'snap-x')).toMatchObject(expected);
    });

    test('the restore point is kept past retention, as the lifecycle hook would restore it', () => {
      const point = old('snap-point', { servedAgo: DAY, startedAgo: 30 * DAY });
      const older = old('snap-older', { servedAgo: DAY, startedAgo: 31 * DAY });
      const p = plan([serving], [older, point]);
      expect(verdictOf(p, 'snap-point')).toEqual({
        kind: 'keep',
        snapshotId: 'snap-point',
        why: 'the snapshot a launch in another zone would restore',
      });
      expect(verdictOf(p, 'snap-older')).toEqual({ kind: 'delete', snapshotId: 'snap-older' });
      // The same rule as the launch's.
      expect(restorePoint([older, point], NOW).completed?.SnapshotId).toBe('snap-point');
    });

    test('a snapshot without a start time counts as within the retention period', () => {
      const undated = { ...old('snap-x'), StartTime: undefined };
      expect(verdictOf(plan([serving], [undated]), 'snap-x')).toMatchObject({ kind: 'keep' });
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('snapshots AWS Backup took (a data volume in a backup plan) are never restored or deleted', () => {
  // AWS Backup copies the volume's tags (data-volume, attached-at) onto its snapshots, so they are
  // listed with the group's own and look like them but for AWS Backup's tag.
  const backup = (id: string, spec: Partial<SnapshotSpec> = {}) =>
    snapshot(id, { startedAgo: 30 * MINUTE, servedAgo: DAY, awsBackup: true, ...spec });

  test.each<[string, Snapshot, boolean]>([
    ["a snapshot with AWS Backup's tag", backup('snap-backup'), true],
    [
      'a termination snapshot of the group',
      snapshot('snap-t', { startedAgo: HOUR, reason: TERMINATION_SNAPSHOT }),
      false,
    ],
    [
      'a periodic snapshot (Data Lifecycle Manager)',
      snapshot('snap-p', { startedAgo: HOUR, reason: PERIODIC_SNAPSHOT }),
      false,
    ],
    ['a snapshot without any tag', { SnapshotId: 'snap-bare', StartTime: ago(HOUR) }, false],
    [
      "a tag whose value only mentions AWS Backup is not AWS Backup's tag",
      { SnapshotId: 'snap-named', Tags: [{ Key: 'Name', Value: AWS_BACKUP_SOURCE_TAG }] },
      false,
    ],
  ])('isAwsBackupSnapshot: %s', (_, candidate, expected) => {
    expect(isAwsBackupSnapshot(candidate)).toBe(expected);
    expect(ids(ownSnapshots([candidate]))).toEqual(expected ? [] : [candidate.SnapshotId]);
  });

  describe('restorePoint and restoreLineage', () => {
    test.each<[string, Snapshot[], { completed?: string; pending?: string }]>([
      ['only AWS Backup snapshots: no restore point', [backup('snap-b1'), backup('snap-b2', { startedAgo: DAY })], {}],
      [
        "an AWS Backup snapshot newer than the group's own: the own one",
        [snapshot('snap-own', { startedAgo: 3 * HOUR, servedAgo: DAY }), backup('snap-backup', { startedAgo: MINUTE })],
        { completed: 'snap-own' },
      ],
      [
        'an AWS Backup snapshot of newer data (a later service) than the own one: still the own one',
        [
          snapshot('snap-own', { startedAgo: 3 * HOUR, servedAgo: 2 * DAY }),
          backup('snap-backup', { servedAgo: HOUR }),
        ],
        { completed: 'snap-own' },
      ],
      [
        'a pending AWS Backup snapshot is not waited for',
        [
          snapshot('snap-own', { startedAgo: 3 * HOUR, servedAgo: DAY }),
          backup('snap-running', { state: 'pending', startedAgo: 5 * MINUTE }),
        ],
        { completed: 'snap-own' },
      ],
    ])('%s', (_, snapshots, expected) => {
      const point = restorePoint(snapshots, NOW);
      expect({ completed: point.completed?.SnapshotId, pending: point.pending?.SnapshotId }).toEqual({
        completed: expected.completed,
        pending: expected.pending,
      });
    });

    test('the lineage leaves them out, wherever they are listed', () => {
      const lineage = restoreLineage([
        backup('snap-b1', { startedAgo: MINUTE }),
        snapshot('snap-a', { startedAgo: 5 * HOUR, servedAgo: DAY }),
        backup('snap-b2', { startedAgo: 2 * HOUR }),
        snapshot('snap-c', { startedAgo: 2 * HOUR, servedAgo: DAY }),
      ]);
      expect(ids(lineage)).toEqual(['snap-c', 'snap-a']);
    });
  });

  describe('decideLaunchVolume', () => {
    const launch = (volumes: Volume[], snapshots: Snapshot[]): LaunchChoice =>
      decideLaunchVolume({
        instanceId: INSTANCE,
        zone: ZONE_B,
        volumes,
        snapshots,
        now: NOW,
        stuckSnapshotMs: DEFAULT_STUCK_SNAPSHOT_MS,
      });
    const own = snapshot('snap-own', { startedAgo: 2 * HOUR, servedAgo: DAY, reason: TERMINATION_SNAPSHOT });
    const broken = volume('vol-live', { servedAgo: DAY, state: 'error' });
    const released = volume('vol-live', { servedAgo: DAY, zone: ZONE_A });

    test.each<[string, Volume[], Snapshot[], LaunchChoice]>([
      [
        'the volume is out of reach and AWS Backup snapshotted it since the own snapshot: the own snapshot is restored',
        [broken],
        [own, backup('snap-backup', { startedAgo: 10 * MINUTE })],
        { kind: 'restore', snapshot: own, unusable: broken },
      ],
      [
        'out of reach, only AWS Backup snapshots: abandoned, saying a recovery point is to be restored by hand',
        [broken],
        [backup('snap-b1'), backup('snap-b2', { startedAgo: DAY })],
        {
          kind: 'abandon',
          reason:
            "the data volume vol-live is error and has no completed snapshot of the group's own (2 taken by AWS Backup are not restored automatically: restore a recovery point from its backup vault)",
        },
      ],
      [
        'out of reach, one AWS Backup snapshot: the same, in the singular',
        [broken],
        [backup('snap-b1')],
        {
          kind: 'abandon',
          reason:
            "the data volume vol-live is error and has no completed snapshot of the group's own (1 taken by AWS Backup is not restored automatically: restore a recovery point from its backup vault)",
        },
      ],
      [
        'released in another zone, an AWS Backup snapshot since it served (even one tagged detached): not reused, a snapshot is taken',
        [released],
        [backup('snap-backup', { volumeId: 'vol-live', reason: DETACHED_SNAPSHOT })],
        { kind: 'snapshot-then-restore', volumeId: 'vol-live', volume: released, snapshotId: undefined },
      ],
      [
        'no volume, only AWS Backup snapshots: an empty volume, as on a first launch',
        [],
        [backup('snap-b1')],
        { kind: 'empty' },
      ],
    ])('%s', (_, volumes, snapshots, expected) => {
      expect(launch(volumes, snapshots)).toEqual(expected);
    });
  });

  describe('planRetention', () => {
    const RETENTION = 7 * DAY;
    const plan = (volumes: Volume[], snapshots: Snapshot[]): RetentionPlan =>
      planRetention({ volumes, snapshots, now: NOW, retentionMs: RETENTION, graceMs: HOUR });
    const verdictOf = (p: RetentionPlan, id: string) =>
      [...p.volumes, ...p.snapshots].find((v) => ('volumeId' in v ? v.volumeId : v.snapshotId) === id);
    const serving = volume('vol-live', { servedAgo: DAY, attachedTo: OLD_INSTANCE });
    const keptByBackup = (snapshotId: string) => ({ kind: 'keep', snapshotId, why: AWS_BACKUP_KEPT });

    test.each<[string, Volume[], Snapshot]>([
      [
        'past retention, of a volume that is gone',
        [serving],
        backup('snap-x', { volumeId: 'vol-gone', startedAgo: 100 * DAY, servedAgo: 100 * DAY }),
      ],
      ['past retention and failed (error)', [serving], backup('snap-x', { state: 'error', startedAgo: 100 * DAY })],
      ['within the retention period', [serving], backup('snap-x', { startedAgo: HOUR })],
      [
        'taken by AWS Backup and tagged as a periodic snapshot',
        [serving],
        backup('snap-x', { reason: PERIODIC_SNAPSHOT, startedAgo: 100 * DAY }),
      ],
      [
        'while the volume served last is not attached (the run deletes nothing anyway)',
        [volume('vol-live', { servedAgo: DAY })],
        backup('snap-x', { startedAgo: 100 * DAY }),
      ],
    ])('kept, with why, %s', (_, volumes, candidate) => {
      expect(verdictOf(plan(volumes, [candidate]), 'snap-x')).toEqual(keptByBackup('snap-x'));
    });

    test("the own restore point stays the restore point (kept past retention) when AWS Backup's snapshots are newer; older own snapshots still expire", () => {
      const point = snapshot('snap-point', { volumeId: 'vol-gone', startedAgo: 30 * DAY, servedAgo: 40 * DAY });
      const older = snapshot('snap-older', { volumeId: 'vol-gone', startedAgo: 31 * DAY, servedAgo: 40 * DAY });
      const newest = backup('snap-backup', { startedAgo: 20 * DAY, servedAgo: DAY });
      const p = plan([serving], [older, newest, point]);
      expect(p.snapshots).toEqual([
        { kind: 'delete', snapshotId: 'snap-older' },
        keptByBackup('snap-backup'),
        { kind: 'keep', snapshotId: 'snap-point', why: 'the snapshot a launch in another zone would restore' },
      ]);
    });

    test('a snapshot AWS Backup took of a volume left behind is no cover: the volume is snapshotted (retired) before it is deleted', () => {
      const left = volume('vol-left', { zone: ZONE_B, servedAgo: 5 * DAY });
      const copy = backup('snap-backup', {
        volumeId: 'vol-left',
        startedAgo: 2 * DAY,
        servedAgo: 5 * DAY,
        reason: DETACHED_SNAPSHOT,
      });
      const p = plan([serving, left], [copy]);
      expect(verdictOf(p, 'vol-left')).toMatchObject({ kind: 'snapshot', volumeId: 'vol-left' });
      expect(verdictOf(p, 'snap-backup')).toEqual(keptByBackup('snap-backup'));
    });
  });
});

describe('newestSnapshotAgeSeconds: how old the newest completed snapshot of the data served is', () => {
  // The volume that serves (in use, served a day ago), created 30 days ago unless said otherwise.
  const serving = (spec: VolumeSpec = {}) => volume('vol-live', { attachedTo: INSTANCE, servedAgo: DAY, ...spec });
  const seconds = (ms: number) => ms / 1000;

  test.each<[string, Volume[], Snapshot[], number | undefined]>([
    [
      'the newest completed of several (periodic, termination, detached)',
      [serving()],
      [
        snapshot('snap-old', { startedAgo: 5 * HOUR, servedAgo: DAY, reason: PERIODIC_SNAPSHOT }),
        snapshot('snap-new', { startedAgo: 50 * MINUTE, servedAgo: DAY, reason: PERIODIC_SNAPSHOT }),
        snapshot('snap-t', { startedAgo: 2 * DAY, servedAgo: 3 * DAY, reason: TERMINATION_SNAPSHOT }),
        snapshot('snap-d', { startedAgo: 3 * HOUR, servedAgo: DAY, reason: DETACHED_SNAPSHOT }),
      ],
      seconds(50 * MINUTE),
    ],
    [
      'a newer pending snapshot does not count (nor a failed one): the newest completed',
      [serving()],
      [
        snapshot('snap-done', { startedAgo: 3 * HOUR, servedAgo: DAY }),
        snapshot('snap-pending', { startedAgo: 10 * MINUTE, servedAgo: DAY, state: 'pending' }),
        snapshot('snap-error', { startedAgo: 20 * MINUTE, servedAgo: DAY, state: 'error' }),
      ],
      seconds(3 * HOUR),
    ],
    [
      "a newer snapshot AWS Backup took does not count: the group's own",
      [serving()],
      [
        snapshot('snap-own', { startedAgo: 4 * HOUR, servedAgo: DAY }),
        snapshot('snap-backup', { startedAgo: 5 * MINUTE, servedAgo: DAY, awsBackup: true }),
      ],
      seconds(4 * HOUR),
    ],
    [
      'only AWS Backup snapshots: the age of the volume',
      [serving({ createdAgo: 6 * HOUR })],
      [snapshot('snap-backup', { startedAgo: 5 * MINUTE, servedAgo: DAY, awsBackup: true })],
      seconds(6 * HOUR),
    ],
    [
      'only pending snapshots: the age of the volume',
      [serving({ createdAgo: 3 * HOUR })],
      [snapshot('snap-pending', { startedAgo: 10 * MINUTE, servedAgo: DAY, state: 'pending' })],
      seconds(3 * HOUR),
    ],
    [
      'no snapshot at all: the age of the volume served last (never snapshotted, it ages)',
      [serving({ createdAgo: 2 * HOUR + 30_000 })],
      [],
      seconds(2 * HOUR + 30_000),
    ],
    [
      "a newer snapshot of a volume left behind in another zone does not count: it holds that volume's data",
      [
        serving({ createdAgo: 5 * HOUR, servedAgo: 5 * HOUR, fromSnapshot: 'snap-moved' }),
        volume('vol-left', { zone: ZONE_B, servedAgo: 3 * DAY }),
      ],
      [
        snapshot('snap-moved', {
          volumeId: 'vol-left',
          startedAgo: 6 * HOUR,
          servedAgo: 3 * DAY,
          reason: DETACHED_SNAPSHOT,
        }),
        snapshot('snap-left', {
          volumeId: 'vol-left',
          startedAgo: 10 * MINUTE,
          servedAgo: 3 * DAY,
          reason: PERIODIC_SNAPSHOT,
        }),
      ],
      seconds(6 * HOUR),
    ],
    [
      'the snapshot the volume was restored from counts while it has none of its own',
      [serving({ createdAgo: 2 * HOUR, servedAgo: 2 * HOUR, fromSnapshot: 'snap-source' })],
      [snapshot('snap-source', { volumeId: 'vol-gone', startedAgo: 3 * HOUR, servedAgo: 2 * DAY })],
      seconds(3 * HOUR),
    ],
    [
      "the volume's own snapshot, once completed, is newer than the one it was restored from",
      [serving({ createdAgo: 2 * HOUR, servedAgo: 2 * HOUR, fromSnapshot: 'snap-source' })],
      [
        snapshot('snap-source', { volumeId: 'vol-gone', startedAgo: 3 * HOUR, servedAgo: 2 * DAY }),
        snapshot('snap-own', { startedAgo: 40 * MINUTE, servedAgo: 2 * HOUR, reason: PERIODIC_SNAPSHOT }),
      ],
      seconds(40 * MINUTE),
    ],
    [
      'between instances (the volume served last is available): still its newest snapshot',
      [volume('vol-live', { servedAgo: DAY })],
      [snapshot('snap-t', { startedAgo: 20 * MINUTE, servedAgo: DAY, reason: TERMINATION_SNAPSHOT })],
      seconds(20 * MINUTE),
    ],
    [
      'no volume has served but a snapshot of the data exists: the restore point',
      [],
      [
        snapshot('snap-point', { volumeId: 'vol-gone', startedAgo: 7 * HOUR, servedAgo: 2 * DAY }),
        snapshot('snap-older', { volumeId: 'vol-gone', startedAgo: 9 * HOUR, servedAgo: 2 * DAY }),
      ],
      seconds(7 * HOUR),
    ],
    [
      'a volume that never served yet (the first launch): its age',
      [volume('vol-new', { createdAgo: 4 * MINUTE })],
      [],
      240,
    ],
    ['nothing at all: nothing to report', [], [], undefined],
    [
      'only snapshots AWS Backup took, and no volume: nothing to report',
      [],
      [snapshot('snap-backup', { startedAgo: HOUR, servedAgo: DAY, awsBackup: true })],
      undefined,
    ],
    [
      'whole seconds, never negative (a clock a little behind the snapshot)',
      [serving()],
      [snapshot('snap-future', { startedAgo: -1500, servedAgo: DAY })],
      0,
    ],
    ['whole seconds, rounded down', [serving()], [snapshot('snap-x', { startedAgo: 61_999, servedAgo: DAY })], 61],
  ])('%s', (_, volumes, snapshots, expected) => {
    expect(newestSnapshotAgeSeconds({ volumes, snapshots }, NOW)).toBe(expected);
  });
});
