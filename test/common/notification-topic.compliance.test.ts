import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BUILDERS } from './shared-pieces-builders';
import { ElasticIpFailoverInstance, FailoverStrategy } from '../../src';
import { AUTO_SCALING_PUBLISHER, createEncryptedTopic } from '../../src/common/notification-topic';
import { checkovFailures } from '../support/checkov';
import { publicOnlyVpc } from '../support/vpc';
import { synthWith } from '../update-safety/safety';

// The key of a notification topic the library creates, under checkov: the statement that admits a
// service-linked publisher has `Principal: {AWS: '*'}` limited by conditions, which checkov's
// CKV_AWS_33 (wildcard principal) cannot read; it is skipped on that key with the condition quoted.

const ENV = { account: '111111111111', region: 'eu-west-1' };

function checkovSkips(template: Template, logical: string): Array<{ id: string; comment: string }> {
  return template.toJSON().Resources[logical].Metadata?.checkov?.skip ?? [];
}

function topicKey(stack: Stack, topic: sns.Topic): string {
  return stack.getLogicalId(topic.masterKey!.node.defaultChild as never);
}

describe('the key of a topic with a service-linked publisher', () => {
  test('CKV_AWS_33 is skipped on it, quoting the conditions that limit the wildcard principal', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const topic = createEncryptedTopic(stack, 'Notifications', {
      purpose: 'test',
      serviceLinkedPublishers: [AUTO_SCALING_PUBLISHER],
    });
    const skips = checkovSkips(Template.fromStack(stack), topicKey(stack, topic));
    expect(skips).toEqual([{ id: 'CKV_AWS_33', comment: expect.any(String) }]);
    expect(skips[0].comment).toContain(
      'StringEquals aws:PrincipalArn = arn:<AWS::Partition>:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling and kms:CallerAccount = 111111111111',
    );
    expect(skips[0].comment).toMatch(/KMS refuses a key policy naming a principal that does not exist yet/);
  });

  test('an account-agnostic stack quotes the account as <AWS::AccountId>, never a token', () => {
    const stack = new Stack(new App(), 'Stack');
    const topic = createEncryptedTopic(stack, 'Notifications', {
      purpose: 'test',
      serviceLinkedPublishers: [AUTO_SCALING_PUBLISHER],
    });
    const [skip] = checkovSkips(Template.fromStack(stack), topicKey(stack, topic));
    expect(skip.comment).toContain(':iam::<AWS::AccountId>:role/aws-service-role/');
    expect(skip.comment).not.toMatch(/\$\{Token|Ref/);
  });

  test('a topic without service-linked publishers has no wildcard statement and no skip', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const topic = createEncryptedTopic(stack, 'Notifications', { purpose: 'test' });
    const template = Template.fromStack(stack);
    expect(checkovSkips(template, topicKey(stack, topic))).toEqual([]);
    const statements = template.toJSON().Resources[topicKey(stack, topic)].Properties.KeyPolicy.Statement;
    expect(statements.filter((s: any) => s.Principal?.AWS === '*')).toEqual([]);
  });

  test("a key the user gave is left as it is: the statement is added, no skip is written on the user's key", () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup(),
      notificationTopic: new sns.Topic(stack, 'UserTopic', { masterKey: key, enforceSSL: true }),
    });
    expect(checkovSkips(Template.fromStack(stack), stack.getLogicalId(key.node.defaultChild as never))).toEqual([]);
  });
});

describe('the notification key under checkov', () => {
  test('the Auto Scaling strategy (a service-linked publisher): CKV_AWS_33 does not fail on the topic key', () => {
    const { template } = synthWith(BUILDERS['data-volume']);
    const failures = checkovFailures(template);
    expect(failures.filter((line) => /NotificationsKey/.test(line))).toEqual([]);
  });
});
