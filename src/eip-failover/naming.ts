import { ArnFormat, Stack } from 'aws-cdk-lib';
import { nagName } from '../common/acknowledge';

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

/** How cdk-nag prints an ARN of this stack with a wildcard resource name in a finding id. */
export function nagArn(stack: Stack, resource: string, account?: string): string {
  return `arn:<AWS::Partition>:ec2:${nagName(stack.region, 'AWS::Region')}:${account ?? nagName(stack.account, 'AWS::AccountId')}:${resource}/*`;
}

export function nagGroupArn(stack: Stack, groupName: string): string {
  return `arn:<AWS::Partition>:autoscaling:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
}
