import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../../src/common/acknowledge';
import { acknowledgementsOn } from '../support/acknowledgements';

const GRANULAR = 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]';

describe('acknowledge', () => {
  test('records a granular cdk-nag id that embeds an ARN under exactly that id, with its reason', () => {
    const scope = new Construct(new Stack(new App()), 'Role');
    acknowledge(scope, { id: GRANULAR, reason: 'instance ids are not known before launch' });
    expect(acknowledgementsOn(scope)).toEqual({ [GRANULAR]: 'instance ids are not known before launch' });
  });

  test('passes ids with at most one :: to Validations.acknowledge, which records them itself', () => {
    const scope = new Construct(new Stack(new App()), 'Role');
    acknowledge(scope, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Describe actions' });
    const ids = Object.keys(acknowledgementsOn(scope));
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/AwsSolutions-IAM5\[Resource::\*\]$/);
  });

  test('still refuses an id that Validations refuses for another reason', () => {
    const scope = new Construct(new Stack(new App()), 'Role');
    expect(() => acknowledge(scope, { id: '::AwsSolutions-S1', reason: 'x' })).toThrow(/Invalid validation rule ID/);
  });
});
