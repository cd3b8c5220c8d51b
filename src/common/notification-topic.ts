import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Options for {@link createEncryptedTopic}. */
export interface EncryptedTopicOptions {
  /** Human-readable purpose, used in the key and topic descriptions. */
  readonly purpose: string;
  /**
   * Service-linked roles (by service, e.g. `autoscaling.amazonaws.com` with role
   * `AWSServiceRoleForAutoScaling`) that publish to the topic and so must use the key.
   */
  readonly serviceLinkedPublishers?: { service: string; roleName: string }[];
}

/**
 * An SNS topic encrypted with its own rotating KMS key that only accepts TLS publishers.
 *
 * AWS services that publish with a service-linked role (Auto Scaling notifications) cannot use
 * the AWS managed `alias/aws/sns` key, so the key policy names those roles. The role may not
 * exist yet when the key is created (it is made on first use of the service), so it is matched
 * with an `aws:PrincipalArn` condition rather than named as a principal, which would fail.
 */
export function createEncryptedTopic(scope: Construct, id: string, options: EncryptedTopicOptions): sns.Topic {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, `${id}Key`, {
    description: `Encrypts the ${options.purpose} topic`,
    enableKeyRotation: true,
  });
  for (const publisher of options.serviceLinkedPublishers ?? []) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `AllowPublishBy${publisher.roleName}`,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:PrincipalArn': stack.formatArn({
              service: 'iam',
              region: '',
              resource: 'role',
              resourceName: `aws-service-role/${publisher.service}/${publisher.roleName}`,
            }),
            'kms:CallerAccount': stack.account,
          },
        },
      }),
    );
  }
  return new sns.Topic(scope, id, {
    displayName: options.purpose,
    masterKey: key,
    enforceSSL: true,
  });
}
