import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, skipCheckov } from '../../src/common/acknowledge';
import { recordedAcknowledgements as acknowledgementsOn } from '../support/acknowledgements';
import { newCheckedApp, synthFindings } from '../support/checked-app';

const GRANULAR = 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]';

describe('acknowledge', () => {
  test('records a granular cdk-nag id that embeds an ARN under exactly that id, with its reason', () => {
    const scope = new Construct(new Stack(new App()), 'Role');
    acknowledge(scope, { id: GRANULAR, reason: 'instance ids are not known before launch' });
    expect(acknowledgementsOn(scope)).toEqual({
      [`Annotation::${GRANULAR}`]: 'instance ids are not known before launch',
    });
  });

  test('records every granular id with the Annotation:: prefix a plain id gets from Validations.acknowledge', () => {
    const scope = new Construct(new Stack(new App()), 'Role');
    acknowledge(
      scope,
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Describe actions' },
      { id: 'AwsSolutions-SQS3', reason: 'x' },
    );
    expect(Object.keys(acknowledgementsOn(scope)).sort()).toEqual([
      'Annotation::AwsSolutions-IAM5[Resource::*]',
      'Annotation::AwsSolutions-SQS3',
    ]);
  });

  test('a granular acknowledgement stays on its construct: the same finding elsewhere in the app is still reported', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Shop');
    const describe = () => [new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] })];
    const ours = new iam.ManagedPolicy(stack, 'Ours', { statements: describe() });
    new iam.ManagedPolicy(stack, 'Theirs', { statements: describe() });
    acknowledge(ours, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Describe actions support no resource-level permissions',
    });
    expect(synthFindings(app).map((f) => `${f.rule} ${f.path}`)).toEqual([
      'AwsSolutions-IAM5[Resource::*] Shop/Theirs/Resource',
    ]);
  });

  test('still refuses an id that Validations refuses for another reason', () => {
    const scope = new Construct(new Stack(new App()), 'Role');
    expect(() => acknowledge(scope, { id: '::AwsSolutions-S1', reason: 'x' })).toThrow(/Invalid validation rule ID/);
  });
});

describe('skipCheckov', () => {
  test("writes the skips to the resource's Metadata as checkov reads them, keeping the first comment of a check", () => {
    const stack = new Stack(new App());
    const queue = new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue' });
    skipCheckov(queue, { id: 'CKV_AWS_27', comment: 'first' });
    skipCheckov(queue, { id: 'CKV_AWS_27', comment: 'second' }, { id: 'CKV_AWS_999', comment: 'other' });
    expect(Template.fromStack(stack).toJSON().Resources.Queue.Metadata).toEqual({
      checkov: {
        skip: [
          { id: 'CKV_AWS_27', comment: 'first' },
          { id: 'CKV_AWS_999', comment: 'other' },
        ],
      },
    });
  });

  test('reaches the default child of an L2 construct, and refuses a construct without one', () => {
    const stack = new Stack(new App());
    const topic = new Topic(stack, 'Topic');
    skipCheckov(topic, { id: 'CKV_AWS_26', comment: 'why' });
    expect(Template.fromStack(stack).toJSON().Resources).toMatchObject({
      [stack.getLogicalId(topic.node.defaultChild as CfnResource)]: {
        Metadata: { checkov: { skip: [{ id: 'CKV_AWS_26', comment: 'why' }] } },
      },
    });
    expect(() => skipCheckov(new Construct(stack, 'Plain'), { id: 'CKV_AWS_1', comment: 'x' })).toThrow(
      /skipCheckov: Default\/Plain is not a CloudFormation resource/,
    );
  });
});
