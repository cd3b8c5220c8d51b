import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

// Internal: the KMS key every log group of the library's constructs in one stack is encrypted
// with. Not exported from the package.

/** The construct id of the key, a direct child of the stack (one per stack, shared by its constructs). */
export const LOGS_KEY_ID = 'HaPatternsLogsKey';

/**
 * The stack's key for the log groups the library creates (handler logs, VPC flow logs): created on
 * first use, with yearly rotation, kept when the stack is deleted (the log groups are kept too, and
 * their events can only be read while the key exists), and a key policy that lets CloudWatch Logs of
 * this region use it for this account's log groups only (the `aws:logs:arn` encryption context; the
 * log groups' own ARNs cannot be named, because each log group names the key).
 */
export function logsEncryptionKey(scope: Construct): kms.IKey {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOGS_KEY_ID);
  if (existing) return existing as kms.Key;
  const key = new kms.Key(stack, LOGS_KEY_ID, {
    description: 'Encrypts the log groups of the cdk-ha-patterns constructs in this stack',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
  return key;
}
