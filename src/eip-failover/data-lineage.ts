// Shared by the lifecycle hook and the data retention handlers: how a group's volumes and
// snapshots are listed (what they decide from, see decisions.ts), and how their snapshots are
// described. Imports only the AWS SDK and the contract.
import { EC2Client, paginateDescribeSnapshots, paginateDescribeVolumes } from '@aws-sdk/client-ec2';
import type { Filter, Snapshot, Volume } from '@aws-sdk/client-ec2';
import { DATA_VOLUME_TAG } from './contract';

/** Every volume tagged for the group (and matching `filters`), across pages. */
export async function listGroupVolumes(ec2: EC2Client, groupName: string, filters: Filter[] = []): Promise<Volume[]> {
  const volumes: Volume[] = [];
  const input = { Filters: [{ Name: `tag:${DATA_VOLUME_TAG}`, Values: [groupName] }, ...filters] };
  for await (const page of paginateDescribeVolumes({ client: ec2 }, input)) volumes.push(...(page.Volumes ?? []));
  return volumes;
}

/** Every snapshot this account owns tagged for the group (and matching `filters`), across pages. */
export async function listGroupSnapshots(
  ec2: EC2Client,
  groupName: string,
  filters: Filter[] = [],
): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  const input = {
    OwnerIds: ['self'],
    Filters: [{ Name: `tag:${DATA_VOLUME_TAG}`, Values: [groupName] }, ...filters],
  };
  for await (const page of paginateDescribeSnapshots({ client: ec2 }, input)) {
    snapshots.push(...(page.Snapshots ?? []));
  }
  return snapshots;
}

/** A snapshot description, cut to the 255 characters EC2 accepts (group names may be that long). */
export function snapshotDescription(text: string): string {
  return text.length > 255 ? `${text.slice(0, 254)}…` : text;
}
