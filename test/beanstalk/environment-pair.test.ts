import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { BUNDLE, buildPair, CERT_ARN, ENV, PLATFORM_ARN, settingsOfEnv } from './support';
import {
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  Cutover,
  EnvironmentTier,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';

// BeanstalkEnvironmentPair: two environments of one application and the cutover between them.

describe('BeanstalkEnvironmentPair', () => {
  test('one application, blue and green each with their own application version, sharing one VPC', () => {
    const { template, pair } = buildPair();
    template.resourceCountIs('AWS::ElasticBeanstalk::Application', 1);
    template.resourceCountIs('AWS::ElasticBeanstalk::Environment', 2);
    template.resourceCountIs('AWS::ElasticBeanstalk::ApplicationVersion', 2);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(pair.blue.applicationVersion).toBeDefined();
    expect(pair.green.applicationVersion).not.toBe(pair.blue.applicationVersion);
    expect(pair.blue.vpc).toBe(pair.vpc);
    expect(pair.green.vpc).toBe(pair.vpc);
    expect(pair.application.cfnApplication).toBeDefined();
  });

  test('live and idle environments follow `live`', () => {
    const blueLive = buildPair({ live: Slot.BLUE }).pair;
    expect(blueLive.liveEnvironment).toBe(blueLive.blue);
    expect(blueLive.idleEnvironment).toBe(blueLive.green);
    const greenLive = buildPair({ live: Slot.GREEN }).pair;
    expect(greenLive.liveEnvironment).toBe(greenLive.green);
    expect(greenLive.idleEnvironment).toBe(greenLive.blue);
  });

  test('cnameSwap (default): a custom resource after both environments names the live and idle environments', () => {
    const { stack, template, pair } = buildPair({ live: Slot.GREEN });
    const swaps = template.findResources('Custom::BeanstalkCnameSwap');
    const [id] = Object.keys(swaps);
    expect(swaps[id].Properties).toMatchObject({
      ApplicationName: { Ref: stack.resolve(pair.application.cfnApplication.logicalId) },
      LiveEnvironmentName: pair.green.environmentName,
      IdleEnvironmentName: pair.blue.environmentName,
    });
    expect(swaps[id].DependsOn).toEqual(
      expect.arrayContaining([
        stack.resolve(pair.blue.cfnEnvironment.logicalId),
        stack.resolve(pair.green.cfnEnvironment.logicalId),
      ]),
    );
    expect(stack.resolve(pair.liveUrl)).toEqual({ 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [id, 'LiveCname'] }]] });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    for (const env of [pair.blue, pair.green]) expect(env.cfnEnvironment.cnamePrefix).toBeUndefined();
  });

  test('cnameSwap: the function may swap only these two environments and runs up to 15 minutes', () => {
    const { template, pair } = buildPair();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 900,
      Description: Match.stringLikeRegexp('live CNAME'),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'elasticbeanstalk:SwapEnvironmentCNAMEs',
            Resource: [
              { 'Fn::Join': ['', Match.arrayWith([`/${pair.blue.environmentName}`])] },
              { 'Fn::Join': ['', Match.arrayWith([`/${pair.green.environmentName}`])] },
            ],
          }),
        ]),
      },
    });
  });

  test('route53: an alias A record to the live environment, fixed CNAME prefixes, no custom resource', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    });
    const { template, pair } = buildPair(
      {
        live: Slot.GREEN,
        cutover: Cutover.route53({ zone, recordName: 'shop' }),
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
      },
      stack,
    );
    template.resourceCountIs('Custom::BeanstalkCnameSwap', 0);
    const greenPrefix = stack.resolve(pair.green.cfnEnvironment.cnamePrefix);
    expect(greenPrefix).toEqual({
      'Fn::Join': ['-', [expect.stringMatching(/^stack-pair-[0-9a-f]{8}-green$/), { Ref: 'AWS::AccountId' }]],
    });
    expect(stack.resolve(pair.blue.cfnEnvironment.cnamePrefix)['Fn::Join'][1][0]).toMatch(/-blue$/);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'shop.example.com.',
      Type: 'A',
      HostedZoneId: 'Z123',
      AliasTarget: {
        HostedZoneId: 'Z2NYPWQ7DFZAZH',
        DNSName: {
          'Fn::Join': [
            '',
            [
              { 'Fn::Join': ['-', [Match.stringLikeRegexp('-green$'), { Ref: 'AWS::AccountId' }]] },
              '.eu-west-1.elasticbeanstalk.com',
            ],
          ],
        },
      },
    });
    expect(stack.resolve(pair.liveUrl)).toBe('https://shop.example.com');
  });

  test('route53: switching live to blue points the record at blue', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    });
    const { template } = buildPair({ live: Slot.BLUE, cutover: Cutover.route53({ zone, recordName: 'shop' }) }, stack);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      AliasTarget: {
        DNSName: {
          'Fn::Join': [
            '',
            [{ 'Fn::Join': ['-', [Match.stringLikeRegexp('-blue$'), { Ref: 'AWS::AccountId' }]] }, Match.anyValue()],
          ],
        },
      },
    });
  });

  test('route53: a record at the zone apex, or named fully, gives the live URL of that name', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    });
    const apex = buildPair({ cutover: Cutover.route53({ zone }) }, stack).pair;
    expect(stack.resolve(apex.liveUrl)).toBe('http://example.com');
    const named = new BeanstalkEnvironmentPair(stack, 'Named', {
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
      cutover: Cutover.route53({ zone, recordName: 'www.example.com' }),
    });
    expect(stack.resolve(named.liveUrl)).toBe('http://www.example.com');
  });

  test('route53: refuses an environment-agnostic stack, naming the region', () => {
    const stack = new Stack(new App(), 'Stack');
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    });
    expect(() => buildPair({ cutover: Cutover.route53({ zone, recordName: 'shop' }) }, stack)).toThrow(
      /env.region of the stack must be a concrete region for Cutover.route53\(\)/,
    );
  });

  test('defaults: highAvailability preset, web server tier, CNAME swap', () => {
    const { pair } = buildPair();
    expect(pair.blue.loadBalanced).toBe(true);
    expect(pair.blue.tier).toBe(EnvironmentTier.WEB_SERVER);
    expect(pair.cnameSwap).toBeDefined();
    expect(pair.record).toBeUndefined();
  });

  test('connections hold both environments and slot variables override the shared ones', () => {
    const { stack, template, pair } = buildPair({
      environmentVariables: { STAGE: 'prod', COLOR: 'none' },
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE), environmentVariables: { COLOR: 'blue' } },
      green: { environmentName: 'shop-green' },
    });
    expect(pair.connections.securityGroups).toEqual([pair.blue.securityGroup, pair.green.securityGroup]);
    const blue = settingsOfEnv(template, stack, pair.blue);
    const green = settingsOfEnv(template, stack, pair.green);
    expect(blue['aws:elasticbeanstalk:application:environment/COLOR']).toBe('blue');
    expect(green['aws:elasticbeanstalk:application:environment/COLOR']).toBe('none');
    expect(green['aws:elasticbeanstalk:application:environment/STAGE']).toBe('prod');
    expect(pair.green.environmentName).toBe('shop-green');
  });
});
