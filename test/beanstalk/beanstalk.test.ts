import * as path from 'path';
import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  BatchSize,
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkEnvironmentPairProps,
  BeanstalkEnvironmentProps,
  BeanstalkPlatform,
  Cutover,
  DeploymentPolicy,
  EnvironmentPreset,
  EnvironmentTier,
  PlatformUpdateLevel,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';
import { DetachableDatabase } from '../../src/database';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

const ENV = { region: 'eu-west-1' };
const BUNDLE = path.join(__dirname, 'fixtures', 'app');
const BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';
const PLATFORM_ARN = `arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/6.6.0`;
const CERT_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/abc';

type Settings = Record<string, unknown>;

/** The option settings of an environment resource as `namespace/OptionName` -> value. */
function settingsOf(resource: any): Settings {
  const settings: Settings = {};
  for (const s of resource.Properties.OptionSettings) settings[`${s.Namespace}/${s.OptionName}`] = s.Value;
  return settings;
}

function environments(template: Template): any[] {
  return Object.values(template.findResources('AWS::ElasticBeanstalk::Environment'));
}

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as ec2.CfnSecurityGroup).logicalId);
}

function buildEnvironment(props: Partial<BeanstalkEnvironmentProps> = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const application = new BeanstalkApplication(stack, 'App');
  const environment = new BeanstalkEnvironment(stack, 'Env', {
    application,
    platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
    sourceBundle: SourceBundle.fromAsset(BUNDLE),
    ...props,
  });
  const template = Template.fromStack(stack);
  const [resource] = environments(template);
  return { stack, application, environment, template, resource, settings: settingsOf(resource) };
}

function buildPair(props: Partial<BeanstalkEnvironmentPairProps> = {}, stack?: Stack) {
  stack ??= new Stack(new App(), 'Stack', { env: ENV });
  const pair = new BeanstalkEnvironmentPair(stack, 'Pair', {
    platform: BeanstalkPlatform.latest(BRANCH),
    blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
    green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
    live: Slot.BLUE,
    ...props,
  });
  const template = Template.fromStack(stack);
  return { stack, pair, template };
}

function settingsOfEnv(template: Template, stack: Stack, env: BeanstalkEnvironment): Settings {
  const id = stack.resolve(env.cfnEnvironment.logicalId);
  return settingsOf(template.toJSON().Resources[id]);
}

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

