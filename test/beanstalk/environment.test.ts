import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildEnvironment, CERT_ARN, ENV, environments, idOf, PLATFORM_ARN, settingsOf } from './support';
import {
  BatchSize,
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkPlatform,
  DeploymentPolicy,
  EnvironmentPreset,
  EnvironmentTier,
  PlatformUpdateLevel,
  SourceBundle,
} from '../../src/beanstalk';

// BeanstalkEnvironment: the option settings, the presets, the deployment policies, the worker tier,
// the instance role and the source bundle.

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
    expect(env.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^EnvInstanceRolePolicy/)]));
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
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
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
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
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
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
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
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
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
