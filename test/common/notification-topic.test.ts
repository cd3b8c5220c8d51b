import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ElasticIpFailoverInstance, FailoverStrategy, HighlyAvailableWebApp } from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const AUTO_SCALING_ROLE = 'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling';

/** The key policy statement that lets the Auto Scaling service-linked role use a topic's key. */
const AUTO_SCALING_KEY_STATEMENT = {
  Sid: 'AllowPublishByAWSServiceRoleForAutoScaling',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
  Resource: '*',
  Condition: {
    StringEquals: {
      'aws:PrincipalArn': {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ENV.account}:role/${AUTO_SCALING_ROLE}`]],
      },
      'kms:CallerAccount': ENV.account,
    },
  },
};

function encryptedTopic(stack: Stack, key: kms.IKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true })) {
  return new sns.Topic(stack, 'UserTopic', { masterKey: key, enforceSSL: true });
}

function asgServer(stack: Stack, notificationTopic: sns.ITopic, id = 'Server'): ElasticIpFailoverInstance {
  return new ElasticIpFailoverInstance(stack, id, {
    vpc: (stack.node.tryFindChild('Vpc') as ec2.IVpc | undefined) ?? publicOnlyVpc(stack),
    strategy: FailoverStrategy.autoScalingGroup(),
    notificationTopic,
  });
}

function userKeyStatements(stack: Stack, keyId = 'UserKey'): unknown[] {
  const keys = Template.fromStack(stack).findResources('AWS::KMS::Key');
  const logicalId = Object.keys(keys).find((id) => id.startsWith(keyId))!;
  return keys[logicalId].Properties.KeyPolicy.Statement;
}

describe('a given notification topic encrypted with a customer managed key', () => {
  test('Auto Scaling strategy: the key of a topic in the same stack admits the Auto Scaling service-linked role', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    asgServer(stack, encryptedTopic(stack));
    expect(userKeyStatements(stack)).toEqual(expect.arrayContaining([AUTO_SCALING_KEY_STATEMENT]));
    expectNoFindings(app);
  });

  test('a key in another stack of the same account gets the statement in that stack', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: ENV });
    const topic = encryptedTopic(shared);
    const stack = new Stack(app, 'Stack', { env: ENV });
    asgServer(stack, topic);
    expect(userKeyStatements(shared)).toEqual(expect.arrayContaining([AUTO_SCALING_KEY_STATEMENT]));
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('notificationTopic is encrypted'));
  });

  test('two constructs sharing one key add one statement', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const topic = encryptedTopic(stack);
    asgServer(stack, topic, 'One');
    asgServer(stack, topic, 'Two');
    const sids = (userKeyStatements(stack) as { Sid?: string }[]).map((s) => s.Sid);
    expect(sids.filter((sid) => sid === 'AllowPublishByAWSServiceRoleForAutoScaling')).toHaveLength(1);
  });

  test('a key the app cannot change (imported) gets a warning that says what to add', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = kms.Key.fromKeyArn(
      stack,
      'Imported',
      `arn:aws:kms:eu-west-1:${ENV.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    );
    asgServer(stack, encryptedTopic(stack, key));
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Server',
      Match.stringLikeRegexp(
        `^notificationTopic is encrypted with a KMS key whose policy this app cannot change \\(arn:aws:kms:eu-west-1:${ENV.account}:key/1234abcd.*\\): add a key policy statement allowing kms:GenerateDataKey\\* and kms:Decrypt to the role\\(s\\) ${AUTO_SCALING_ROLE} `,
      ),
    );
  });

  test('a key of another account gets the warning, not a statement', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const topic = sns.Topic.fromTopicAttributes(stack, 'Imported', {
      topicArn: 'arn:aws:sns:eu-west-1:222222222222:alerts',
      keyArn: 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    asgServer(stack, topic);
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Server',
      Match.stringLikeRegexp(
        '^notificationTopic is encrypted with a KMS key whose policy this app cannot change \\(arn:aws:kms:eu-west-1:222222222222:',
      ),
    );
  });

  test('standby strategy: no service publishes with its own role, so the key is left alone', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      notificationTopic: encryptedTopic(stack),
    });
    expect(userKeyStatements(stack)).not.toEqual(expect.arrayContaining([AUTO_SCALING_KEY_STATEMENT]));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('a topic imported by ARN alone (key unknown) gets neither statement nor warning', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    asgServer(stack, sns.Topic.fromTopicArn(stack, 'Imported', `arn:aws:sns:eu-west-1:${ENV.account}:alerts`));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('HighlyAvailableWebApp: the same statement for its Auto Scaling notifications, zero findings', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    new HighlyAvailableWebApp(stack, 'Shop', { notificationTopic: encryptedTopic(stack) });
    expect(userKeyStatements(stack)).toEqual(expect.arrayContaining([AUTO_SCALING_KEY_STATEMENT]));
    expectNoFindings(app);
  });

  test('HighlyAvailableWebApp: an imported key gets the warning', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = kms.Key.fromKeyArn(
      stack,
      'Imported',
      `arn:aws:kms:eu-west-1:${ENV.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    );
    new HighlyAvailableWebApp(stack, 'Shop', { notificationTopic: encryptedTopic(stack, key) });
    Annotations.fromStack(stack).hasWarning('/Stack/Shop', Match.stringLikeRegexp('^notificationTopic is encrypted'));
  });
});