describe('BeanstalkEnvironment settings on every environment', () => {
  test.each([
    ['singleInstance', EnvironmentPreset.singleInstance()],
    ['highAvailability', EnvironmentPreset.highAvailability()],
  ])(
    '%s: service role, instance profile, IMDSv1 off, gp3, health, managed updates, logs, VPC, security group',
    (_name, preset) => {
      const { stack, settings, environment } = buildEnvironment({ preset });
      expect(stack.resolve(settings['aws:elasticbeanstalk:environment/ServiceRole'])).toEqual(
        stack.resolve(environment.serviceRole.roleArn),
      );
      expect(settings['aws:autoscaling:launchconfiguration/IamInstanceProfile']).toEqual(
        stack.resolve(environment.instanceProfile.instanceProfileArn),
      );
      expect(settings['aws:autoscaling:launchconfiguration/SecurityGroups']).toEqual(
        stack.resolve(environment.securityGroup.securityGroupId),
      );
      expect(settings['aws:ec2:vpc/VPCId']).toEqual(stack.resolve(environment.vpc.vpcId));
      expect(settings).toMatchObject({
        'aws:autoscaling:launchconfiguration/DisableIMDSv1': 'true',
        'aws:autoscaling:launchconfiguration/RootVolumeType': 'gp3',
        'aws:autoscaling:launchconfiguration/DisableDefaultEC2SecurityGroup': 'true',
        'aws:ec2:instances/InstanceTypes': 't3.micro',
        'aws:elasticbeanstalk:healthreporting:system/SystemType': 'enhanced',
        'aws:elasticbeanstalk:managedactions/ManagedActionsEnabled': 'true',
        'aws:elasticbeanstalk:managedactions/PreferredStartTime': 'Sun:03:00',
        'aws:elasticbeanstalk:managedactions:platformupdate/UpdateLevel': 'minor',
        'aws:elasticbeanstalk:managedactions:platformupdate/InstanceRefreshEnabled': 'true',
        'aws:elasticbeanstalk:cloudwatch:logs/StreamLogs': 'true',
        'aws:elasticbeanstalk:cloudwatch:logs/DeleteOnTerminate': 'false',
        'aws:elasticbeanstalk:cloudwatch:logs/RetentionInDays': '365',
        'aws:elasticbeanstalk:cloudwatch:logs:health/HealthStreamingEnabled': 'true',
        'aws:elasticbeanstalk:cloudwatch:logs:health/DeleteOnTerminate': 'false',
        'aws:elasticbeanstalk:cloudwatch:logs:health/RetentionInDays': '365',
        'aws:elasticbeanstalk:hostmanager/LogPublicationControl': 'true',
      });
    },
  );

  test('every setting is a literal option setting (no configuration template, no ebextension)', () => {
    const { template } = buildEnvironment();
    template.resourceCountIs('AWS::ElasticBeanstalk::ConfigurationTemplate', 0);
    template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
      PlatformArn: PLATFORM_ARN,
      SolutionStackName: Match.absent(),
      Tier: { Name: 'WebServer', Type: 'Standard' },
      VersionLabel: { Ref: Match.stringLikeRegexp('^EnvVersion') },
    });
  });

  test('instance type, retention, maintenance window and update level follow the props', () => {
    const { settings } = buildEnvironment({
      instanceType: new ec2.InstanceType('t4g.small'),
      logRetention: 30,
      maintenanceWindowStart: 'Tue:04:30',
      updateLevel: PlatformUpdateLevel.PATCH,
    });
    expect(settings).toMatchObject({
      'aws:ec2:instances/InstanceTypes': 't4g.small',
      'aws:elasticbeanstalk:cloudwatch:logs/RetentionInDays': '30',
      'aws:elasticbeanstalk:cloudwatch:logs:health/RetentionInDays': '30',
      'aws:elasticbeanstalk:managedactions/PreferredStartTime': 'Tue:04:30',
      'aws:elasticbeanstalk:managedactions:platformupdate/UpdateLevel': 'patch',
    });
  });

  test('environment variables are set, and optionSettings are applied last, overriding the same option', () => {
    const { settings, resource } = buildEnvironment({
      environmentVariables: { STAGE: 'dev' },
      optionSettings: [
        { namespace: 'aws:ec2:instances', optionName: 'InstanceTypes', value: 'm7g.large' },
        { namespace: 'aws:elasticbeanstalk:environment:proxy', optionName: 'ProxyServer', value: 'nginx' },
      ],
    });
    expect(settings['aws:elasticbeanstalk:application:environment/STAGE']).toBe('dev');
    expect(settings['aws:ec2:instances/InstanceTypes']).toBe('m7g.large');
    const instanceTypes = resource.Properties.OptionSettings.filter((s: any) => s.OptionName === 'InstanceTypes');
    expect(instanceTypes).toHaveLength(1);
    expect(resource.Properties.OptionSettings.at(-1)).toEqual({
      Namespace: 'aws:elasticbeanstalk:environment:proxy',
      OptionName: 'ProxyServer',
      Value: 'nginx',
    });
  });

  test('the environment has a literal name derived from its path and depends on its instance role policy', () => {
    const { template, environment, stack } = buildEnvironment();
    expect(environment.environmentName).toMatch(/^Stack-Env-[0-9A-F]{8}$/);
    const id = stack.resolve(environment.cfnEnvironment.logicalId);
    const env = template.toJSON().Resources[id];
    expect(env.Properties.EnvironmentName).toBe(environment.environmentName);
    expect(env.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^EnvInstanceRoleDefaultPolicy/)]));
  });
});

