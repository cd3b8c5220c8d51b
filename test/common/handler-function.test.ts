import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { createHandlerFunction, HandlerFunctionOptions } from '../../src/common/handler-function';
import { DataRetentionFunction } from '../../src/eip-failover/data-retention-function';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

const ENV = { account: '111111111111', region: 'eu-west-1' };

const OPTIONS: HandlerFunctionOptions = {
  name: 'Sweep',
  functionId: 'SweepFunction',
  calls: 'the EC2 API (volumes)',
  description: 'Sweeps',
  roleDescription: 'Sweeps one thing',
  timeout: Duration.minutes(3),
  permissions: (role) =>
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadVolumes',
        actions: ['ec2:DescribeVolumes'],
        resources: ['arn:aws:ec2:eu-west-1:111111111111:volume/vol-1'],
      }),
    ),
};

function build(options: Partial<HandlerFunctionOptions> = {}, stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const made = createHandlerFunction(stack, DataRetentionFunction, { ...OPTIONS, ...options });
  return { stack, made, template: Template.fromStack(stack) };
}

describe('createHandlerFunction', () => {
  test('its own role, its own log group (365 days, JSON), 256 MB and the timeout', () => {
    const { stack, made, template } = build();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Sweeps',
      MemorySize: 256,
      Timeout: 180,
      Role: { 'Fn::GetAtt': [logicalId(made.role), 'Arn'] },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(made.logGroup) } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Sweeps one thing',
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('the permissions are in the role policy before the function exists, beside writing its logs', () => {
    const { template } = build();
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const sids = policy.Properties.PolicyDocument.Statement.map(
      (s: { Sid?: string; Action: unknown }) => s.Sid ?? s.Action,
    );
    expect(sids).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents'], 'ReadVolumes']);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^SweepRolePolicy/)]));
  });

  test('a synchronous handler (no dead-letter queue) gets no queue and no asynchronous settings', () => {
    const { made, template } = build();
    expect(made.deadLetterQueue).toBeUndefined();
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: Match.absent() });
  });

  test('deadLetterQueue: true creates a KMS-encrypted, TLS-only queue kept 14 days; 2 retries, events dropped after 1 h', () => {
    const { made, template } = build({ deadLetterQueue: true, reservedConcurrentExecutions: 1 });
    expect(made.deadLetterQueue).toBeDefined();
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HaPatternsHandlerKey'), 'Arn'] },
      SqsManagedSseEnabled: Match.absent(),
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      ReservedConcurrentExecutions: 1,
    });
  });

  test('a topic with its own key: publish grant on the topic, key use, and the acknowledgement that needs', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const topic = new sns.Topic(stack, 'Topic', {
      masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
    const { template } = build({ notificationTopic: topic, deadLetterQueue: true }, stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: Match.stringLikeRegexp('^Topic') } }),
          Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    expectNoFindings(app);
  });
});
