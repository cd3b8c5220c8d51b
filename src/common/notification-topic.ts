import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { nagName, skipCheckov } from './acknowledge';
import { admitAlarmPublisher } from './monitoring';

/** A service that publishes to a topic with its service-linked role. */
export interface ServiceLinkedPublisher {
  /** The service's principal, e.g. `autoscaling.amazonaws.com`. */
  readonly service: string;
  /** The service-linked role's name, e.g. `AWSServiceRoleForAutoScaling`. */
  readonly roleName: string;
}

/** EC2 Auto Scaling, which sends a group's notifications with its service-linked role. */
export const AUTO_SCALING_PUBLISHER: ServiceLinkedPublisher = {
  service: 'autoscaling.amazonaws.com',
  roleName: 'AWSServiceRoleForAutoScaling',
};

/** Options for {@link createEncryptedTopic}. */
export interface EncryptedTopicOptions {
  /** Human-readable purpose, used in the key and topic descriptions. */
  readonly purpose: string;
  /** Services that publish with a service-linked role and so must be let use the key. */
  readonly serviceLinkedPublishers?: ServiceLinkedPublisher[];
}

/**
 * An SNS topic encrypted with its own rotating KMS key that only accepts TLS publishers.
 *
 * AWS services that publish with a service-linked role (Auto Scaling notifications) cannot use
 * the AWS managed `alias/aws/sns` key, so the key policy names those roles.
 */
export function createEncryptedTopic(scope: Construct, id: string, options: EncryptedTopicOptions): sns.Topic {
  const key = new kms.Key(scope, `${id}Key`, {
    description: `Encrypts the ${options.purpose} topic`,
    enableKeyRotation: true,
  });
  const publishers = options.serviceLinkedPublishers ?? [];
  for (const publisher of publishers) {
    key.addToResourcePolicy(publisherKeyStatement(Stack.of(key), publisher));
  }
  if (publishers.length > 0) skipCheckov(key, { id: 'CKV_AWS_33', comment: wildcardPrincipalReason(key, publishers) });
  const topic = new sns.Topic(scope, id, {
    displayName: options.purpose,
    masterKey: key,
    enforceSSL: true,
  });
  // Every construct's alarms notify its topic.
  admitAlarmPublisher(topic);
  return topic;
}

/**
 * Lets the service-linked publishers use the KMS key of a topic the user gave (`prop` names the
 * prop, for the warning). A key this app defines in the same account gets the statement in its key
 * policy; a key it cannot change (imported, or in another account) gets a warning that says what
 * to add. A topic whose key is not known (imported by ARN alone) is left alone: the prop's doc
 * says what such a key needs.
 */
export function admitServiceLinkedPublishers(
  scope: Construct,
  prop: string,
  topic: sns.ITopic,
  publishers: ServiceLinkedPublisher[],
): void {
  const key = topic.masterKey;
  if (key === undefined || publishers.length === 0) return;
  const keyStack = Stack.of(key);
  const stack = Stack.of(scope);
  const sameAccount =
    keyStack === stack ||
    (!Token.isUnresolved(keyStack.account) && !Token.isUnresolved(stack.account) && keyStack.account === stack.account);
  const unadmitted = publishers.filter(
    (publisher) => !sameAccount || !key.addToResourcePolicy(publisherKeyStatement(keyStack, publisher)).statementAdded,
  );
  if (unadmitted.length === 0) return;
  const roles = unadmitted.map((p) => `aws-service-role/${p.service}/${p.roleName}`).join(', ');
  Annotations.of(scope).addWarningV2(
    'cdk-ha-patterns:notificationTopicKeyPolicy',
    `${prop} is encrypted with a KMS key whose policy this app cannot change (${key.keyArn}): add a key ` +
      `policy statement allowing kms:GenerateDataKey* and kms:Decrypt to the role(s) ${roles} of this ` +
      'account (condition aws:PrincipalArn), or their notifications to the topic are lost',
  );
}

/**
 * Why the `Principal: {AWS: '*'}` of the publisher statements is not a wildcard principal (checkov
 * CKV_AWS_33 reads the principal alone): the condition each statement carries, quoted as it reads
 * in the template, admits one service-linked role of this account. The same access cannot be
 * written with a named principal: KMS refuses a key policy whose principal does not exist yet, and
 * the account principal would leave it to IAM, where a service-linked role's permissions (fixed by
 * its service) include no customer managed key.
 */
function wildcardPrincipalReason(key: kms.Key, publishers: ServiceLinkedPublisher[]): string {
  const stack = Stack.of(key);
  const account = nagName(stack.account, 'AWS::AccountId');
  const roles = publishers
    .map(
      (p) =>
        `StringEquals aws:PrincipalArn = arn:<AWS::Partition>:iam::${account}:role/aws-service-role/${p.service}/${p.roleName} and kms:CallerAccount = ${account}`,
    )
    .join('; ');
  return (
    `Principal AWS '*' only in the statement(s) letting a service-linked role encrypt notifications for this topic (kms:GenerateDataKey*, kms:Decrypt), each limited by its condition: ${roles}. ` +
    'The role is matched by condition because KMS refuses a key policy naming a principal that does not exist yet (the service creates its role on first use), and an account principal would defer to IAM, where a service-linked role has no permission for a customer managed key.'
  );
}

/**
 * The key policy statement that lets one service-linked role encrypt messages for the topic. The
 * role may not exist yet when the key is created (it is made on first use of the service), so it
 * is matched with an `aws:PrincipalArn` condition rather than named as a principal, which would
 * fail.
 */
function publisherKeyStatement(stack: Stack, publisher: ServiceLinkedPublisher): iam.PolicyStatement {
  return new iam.PolicyStatement({
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
  });
}