describe('BeanstalkEnvironment presets', () => {
  test('singleInstance: one instance in a public subnet with a public address, no load balancer, all at once', () => {
    const { stack, settings, environment } = buildEnvironment({ preset: EnvironmentPreset.singleInstance() });
    expect(settings).toMatchObject({
      'aws:elasticbeanstalk:environment/EnvironmentType': 'SingleInstance',
      'aws:ec2:vpc/AssociatePublicIpAddress': 'true',
      'aws:elasticbeanstalk:command/DeploymentPolicy': 'AllAtOnce',
    });
    expect(JSON.stringify(settings['aws:ec2:vpc/Subnets'])).toMatch(/PublicSubnet1.*PublicSubnet2/);
    for (const absent of [
      'aws:ec2:vpc/ELBSubnets',
      'aws:ec2:vpc/ELBScheme',
      'aws:elasticbeanstalk:environment/LoadBalancerType',
      'aws:autoscaling:asg/MinSize',
      'aws:elbv2:loadbalancer/SecurityGroups',
    ]) {
      expect(settings[absent]).toBeUndefined();
    }
    expect(environment.loadBalancerSecurityGroup).toBeUndefined();
    expect(stack.resolve(environment.url)).toEqual({
      'Fn::Join': [
        '',
        ['http://', { 'Fn::GetAtt': [stack.resolve(environment.cfnEnvironment.logicalId), 'EndpointURL'] }],
      ],
    });
  });

  test('singleInstance: a new VPC has public subnets only and no NAT gateway, with flow logs', () => {
    const { template } = buildEnvironment({ preset: EnvironmentPreset.singleInstance() });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  test('singleInstance: the instance admits port 80 from anywhere and sends HTTPS only', () => {
    const { template } = buildEnvironment({ preset: EnvironmentPreset.singleInstance() });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Elastic Beanstalk instances'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80 })],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
  });

  test('highAvailability: ALB in public subnets, instances in private subnets without public addresses, 2..4, immutable', () => {
    const { stack, settings, environment } = buildEnvironment({
      preset: EnvironmentPreset.highAvailability(),
      healthCheckPath: '/health',
    });
    expect(settings).toMatchObject({
      'aws:elasticbeanstalk:environment/EnvironmentType': 'LoadBalanced',
      'aws:elasticbeanstalk:environment/LoadBalancerType': 'application',
      'aws:ec2:vpc/ELBScheme': 'public',
      'aws:ec2:vpc/AssociatePublicIpAddress': 'false',
      'aws:autoscaling:asg/MinSize': '2',
      'aws:autoscaling:asg/MaxSize': '4',
      'aws:elasticbeanstalk:environment:process:default/HealthCheckPath': '/health',
      'aws:elasticbeanstalk:command/DeploymentPolicy': 'Immutable',
    });
    expect(JSON.stringify(settings['aws:ec2:vpc/Subnets'])).toMatch(/PrivateSubnet1.*PrivateSubnet2/);
    expect(JSON.stringify(settings['aws:ec2:vpc/Subnets'])).not.toMatch(/Public/);
    expect(JSON.stringify(settings['aws:ec2:vpc/ELBSubnets'])).toMatch(/PublicSubnet1.*PublicSubnet2/);
    const lbSg = stack.resolve(environment.loadBalancerSecurityGroup!.securityGroupId);
    expect(settings['aws:elbv2:loadbalancer/SecurityGroups']).toEqual(lbSg);
    expect(settings['aws:elbv2:loadbalancer/ManagedSecurityGroup']).toEqual(lbSg);
  });

  test('highAvailability: min and max instances follow the preset', () => {
    const { settings } = buildEnvironment({
      preset: EnvironmentPreset.highAvailability({ minInstances: 3, maxInstances: 9 }),
    });
    expect(settings).toMatchObject({ 'aws:autoscaling:asg/MinSize': '3', 'aws:autoscaling:asg/MaxSize': '9' });
  });

  test('highAvailability: a new VPC has public and private subnets over 2 AZs with a NAT gateway each', () => {
    const { template } = buildEnvironment({ preset: EnvironmentPreset.highAvailability() });
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  test('highAvailability: internet -> load balancer on 80 -> instances on 80, by security group', () => {
    const { stack, template, environment } = buildEnvironment();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Load balancer of'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80 })],
      SecurityGroupEgress: Match.absent(),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [idOf(stack, environment.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(stack, environment.loadBalancerSecurityGroup!), 'GroupId'] },
      FromPort: 80,
    });
    const appSg = template.toJSON().Resources[idOf(stack, environment.securityGroup)];
    expect(appSg.Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('with a certificate: HTTPS on 443 with the TLS 1.3 policy, port 80 off, load balancer admits 443 only', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    const environment = new BeanstalkEnvironment(stack, 'Env', {
      application,
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
    });
    const template = Template.fromStack(stack);
    const settings = settingsOf(environments(template)[0]);
    expect(settings).toMatchObject({
      'aws:elbv2:listener:443/Protocol': 'HTTPS',
      'aws:elbv2:listener:443/SSLCertificateArns': CERT_ARN,
      'aws:elbv2:listener:443/SSLPolicy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'aws:elbv2:listener:default/ListenerEnabled': 'false',
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Load balancer of'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
    expect(environment.url.startsWith('https://')).toBe(true);
  });

  test('without a certificate there is no HTTPS listener', () => {
    const { settings } = buildEnvironment();
    expect(settings['aws:elbv2:listener:443/Protocol']).toBeUndefined();
    expect(settings['aws:elbv2:listener:default/ListenerEnabled']).toBeUndefined();
  });
});

describe('BeanstalkEnvironment deployment policies', () => {
  test.each([
    ['allAtOnce', DeploymentPolicy.allAtOnce(), { DeploymentPolicy: 'AllAtOnce' }],
    [
      'rolling (default batch)',
      DeploymentPolicy.rolling(),
      { DeploymentPolicy: 'Rolling', BatchSizeType: 'Percentage', BatchSize: '30' },
    ],
    [
      'rolling fixed',
      DeploymentPolicy.rolling(BatchSize.instances(2)),
      { DeploymentPolicy: 'Rolling', BatchSizeType: 'Fixed', BatchSize: '2' },
    ],
    [
      'rollingWithAdditionalBatch',
      DeploymentPolicy.rollingWithAdditionalBatch(BatchSize.percentage(50)),
      { DeploymentPolicy: 'RollingWithAdditionalBatch', BatchSizeType: 'Percentage', BatchSize: '50' },
    ],
    ['immutable', DeploymentPolicy.immutable(), { DeploymentPolicy: 'Immutable' }],
    [
      'trafficSplitting',
      DeploymentPolicy.trafficSplitting(10, Duration.minutes(15)),
      { DeploymentPolicy: 'TrafficSplitting' },
    ],
  ])('%s', (_name, deploymentPolicy, expected) => {
    const { settings } = buildEnvironment({ deploymentPolicy });
    const command: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(settings)) {
      if (k.startsWith('aws:elasticbeanstalk:command/')) command[k.split('/')[1]] = v;
    }
    expect(command).toEqual(expected);
    if (expected.DeploymentPolicy === 'TrafficSplitting') {
      expect(settings['aws:elasticbeanstalk:trafficsplitting/NewVersionPercent']).toBe('10');
      expect(settings['aws:elasticbeanstalk:trafficsplitting/EvaluationTime']).toBe('15');
    } else {
      expect(settings['aws:elasticbeanstalk:trafficsplitting/NewVersionPercent']).toBeUndefined();
    }
  });

  test('trafficSplitting evaluates for 5 minutes by default', () => {
    const { settings } = buildEnvironment({ deploymentPolicy: DeploymentPolicy.trafficSplitting(25) });
    expect(settings['aws:elasticbeanstalk:trafficsplitting/EvaluationTime']).toBe('5');
  });
});

describe('BeanstalkEnvironment worker tier', () => {
  const worker = () => buildEnvironment({ tier: EnvironmentTier.WORKER });

  test('is a Worker SQS/HTTP environment fed by its own queue, with no load balancer settings', () => {
    const { stack, settings, environment, template } = worker();
    // SQS/HTTP is the only worker tier type (CloudFormation Tier, Elastic Beanstalk EnvironmentTier API).
    expect(environments(template).map((e) => e.Properties.Tier)).toEqual([{ Name: 'Worker', Type: 'SQS/HTTP' }]);
    expect(settings['aws:elasticbeanstalk:sqsd/WorkerQueueURL']).toEqual(stack.resolve(environment.queue!.queueUrl));
    expect(settings['aws:elasticbeanstalk:environment/EnvironmentType']).toBe('LoadBalanced');
    expect(settings['aws:elasticbeanstalk:environment/LoadBalancerType']).toBeUndefined();
    expect(settings['aws:ec2:vpc/ELBSubnets']).toBeUndefined();
    expect(environment.loadBalancerSecurityGroup).toBeUndefined();
  });

  test('the queue and its dead-letter queue are encrypted and SSL-only; 5 failures go to the DLQ', () => {
    const { stack, template, environment } = worker();
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 300,
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(environment.deadLetterQueue!.queueArn), maxReceiveCount: 5 },
    });
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      2,
    );
  });

  test('the instance role may process the queue, and the instances admit no inbound traffic', () => {
    const { stack, template, environment } = worker();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ProcessWorkerQueue',
            Action: Match.arrayWith(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
            Resource: stack.resolve(environment.queue!.queueArn),
          }),
        ]),
      },
    });
    const sg = template.toJSON().Resources[idOf(stack, environment.securityGroup)];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the worker daemon may publish its metrics, in a policy of its own (PutMetricData has no resource scope)', () => {
    const { stack, template, environment } = worker();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Sid: 'PublishWorkerDaemonMetrics', Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*' },
        ],
      },
      Roles: [stack.resolve(environment.instanceRole.roleName)],
    });
    // A web server environment's instances get no such grant.
    const web = buildEnvironment();
    expect(JSON.stringify(web.template.toJSON())).not.toContain('cloudwatch:PutMetricData');
  });
});

