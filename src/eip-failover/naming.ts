import { ArnFormat, Stack } from 'aws-cdk-lib';
import { nagArn } from '../common/acknowledge';

// Internal: the ARNs the functions' policies are scoped to, and how cdk-nag prints them in finding
// ids. The tags they are scoped by are in ./contract.

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

/** How cdk-nag prints an EC2 ARN of this stack with a wildcard resource name in a finding id. */
export function ec2NagArn(stack: Stack, resource: string, account?: string): string {
  return nagArn(stack, 'ec2', `${resource}/*`, account);
}

/** How cdk-nag prints {@link groupArn} in a finding id. */
export function nagGroupArn(stack: Stack, groupName: string): string {
  return nagArn(stack, 'autoscaling', `autoScalingGroup:*:autoScalingGroupName/${groupName}`);
}
