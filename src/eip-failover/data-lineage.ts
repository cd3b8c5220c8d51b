// Shared by the lifecycle hook and the data retention handlers: how a group's volumes and
// snapshots are listed, which volume served last and which snapshot a launch in another zone
// restores. Both must agree, or the retention function could delete what the next launch needs.
// Imports only the AWS SDK and the handlers' own helpers.
import { DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Filter, Snapshot, Tag, Volume } from '@aws-sdk/client-ec2';
import { RetryBudget, withRetries } from './handler-support';

/** Whose data: the tag that marks a group's volumes and snapshots, and the group's name (its value). */
export interface GroupData {
  readonly groupTag: string;
  readonly groupName: string;
}

/** Every volume tagged for the group (and matching `filters`), across pages. */
export async function listGroupVolumes(
  ec2: EC2Client,
  budget: RetryBudget,
  group: GroupData,
  filters: Filter[] = [],
): Promise<Volume[]> {
  const volumes: Volume[] = [];
  let token: string | undefined;
  do {
    const out = await withRetries(budget, () =>
      ec2.send(
        new DescribeVolumesCommand({
          Filters: [{ Name: `tag:${group.groupTag}`, Values: [group.groupName] }, ...filters],
          NextToken: token,
        }),
      ),
    );
    volumes.push(...(out.Volumes ?? []));
    token = out.NextToken;
  } while (token);
  return volumes;
}

/** Every snapshot this account owns tagged for the group (and matching `filters`), across pages. */
export async function listGroupSnapshots(
  ec2: EC2Client,
  budget: RetryBudget,
  group: GroupData,
  filters: Filter[] = [],
): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  let token: string | undefined;
  do {
    const out = await withRetries(budget, () =>
      ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: `tag:${group.groupTag}`, Values: [group.groupName] }, ...filters],
          NextToken: token,
        }),
      ),
    );
    snapshots.push(...(out.Snapshots ?? []));
    token = out.NextToken;
  } while (token);
  return snapshots;
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** A snapshot description, cut to the 255 characters EC2 accepts (group names may be that long). */
export function snapshotDescription(text: string): string {
  return text.length > 255 ? `${text.slice(0, 254)}…` : text;
}

export function isoTime(date: Date | undefined): string {
  return date ? date.toISOString() : '';
}

/** The volume an instance of the group went InService with last (the newest `attachedAtTag`). */
export function newestServed(volumes: Volume[], attachedAtTag: string): Volume | undefined {
  return volumes
    .filter((v) => tagValue(v.Tags, attachedAtTag) !== undefined)
    .sort((a, b) => (tagValue(b.Tags, attachedAtTag) ?? '').localeCompare(tagValue(a.Tags, attachedAtTag) ?? ''))[0];
}

/**
 * The snapshots a launch can restore from, newest data first: only snapshots of volumes that
 * served (tagged with when), ordered first by when their volume last went into service (a volume
 * left behind in another zone keeps being snapshotted, but its data is older), then by start time.
 */
export function restoreLineage(snapshots: Snapshot[], attachedAtTag: string): Snapshot[] {
  return snapshots
    .filter((s) => tagValue(s.Tags, attachedAtTag) !== undefined)
    .sort(
      (a, b) =>
        (tagValue(b.Tags, attachedAtTag) ?? '').localeCompare(tagValue(a.Tags, attachedAtTag) ?? '') ||
        (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
    );
}

/** The snapshot a launch in another zone restores when the volume served last is out of reach. */
export function restorePoint(snapshots: Snapshot[], attachedAtTag: string): Snapshot | undefined {
  return restoreLineage(snapshots, attachedAtTag).find((s) => s.State === 'completed');
}