describe('BeanstalkEnvironment single-instance worker', () => {
  test('one instance in a public subnet with a public address, its own queue, and no inbound rule', () => {
    const { stack, settings, environment, template } = buildEnvironment({
      tier: EnvironmentTier.WORKER,
      preset: EnvironmentPreset.singleInstance(),
    });
    expect(settings).toMatchObject({
      'aws:elasticbeanstalk:environment/EnvironmentType': 'SingleInstance',
      'aws:ec2:vpc/AssociatePublicIpAddress': 'true',
      'aws:elasticbeanstalk:sqsd/WorkerQueueURL': stack.resolve(environment.queue!.queueUrl),
    });
    const sg = template.toJSON().Resources[idOf(stack, environment.securityGroup)];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });
});

describe('BeanstalkEnvironment instance role and source bundle', () => {
  test('the instance role streams only this environment logs, publishes logs, reports health and reads its bundle', () => {
    const { stack, template, environment } = buildEnvironment();
    const name = environment.environmentName;
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'StreamLogs',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([Match.stringLikeRegexp(`:log-group:/aws/elasticbeanstalk/${name}/\\*$`)]),
              ],
            },
          }),
          Match.objectLike({
            Sid: 'PublishLogsToBeanstalkBucket',
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([
                  Match.stringLikeRegexp('^:s3:::elasticbeanstalk-eu-west-1-$'),
                  '/resources/environments/logs/*',
                ]),
              ],
            },
          }),
          Match.objectLike({ Sid: 'ReadBeanstalkEnvironmentFiles', Action: 's3:GetObject' }),
          Match.objectLike({ Sid: 'ReportEnhancedHealth', Action: 'elasticbeanstalk:PutInstanceStatistics' }),
          Match.objectLike({
            Sid: 'ReadSourceBundle',
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^/[0-9a-f]{64}\\.zip$')])] },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', {
      Roles: [{ Ref: stack.resolve((environment.instanceRole.node.defaultChild as any).logicalId) }],
    });
  });

  test('a directory asset becomes an application version from the assets bucket', () => {
    const { template } = buildEnvironment();
    template.hasResourceProperties('AWS::ElasticBeanstalk::ApplicationVersion', {
      ApplicationName: { Ref: Match.stringLikeRegexp('^App') },
      SourceBundle: {
        S3Bucket: { 'Fn::Sub': Match.stringLikeRegexp('cdk-.*-assets-') },
        S3Key: Match.stringLikeRegexp('^[0-9a-f]{64}\\.zip$'),
      },
    });
  });

  test('SourceBundle.fromBucket uses the bucket and key', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    const bucket = s3.Bucket.fromBucketName(stack, 'Releases', 'my-releases');
    new BeanstalkEnvironment(stack, 'Env', {
      application,
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      sourceBundle: SourceBundle.fromBucket(bucket, 'shop/v42.zip'),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticBeanstalk::ApplicationVersion', {
      SourceBundle: { S3Bucket: 'my-releases', S3Key: 'shop/v42.zip' },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadSourceBundle',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-releases/shop/v42.zip']] },
          }),
        ]),
      },
    });
  });

  test('without a source bundle there is no application version (Elastic Beanstalk runs its sample)', () => {
    const { template, environment } = buildEnvironment({ sourceBundle: undefined });
    template.resourceCountIs('AWS::ElasticBeanstalk::ApplicationVersion', 0);
    expect(environment.applicationVersion).toBeUndefined();
  });
});

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
    template.hasResourceProperties('AWS::IAM::Policy', {
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
    template.hasResourceProperties('AWS::IAM::Policy', {
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

describe('database wiring', () => {
  function withDatabase() {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const vpc = new ec2.Vpc(dataStack, 'Vpc', {
      maxAzs: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    const database = new DetachableDatabase(dataStack, 'Db', { vpc });
    const appStack = new Stack(app, 'Shop', { env: ENV });
    const pair = new BeanstalkEnvironmentPair(appStack, 'Pair', {
      vpc,
      database,
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
    });
    return {
      dataStack,
      appStack,
      pair,
      database,
      template: Template.fromStack(appStack),
      dataTemplate: Template.fromStack(dataStack),
    };
  }

  test('a database in another VPC is refused: with no vpc (a new one) or another VPC, naming both', () => {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const dataVpc = new ec2.Vpc(dataStack, 'DataVpc', { maxAzs: 2 });
    const database = new DetachableDatabase(dataStack, 'Db', { vpc: dataVpc });
    const appStack = new Stack(app, 'Shop', { env: ENV });
    const common = {
      database,
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
    };
    expect(() => new BeanstalkEnvironmentPair(appStack, 'Pair', common)).toThrow(
      /vpc must be the database's VPC when database is given.*received 'no vpc \(a new VPC would be created\)'/,
    );
    const otherVpc = new ec2.Vpc(appStack, 'OtherVpc', { maxAzs: 2 });
    expect(() => new BeanstalkEnvironmentPair(appStack, 'Pair2', { ...common, vpc: otherVpc })).toThrow(
      /vpc must be the database's VPC \(database.vpc\).*received 'Shop\/OtherVpc, while the database runs in Data\/DataVpc'/,
    );
    const application = new BeanstalkApplication(appStack, 'App');
    expect(
      () =>
        new BeanstalkEnvironment(appStack, 'Env', {
          application,
          database,
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
        }),
    ).toThrow(/vpc must be the database's VPC when database is given/);
    // An adopted database whose VPC is not given is not checked.
    const adopted = DetachableDatabase.fromExisting(appStack, 'Legacy', {
      instanceIdentifier: 'legacy',
      endpointAddress: 'legacy.example.com',
      port: 3306,
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(appStack, 'LegacySg', 'sg-12345678')],
    });
    expect(adopted.vpc).toBeUndefined();
    expect(
      () => new BeanstalkEnvironmentPair(appStack, 'Pair3', { ...common, database: adopted, vpc: otherVpc }),
    ).not.toThrow();
  });

  test('each environment security group is allowed on the database port, in the consumer stack', () => {
    const { appStack, dataStack, pair, database, template } = withDatabase();
    for (const env of [pair.blue, pair.green]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: database.port,
        ToPort: database.port,
        GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Data:') },
        SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(appStack, env.securityGroup), 'GroupId'] },
      });
    }
    expect(appStack.dependencies).toContain(dataStack);
    expect(dataStack.dependencies).not.toContain(appStack);
  });

  test('connection settings become environment variables and the secret goes through environmentsecrets as its ARN', () => {
    const { appStack, pair, template } = withDatabase();
    for (const env of [pair.blue, pair.green]) {
      const settings = settingsOfEnv(template, appStack, env);
      expect(settings['aws:elasticbeanstalk:application:environment/DB_HOST']).toEqual({
        'Fn::ImportValue': expect.stringMatching(/^Data:.*Endpoint/),
      });
      expect(settings['aws:elasticbeanstalk:application:environment/DB_PORT']).toBeDefined();
      expect(settings['aws:elasticbeanstalk:application:environment/DB_SECRET_ARN']).toEqual({
        'Fn::ImportValue': expect.stringMatching(/^Data:.*Secret/),
      });
      expect(settings['aws:elasticbeanstalk:application:environmentsecrets/DB_SECRET']).toEqual(
        settings['aws:elasticbeanstalk:application:environment/DB_SECRET_ARN'],
      );
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager/);
  });

  test('an adopted database without a secret gives its settings but no secret and no grant', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const dbSg = new ec2.SecurityGroup(stack, 'DbSg', { vpc, allowAllOutbound: false });
    const database = DetachableDatabase.fromExisting(stack, 'Legacy', {
      instanceIdentifier: 'legacy-db',
      endpointAddress: 'legacy-db.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [dbSg],
    });
    const { settings, template } = (() => {
      const application = new BeanstalkApplication(stack, 'App');
      const env = new BeanstalkEnvironment(stack, 'Env', {
        application,
        vpc,
        database,
        platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      });
      const t = Template.fromStack(stack);
      return { settings: settingsOfEnv(t, stack, env), template: t };
    })();
    expect(settings['aws:elasticbeanstalk:application:environment/DB_HOST']).toBe(
      'legacy-db.abc.eu-west-1.rds.amazonaws.com',
    );
    expect(settings['aws:elasticbeanstalk:application:environmentsecrets/DB_SECRET']).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/secretsmanager:GetSecretValue/);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3306,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbSg'), 'GroupId'] },
    });
  });

  test('the instance roles may read the secret', () => {
    const { template } = withDatabase();
    template.resourcePropertiesCountIs(
      'AWS::IAM::Policy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: { 'Fn::ImportValue': Match.stringLikeRegexp('^Data:.*Secret') },
            }),
          ]),
        },
        Roles: [{ Ref: Match.stringLikeRegexp('InstanceRole') }],
      },
      2,
    );
  });
});

