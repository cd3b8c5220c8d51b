import { ArnFormat, Stack, Token } from 'aws-cdk-lib';

// Internal: the tags that tie a data volume and its snapshots to one group, and the ARNs the
// functions' policies are scoped to (with how cdk-nag prints them in finding ids).

/** Marks a data volume (and its snapshots) as this group's; the value is the group name. DLM targets it. */
export const DATA_VOLUME_TAG = 'cdk-ha-patterns:data-volume';
/** Set on a data volume (ISO time) each time it is attached to an instance that goes InService. */
export const ATTACHED_AT_TAG = 'cdk-ha-patterns:attached-at';
/**
 * Why a snapshot was taken: `termination`, `detached` (before a restore in another zone), `periodic`
 * (DLM) or `retired` (by the data retention function, before it deletes a volume left behind).
 */
export const SNAPSHOT_REASON_TAG = 'cdk-ha-patterns:snapshot-reason';
/** The instance tag naming its data volume; the mount script reads it from instance metadata. */
export const INSTANCE_VOLUME_TAG = 'DataVolumeId';
/**
 * Marks both instances of one standby pair; the value is the pair's Elastic IP allocation ID. The
 * failover function's instance permissions are scoped by it (not by instance ARN), so they still
 * cover an instance that a deployment has just replaced or is about to terminate.
 */
export const FAILOVER_PAIR_TAG = 'cdk-ha-patterns:failover-pair';
/** The tag Auto Scaling puts on the instances it launches. */
export const GROUP_NAME_TAG = 'aws:autoscaling:groupName';

export function ec2Arn(stack: Stack, resource: string, account?: string): string {
  return stack.formatArn({ service: 'ec2', resource, resourceName: '*', account });
}

export function elasticIpArn(stack: Stack, allocationId: string): string {
  return stack.formatArn({ service: 'ec2', resource: 'elastic-ip', resourceName: allocationId });
}

export function groupArn(stack: Stack, groupName: string): string {
  return stack.formatArn({
    service: 'autoscaling',
    resource: 'autoScalingGroup',
    resourceName: `*:autoScalingGroupName/${groupName}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** How cdk-nag prints an ARN of this stack with a wildcard resource name in a finding id. */
export function nagArn(stack: Stack, resource: string, account?: string): string {
  return `arn:<AWS::Partition>:ec2:${nagName(stack.region, 'AWS::Region')}:${account ?? nagName(stack.account, 'AWS::AccountId')}:${resource}/*`;
}

export function nagGroupArn(stack: Stack, groupName: string): string {
  return `arn:<AWS::Partition>:autoscaling:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
}

export function nagName(value: string, pseudoParameter: string): string {
  return Token.isUnresolved(value) ? `<${pseudoParameter}>` : value;
}
