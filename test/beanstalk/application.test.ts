import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from './support';
import { BeanstalkApplication } from '../../src/beanstalk';

// BeanstalkApplication: the version lifecycle and the service role.

describe('BeanstalkApplication', () => {
  test('keeps at most 50 versions and applies the lifecycle with its own service role', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticBeanstalk::Application', {
      ResourceLifecycleConfig: {
        ServiceRole: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppServiceRole'), 'Arn'] },
        VersionLifecycleConfig: { MaxCountRule: { Enabled: true, MaxCount: 50, DeleteSourceFromS3: false } },
      },
    });
    expect(stack.resolve(application.applicationName)).toEqual({
      Ref: stack.resolve(application.cfnApplication.logicalId),
    });
  });

  test('the service role trusts Elastic Beanstalk with its external id and carries the two service policies', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new BeanstalkApplication(stack, 'App', { applicationName: 'shop', maxVersions: 10, deleteSourceFromS3: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticBeanstalk::Application', {
      ApplicationName: 'shop',
      ResourceLifecycleConfig: { VersionLifecycleConfig: { MaxCountRule: { MaxCount: 10, DeleteSourceFromS3: true } } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'elasticbeanstalk.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } },
          }),
        ],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth'],
          ],
        },
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy'],
          ],
        },
      ],
    });
  });

  test('refuses maxVersions out of range', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(() => new BeanstalkApplication(stack, 'App', { maxVersions: 0 })).toThrow(
      /maxVersions must be a whole number from 1 to 1000, received 0/,
    );
  });
});