describe('validation', () => {
  const stackFor = () => new Stack(new App(), 'Stack', { env: ENV });
  const pairProps = (extra: Partial<BeanstalkEnvironmentPairProps> = {}): BeanstalkEnvironmentPairProps => ({
    platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
    blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
    green: {},
    live: Slot.BLUE,
    ...extra,
  });

  test('min > max instances', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ preset: EnvironmentPreset.highAvailability({ minInstances: 5, maxInstances: 2 }) }),
        ),
    ).toThrow(/preset minInstances \(5\) must be <= preset maxInstances \(2\)/);
  });

  test('fewer than 2 AZs for the highAvailability preset', () => {
    const stack = stackFor();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 });
    expect(() => new BeanstalkEnvironmentPair(stack, 'Pair', pairProps({ vpc }))).toThrow(
      /vpc must have private subnets with egress in at least 2 Availability Zones for the highAvailability preset \(the instances run there\), received '1 zone\(s\)'/,
    );
  });

  test('traffic splitting outside 1-100%', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.trafficSplitting(0) }),
        ),
    ).toThrow(/deploymentPolicy trafficSplitting percent must be a whole number from 1 to 100, received 0/);
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.trafficSplitting(101) }),
        ),
    ).toThrow(/received 101/);
  });

  test('traffic splitting on a single instance', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({
            preset: EnvironmentPreset.singleInstance(),
            deploymentPolicy: DeploymentPolicy.trafficSplitting(10),
          }),
        ),
    ).toThrow(
      /deploymentPolicy DeploymentPolicy.trafficSplitting\(\) needs a load balancer.*received 'singleInstance preset, WebServer tier'/,
    );
  });

  test('traffic splitting evaluation time out of range', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.trafficSplitting(10, Duration.minutes(1)) }),
        ),
    ).toThrow(
      /deploymentPolicy trafficSplitting evaluationTime must be a whole number of minutes from 3 to 600, received '1 minute'/,
    );
  });

  test('batch sizes out of range (percentage 1-100, fixed at least 1)', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.rolling(BatchSize.percentage(120)) }),
        ),
    ).toThrow(/deploymentPolicy Rolling batch percentage must be a whole number from 1 to 100, received 120/);
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({ deploymentPolicy: DeploymentPolicy.rollingWithAdditionalBatch(BatchSize.instances(0)) }),
        ),
    ).toThrow(
      /deploymentPolicy RollingWithAdditionalBatch fixed batch size must be a whole number from 1 to 10000, received 0/,
    );
  });

  test('a worker tier with a certificate', () => {
    const stack = stackFor();
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stack,
          'Pair',
          pairProps({
            tier: EnvironmentTier.WORKER,
            certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
          }),
        ),
    ).toThrow(
      /certificate is only for the web server tier \(a worker has no load balancer\), received 'a certificate with EnvironmentTier.WORKER'/,
    );
  });

  test('a worker tier with the default CNAME swap cutover (workers have no CNAME)', () => {
    const stack = stackFor();
    expect(() => new BeanstalkEnvironmentPair(stack, 'Pair', pairProps({ tier: EnvironmentTier.WORKER }))).toThrow(
      /tier must be EnvironmentTier.WEB_SERVER for the cutover Cutover.cnameSwap\(\): a worker environment has no CNAME to swap.*received 'EnvironmentTier.WORKER with Cutover.cnameSwap\(\)'/,
    );
  });

  test('a worker tier with a Route 53 cutover', () => {
    const stack = stackFor();
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z1',
      zoneName: 'example.com',
    });
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stack,
          'Pair',
          pairProps({ tier: EnvironmentTier.WORKER, cutover: Cutover.route53({ zone, recordName: 'jobs' }) }),
        ),
    ).toThrow(
      /tier must be EnvironmentTier.WEB_SERVER for the cutover Cutover.route53\(\).*received 'EnvironmentTier.WORKER with Cutover.route53\(\)'/,
    );
  });

  test('live naming a slot with no source bundle', () => {
    expect(() => new BeanstalkEnvironmentPair(stackFor(), 'Pair', pairProps({ live: Slot.GREEN }))).toThrow(
      /live must name a slot with a sourceBundle .*give green.sourceBundle or make the other slot live, received 'Slot.GREEN with no green.sourceBundle'/,
    );
  });

  test('a certificate on a single instance', () => {
    const stack = stackFor();
    expect(
      () =>
        new BeanstalkEnvironment(stack, 'Env', {
          application: new BeanstalkApplication(stack, 'App'),
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
          preset: EnvironmentPreset.singleInstance(),
          certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
        }),
    ).toThrow(/BeanstalkEnvironment props:\n.*certificate needs a load balancer to terminate HTTPS/);
  });

  test('environment names, log retention and the maintenance window are checked', () => {
    const stack = stackFor();
    expect(
      () =>
        new BeanstalkEnvironment(stack, 'Env', {
          application: new BeanstalkApplication(stack, 'App'),
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
          environmentName: 'x_',
          logRetention: 2192,
          maintenanceWindowStart: 'Sunday 3am',
        }),
    ).toThrow(
      /logRetention must be one of[^\n]*received '2192 days'\n.*maintenanceWindowStart must be 'Day:HH:MM'[^\n]*received 'Sunday 3am'\n.*environmentName must be 4 to 40 letters[^\n]*received 'x_'/s,
    );
  });

  test('reports every problem at once', () => {
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({
            live: Slot.GREEN,
            preset: EnvironmentPreset.highAvailability({ minInstances: 3, maxInstances: 1 }),
            deploymentPolicy: DeploymentPolicy.trafficSplitting(200),
          }),
        ),
    ).toThrow(
      /Invalid BeanstalkEnvironmentPair props:\n  - preset minInstances.*\n  - deploymentPolicy trafficSplitting percent.*\n  - live must name/,
    );
  });

  test('skips unresolved tokens', () => {
    const token = Lazy.number({ produce: () => 3 });
    expect(
      () =>
        new BeanstalkEnvironmentPair(
          stackFor(),
          'Pair',
          pairProps({
            preset: EnvironmentPreset.highAvailability({ minInstances: token, maxInstances: 2 }),
            deploymentPolicy: DeploymentPolicy.trafficSplitting(Lazy.number({ produce: () => 500 })),
            blue: {
              sourceBundle: SourceBundle.fromAsset(BUNDLE),
              environmentName: Lazy.string({ produce: () => 'x' }),
            },
          }),
        ),
    ).not.toThrow();
  });
});

