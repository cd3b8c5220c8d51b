import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, nagArn } from './acknowledge';
import { ManagedPolicyRole } from './managed-policy-role';

/**
 * An EC2 instance role that lets Systems Manager Session Manager reach the instance (instead of
 * SSH and key pairs) and nothing else, in a managed policy of its own rather than the AWS managed
 * `AmazonSSMManagedInstanceCore`, which also grants read access to every SSM parameter.
 */
export function createSessionManagerRole(scope: Construct, id: string, description: string): iam.Role {
  const stack = Stack.of(scope);
  const role = new ManagedPolicyRole(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description,
  });
  const instancesOfThisAccount = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'RegisterWithSystemsManager',
      actions: ['ssm:UpdateInstanceInformation'],
      resources: [instancesOfThisAccount],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SessionManagerChannels',
      actions: [
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ],
      resources: ['*'],
    }),
  );
  acknowledge(
    role,
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The ssmmessages and ec2messages channel actions that Session Manager needs support no resource-level permissions; the role grants nothing else on *.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'ec2', 'instance/*')}]`,
      reason:
        'ssm:UpdateInstanceInformation is called by the instance about itself; the instance id is not known before launch, so it is scoped to instances of this account and region.',
    },
  );
  return role;
}
