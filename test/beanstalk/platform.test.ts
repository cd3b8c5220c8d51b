import { Match } from 'aws-cdk-lib/assertions';
import { BRANCH, buildEnvironment, buildPair } from './support';
import { BeanstalkPlatform, EnvironmentTier } from '../../src/beanstalk';

// BeanstalkPlatform: a fixed ARN or solution stack, or the newest version of a branch looked up per environment.

describe('BeanstalkPlatform', () => {
  test('fromSolutionStackName sets SolutionStackName only', () => {
    const { template } = buildEnvironment({
      platform: BeanstalkPlatform.fromSolutionStackName('64bit Amazon Linux 2023 v6.6.0 running Node.js 22'),
    });
    template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
      SolutionStackName: '64bit Amazon Linux 2023 v6.6.0 running Node.js 22',
      PlatformArn: Match.absent(),
    });
  });

  test('latest looks the branch up once per environment, keyed on what replaces it, and uses the ARN as PlatformArn', () => {
    const { stack, template, pair } = buildPair();
    template.resourceCountIs('Custom::BeanstalkPlatform', 2);
    const lookups = template.findResources('Custom::BeanstalkPlatform');
    const used = [pair.blue, pair.green].map((env) => {
      const arn = stack.resolve(env.cfnEnvironment.platformArn) as { 'Fn::GetAtt': [string, string] };
      expect(arn['Fn::GetAtt'][1]).toBe('PlatformArn');
      expect(lookups[arn['Fn::GetAtt'][0]].Properties).toEqual({
        // One function per stack serves every lookup.
        ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^BeanstalkPlatformLookupFunction/), 'Arn'] },
        BranchName: BRANCH,
        SupportedTier: 'WebServer/Standard',
        // Everything whose change replaces the environment: a replacement runs the lookup again.
        Environment: { EnvironmentName: env.environmentName, Tier: { Name: 'WebServer', Type: 'Standard' } },
      });
      return arn['Fn::GetAtt'][0];
    });
    expect(new Set(used).size).toBe(2);
  });

  test('a lookup runs again only when its environment is replaced (new name, tier or CNAME prefix)', () => {
    const lookupOf = (options: { name?: string; cnamePrefix?: string }) => {
      const { template } = buildEnvironment({
        platform: BeanstalkPlatform.latest(BRANCH),
        environmentName: options.name ?? 'shop-prod',
        cnamePrefix: options.cnamePrefix,
      });
      const [lookup] = Object.values(template.findResources('Custom::BeanstalkPlatform'));
      return lookup.Properties;
    };
    const running = lookupOf({});
    // The same environment synthesized again: the lookup is unchanged, so CloudFormation leaves it.
    expect(lookupOf({})).toEqual(running);
    // A replaced environment: the lookup's properties change, so it runs again at that deployment.
    expect(lookupOf({ name: 'shop-prod-2' }).Environment).toEqual({
      ...running.Environment,
      EnvironmentName: 'shop-prod-2',
    });
    expect(lookupOf({ cnamePrefix: 'shop-prod-x' }).Environment).toEqual({
      ...running.Environment,
      CNAMEPrefix: 'shop-prod-x',
    });
  });

  test('the lookup function runs on Node.js 24 with its own role (ListPlatformVersions only) and a log group with retention', () => {
    const { template } = buildPair();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Description: Match.stringLikeRegexp('newest recommended version'),
      LoggingConfig: Match.objectLike({
        LogFormat: 'JSON',
        LogGroup: { Ref: Match.stringLikeRegexp('^BeanstalkPlatformLookupFunctionLogs') },
      }),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'elasticbeanstalk:ListPlatformVersions', Resource: '*' }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^BeanstalkPlatformLookupFunctionRole') }],
    });
  });

  test('a worker looks up a platform that supports the worker tier', () => {
    const { template } = buildEnvironment({ tier: EnvironmentTier.WORKER, platform: BeanstalkPlatform.latest(BRANCH) });
    template.hasResourceProperties('Custom::BeanstalkPlatform', { SupportedTier: 'Worker/SQS/HTTP' });
  });
});