describe('checks: zero cdk-nag and strict CloudFormation Validate findings', () => {
  test('dev: a single-instance environment', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Dev', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    new BeanstalkEnvironment(stack, 'Dev', {
      application,
      platform: BeanstalkPlatform.latest(BRANCH),
      preset: EnvironmentPreset.singleInstance(),
      sourceBundle: SourceBundle.fromAsset(BUNDLE),
      environmentVariables: { STAGE: 'dev' },
    });
    expectNoFindings(app);
  });

  test('prod: a high-availability blue/green pair with HTTPS, Route 53 and a database in its own stack', () => {
    const app = newCheckedApp({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
    const data = new Stack(app, 'Data', { env: ENV });
    const vpc = new ec2.Vpc(data, 'Vpc', {
      maxAzs: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: { All: {} },
    });
    const database = new DetachableDatabase(data, 'Db', { vpc });
    const prod = new Stack(app, 'Prod', { env: ENV });
    const zone = route53.HostedZone.fromHostedZoneAttributes(prod, 'Zone', {
      hostedZoneId: 'Z1',
      zoneName: 'example.com',
    });
    new BeanstalkEnvironmentPair(prod, 'Shop', {
      vpc,
      database,
      platform: BeanstalkPlatform.latest(BRANCH),
      preset: EnvironmentPreset.highAvailability({ minInstances: 2, maxInstances: 6 }),
      deploymentPolicy: DeploymentPolicy.trafficSplitting(10),
      certificate: acm.Certificate.fromCertificateArn(prod, 'Cert', CERT_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      live: Slot.GREEN,
      cutover: Cutover.route53({ zone, recordName: 'shop' }),
    });
    expectNoFindings(app);
  });

  test('prod: a high-availability pair with the CNAME swap and a new VPC', () => {
    const app = newCheckedApp();
    const prod = new Stack(app, 'Prod', { env: ENV });
    new BeanstalkEnvironmentPair(prod, 'Shop', {
      platform: BeanstalkPlatform.latest(BRANCH),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
    });
    expectNoFindings(app);
  });

  test('worker: a high-availability worker environment', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Worker', { env: ENV });
    const application = new BeanstalkApplication(stack, 'App');
    new BeanstalkEnvironment(stack, 'Jobs', {
      application,
      tier: EnvironmentTier.WORKER,
      platform: BeanstalkPlatform.latest(BRANCH),
      deploymentPolicy: DeploymentPolicy.rolling(BatchSize.instances(1)),
      sourceBundle: SourceBundle.fromAsset(BUNDLE),
    });
    expectNoFindings(app);
  });
});

describe('snapshots', () => {
  test('dev single-instance environment', () => {
    const { template } = buildEnvironment({
      preset: EnvironmentPreset.singleInstance(),
      platform: BeanstalkPlatform.latest(BRANCH),
    });
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('prod blue/green pair', () => {
    const { template } = buildPair();
    expect(template.toJSON()).toMatchSnapshot();
  });
});
