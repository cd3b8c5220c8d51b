import { App, CfnResource, Lazy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ElasticIpFailoverInstance,
  ElasticIpFailoverInstanceProps,
  FailoverStrategy,
  StandbyInstanceOptions,
  StandbyState,
} from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

interface Built {
  readonly stack: Stack;
  readonly server: ElasticIpFailoverInstance;
  readonly template: Template;
}

function build(props: Partial<ElasticIpFailoverInstanceProps> = {}, stack?: Stack): Built {
  const s = stack ?? new Stack(new App(), 'Stack', { env: ENV });
  const server = new ElasticIpFailoverInstance(s, 'Server', { vpc: publicOnlyVpc(s), ...props });
  return { stack: s, server, template: Template.fromStack(s) };
}

function withStandby(options: StandbyInstanceOptions): Built {
  return build({ strategy: FailoverStrategy.standbyInstance(options) });
}

function ref(stack: Stack, construct: { logicalId: string }): { Ref: string } {
  return { Ref: stack.resolve(construct.logicalId) };
}

function userDataWith(command: string): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(command);
  return userData;
}

describe('ElasticIpFailoverInstance instances', () => {
  test('runs a primary and a standby instance in public subnets of two different AZs', () => {
    const { stack, server, template } = build();
    template.resourceCountIs('AWS::EC2::Instance', 2);
    const subnets = Object.values(template.findResources('AWS::EC2::Instance')).map(
      (r) => r.Properties.NetworkInterfaces[0].SubnetId.Ref,
    );
    const vpc = stack.node.findChild('Vpc') as ec2.Vpc;
    const publicSubnetIds = vpc.publicSubnets.map((s) => stack.resolve(s.subnetId).Ref);
    expect(new Set(subnets)).toEqual(new Set(publicSubnetIds));
    expect(new Set(vpc.publicSubnets.map((s) => s.availabilityZone)).size).toBe(2);
    expect(server.primaryInstance).toBeDefined();
    expect(server.standbyInstance).toBeDefined();
  });

  test('both instances come from the same launch template and carry their role tag and the pair tag', () => {
    const { stack, server, template } = build();
    const launchTemplate = {
      LaunchTemplateId: {
        Ref: stack.resolve((server.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).logicalId),
      },
      Version: '1',
    };
    const pairTag = {
      Key: 'cdk-ha-patterns:failover-pair',
      Value: { 'Fn::GetAtt': [stack.resolve(server.elasticIp.logicalId), 'AllocationId'] },
    };
    for (const role of ['primary', 'standby']) {
      template.hasResourceProperties('AWS::EC2::Instance', {
        LaunchTemplate: launchTemplate,
        Monitoring: true,
        // Created unprotected: the placement switches termination protection on (below), so a
        // deployment that fails before reaching it can still delete an instance it created.
        DisableApiTermination: Match.absent(),
        Tags: Match.arrayWith([pairTag, { Key: 'FailoverRole', Value: role }]),
      });
    }
    template.hasResourceProperties('Custom::ElasticIpPlacement', { TerminationProtection: 'true' });
  });

  test('each instance pins a literal launch template version, the first by default, never LatestVersionNumber', () => {
    const { stack, server, template } = build();
    expect(stack.resolve(server.primaryInstance!.launchTemplate)).toMatchObject({ version: '1' });
    expect(stack.resolve(server.standbyInstance!.launchTemplate)).toMatchObject({ version: '1' });
    const versions = Object.values(template.findResources('AWS::EC2::Instance')).map(
      (r) => r.Properties.LaunchTemplate.Version,
    );
    expect(versions).toEqual(['1', '1']);
    expect(JSON.stringify(template.findResources('AWS::EC2::Instance'))).not.toMatch(
      /LatestVersionNumber|DefaultVersionNumber/,
    );
  });

  test('primaryLaunchTemplateVersion and standbyLaunchTemplateVersion pin each instance to its own version', () => {
    const { stack, server } = withStandby({ primaryLaunchTemplateVersion: '3', standbyLaunchTemplateVersion: '4' });
    const versionOf = (instance: ec2.CfnInstance) =>
      Template.fromStack(stack).toJSON().Resources[stack.resolve(instance.logicalId)].Properties.LaunchTemplate.Version;
    expect(versionOf(server.primaryInstance!)).toBe('3');
    expect(versionOf(server.standbyInstance!)).toBe('4');
  });

  test.each<[string, Partial<ElasticIpFailoverInstanceProps>]>([
    ['a new image', { machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0bbbbbbbbbbbbbbb2' }) }],
    ['new user data', { userData: userDataWith('echo v2') }],
    ['another instance type', { instanceType: new ec2.InstanceType('t3.small') }],
  ])('%s changes the launch template only: neither instance changes, nor reads a version that changes', (_, change) => {
    const base: Partial<ElasticIpFailoverInstanceProps> = {
      machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0aaaaaaaaaaaaaaa1' }),
      userData: userDataWith('echo v1'),
    };
    const before = build(base);
    const after = build({ ...base, ...change });
    expect(after.template.findResources('AWS::EC2::LaunchTemplate')).not.toEqual(
      before.template.findResources('AWS::EC2::LaunchTemplate'),
    );
    expect(after.template.findResources('AWS::EC2::Instance')).toEqual(
      before.template.findResources('AWS::EC2::Instance'),
    );
    // The template text alone would not show it: an update of the launch template changes its
    // LatestVersionNumber (and DefaultVersionNumber) at deployment. The instances read only its id,
    // which an update keeps.
    const launchTemplate = after.stack.resolve(
      (after.server.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).logicalId,
    );
    const instances = JSON.stringify(after.template.findResources('AWS::EC2::Instance'));
    expect(instances).not.toContain(JSON.stringify({ 'Fn::GetAtt': [launchTemplate, 'LatestVersionNumber'] }));
    expect(instances).not.toContain(JSON.stringify({ 'Fn::GetAtt': [launchTemplate, 'DefaultVersionNumber'] }));
    // LaunchTemplateId: { Ref }, once per instance.
    expect(instances.match(new RegExp(`"${launchTemplate}"`, 'g'))).toHaveLength(2);
  });

  test('launch template: AL2023, t3.micro, IMDSv2 required, encrypted gp3 root, SSM role, no key pair', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: { Ref: Match.stringLikeRegexp('al2023') },
        InstanceType: 't3.micro',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8 } }],
        IamInstanceProfile: Match.anyValue(),
        KeyName: Match.absent(),
      }),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('uses the given instance type, image and user data', () => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands('echo hello');
    const { template } = build({
      instanceType: new ec2.InstanceType('t4g.small'),
      machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-12345678' }),
      userData,
      rootVolumeSizeGiB: 30,
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: 'ami-12345678',
        InstanceType: 't4g.small',
        UserData: { 'Fn::Base64': Match.stringLikeRegexp('echo hello') },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: 30 }) })],
      }),
    });
  });

  test('one security group, nothing open by default, exposed through connections', () => {
    const { stack, server, template } = build();
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
    server.connections.allowFromAnyIpv4(ec2.Port.tcp(80));
    expect(stack.resolve(server.connections.securityGroups[0].securityGroupId)).toEqual(
      stack.resolve(server.securityGroup.securityGroupId),
    );
    for (const instance of Object.values(Template.fromStack(stack).findResources('AWS::EC2::Instance'))) {
      expect(instance.Properties.NetworkInterfaces[0].GroupSet).toEqual([
        stack.resolve(server.securityGroup.securityGroupId),
      ]);
    }
  });

  test('standbyInstance({ terminationProtection: false }) turns termination protection off', () => {
    const { template } = withStandby({ terminationProtection: false });
    template.resourcePropertiesCountIs('AWS::EC2::Instance', { DisableApiTermination: Match.absent() }, 2);
    // The placement then never turns it on for an instance that joins the pair.
    template.hasResourceProperties('Custom::ElasticIpPlacement', { TerminationProtection: 'false' });
  });

  test('the deprecated construct-level terminationProtection gives the same template, with a deprecation warning', () => {
    const viaStrategy = withStandby({ terminationProtection: false, cpuThreshold: 90 });
    const { stack } = build({
      terminationProtection: false,
      strategy: FailoverStrategy.standbyInstance({ cpuThreshold: 90 }),
    });
    expect(Template.fromStack(stack).toJSON()).toEqual(viaStrategy.template.toJSON());
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Server',
      Match.stringLikeRegexp(
        'ElasticIpFailoverInstanceProps.terminationProtection is deprecated.*FailoverStrategy.standbyInstance\\(\\{ terminationProtection \\}\\)',
      ),
    );
    Annotations.fromStack(viaStrategy.stack).hasNoWarning('*', Match.anyValue());
  });

  test('refuses terminationProtection given both on the construct and in the strategy', () => {
    expect(() =>
      build({
        terminationProtection: true,
        strategy: FailoverStrategy.standbyInstance({ terminationProtection: true }),
      }),
    ).toThrow(
      /terminationProtection is deprecated and given twice: keep FailoverStrategy.standbyInstance\(\{ terminationProtection \}\) only, received true/,
    );
  });
});

describe('ElasticIpFailoverInstance Elastic IP', () => {
  test('one Elastic IP, placed by the failover function (Custom::ElasticIpPlacement), not pinned by an association', () => {
    const { stack, server, template } = build();
    template.resourceCountIs('AWS::EC2::EIP', 1);
    template.hasResourceProperties('AWS::EC2::EIP', { Domain: 'vpc' });
    template.resourceCountIs('AWS::EC2::EIPAssociation', 0);
    const placements = template.findResources('Custom::ElasticIpPlacement');
    expect(Object.keys(placements)).toHaveLength(1);
    const [placement] = Object.values(placements);
    expect(placement.Properties).toEqual({
      ServiceToken: {
        'Fn::GetAtt': [stack.resolve((server.failoverFunction!.node.defaultChild as CfnResource).logicalId), 'Arn'],
      },
      ServiceTimeout: '1800',
      AllocationId: { 'Fn::GetAtt': [stack.resolve(server.elasticIp.logicalId), 'AllocationId'] },
      PrimaryInstanceId: ref(stack, server.primaryInstance!),
      StandbyInstanceId: ref(stack, server.standbyInstance!),
      StandbyStoppedAfterCreation: 'false',
      TerminationProtection: 'true',
    });
    // After the primary subnet reaches the internet gateway (an Elastic IP needs it), as the association was.
    const vpc = stack.node.findChild('Vpc') as ec2.Vpc;
    const primarySubnetRoute = stack.resolve(
      (vpc.publicSubnets[0].node.findChild('DefaultRoute') as CfnResource).logicalId,
    );
    expect(placement.DependsOn).toEqual(expect.arrayContaining([primarySubnetRoute]));
    expect(placement.DeletionPolicy).toBe('Delete');
  });

  test('the failover function serves the placement: it is the one function of the pair', () => {
    const { template } = build();
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('exposes the public IP and the allocation id', () => {
    const { stack, server } = build();
    const eip = stack.resolve(server.elasticIp.logicalId);
    expect(stack.resolve(server.publicIp)).toEqual({ 'Fn::GetAtt': [eip, 'PublicIp'] });
    expect(stack.resolve(server.allocationId)).toEqual({ 'Fn::GetAtt': [eip, 'AllocationId'] });
  });
});

describe('ElasticIpFailoverInstance detection', () => {
  test('an EventBridge rule on state changes of both instances invokes the failover function', () => {
    const { stack, server, template } = build();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: {
          'instance-id': [ref(stack, server.primaryInstance!), ref(stack, server.standbyInstance!)],
          state: ['stopping', 'stopped', 'shutting-down', 'terminated'],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailoverFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailoverDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
  });

  test.each([
    ['StatusCheckFailed_Instance', 'Maximum', 1, 2],
    ['StatusCheckFailed_System', 'Maximum', 1, 2],
    ['CPUUtilization', 'Average', 100, 5],
  ])('alarm on %s for both instances invokes the failover function', (metricName, statistic, threshold, periods) => {
    const { stack, server, template } = build();
    for (const instance of [server.primaryInstance!, server.standbyInstance!]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/EC2',
        MetricName: metricName,
        Dimensions: [{ Name: 'InstanceId', Value: ref(stack, instance) }],
        Statistic: statistic,
        Period: 60,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        AlarmActions: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('FailoverFunction'), 'Arn'] }],
      });
    }
  });

  test('each alarm may invoke the function, and only that alarm', () => {
    const { template } = build();
    const alarms = Object.keys(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/EC2' } }),
    );
    expect(alarms).toHaveLength(6);
    for (const alarm of alarms) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [alarm, 'Arn'] },
      });
    }
  });

  test('cpuThreshold and cpuEvaluationPeriods shape the CPU alarm', () => {
    const { template } = withStandby({ cpuThreshold: 90, cpuEvaluationPeriods: 3 });
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'CPUUtilization', Threshold: 90, EvaluationPeriods: 3 },
      2,
    );
  });

  test('cpuAlarm: false leaves only the status-check alarms', () => {
    const { server, template } = withStandby({ cpuAlarm: false });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'AWS/EC2' }, 4);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'CPUUtilization' }, 0);
    expect(server.alarms).toHaveLength(4);
  });
});

describe('ElasticIpFailoverInstance failover function', () => {
  test('reserved concurrency 1, a dead-letter queue, bounded retries and timeout', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 1,
      Timeout: 600,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailoverDeadLetterQueue'), 'Arn'] } },
      Environment: {
        Variables: Match.objectLike({
          ALLOCATION_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('ElasticIp'), 'AllocationId'] },
          INSTANCE_IDS: Match.anyValue(),
          TOPIC_ARN: Match.anyValue(),
          ROLE_TAG_KEY: 'FailoverRole',
          WAIT_TIMEOUT_SECONDS: '480',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  test('the dead-letter queue is encrypted and accepts only TLS', () => {
    const { template } = build();
    // With the stack's handler key (SSE-KMS), which EventBridge may use too: it sends undelivered events there.
    const keys = template.findResources('AWS::KMS::Key', {
      Properties: { Description: Match.stringLikeRegexp('dead-letter queues') },
    });
    expect(Object.keys(keys)).toHaveLength(1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Object.keys(keys)[0], 'Arn'] },
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('IAM: changes scoped to instances tagged as this pair and to this Elastic IP allocation; only Describe on *', () => {
    const { stack, server, template } = build();
    const allocationId = { 'Fn::GetAtt': [stack.resolve(server.elasticIp.logicalId), 'AllocationId'] };
    const eip = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:elastic-ip/', allocationId]],
    };
    const anyInstance = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:instance/*']],
    };
    const ofThisPair = { StringEquals: { 'aws:ResourceTag/cdk-ha-patterns:failover-pair': allocationId } };
    const policies = template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('FailoverRole') }] },
    });
    const statements: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] = Object.values(
      policies,
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const byAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));

    expect(byAction('ec2:AssociateAddress')).toEqual([
      { Sid: 'MoveThisElasticIp', Effect: 'Allow', Action: 'ec2:AssociateAddress', Resource: eip },
      {
        Sid: 'AssociateWithInstancesOfThisPair',
        Effect: 'Allow',
        Action: 'ec2:AssociateAddress',
        Resource: anyInstance,
        Condition: ofThisPair,
      },
    ]);
    expect(byAction('ec2:StartInstances')).toEqual([
      {
        Sid: 'StartInstancesOfThisPair',
        Effect: 'Allow',
        Action: 'ec2:StartInstances',
        Resource: anyInstance,
        Condition: ofThisPair,
      },
    ]);
    expect(byAction('ec2:CreateTags')).toEqual([
      {
        Sid: 'SwapRoleTagsOfInstancesOfThisPair',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: anyInstance,
        Condition: { ...ofThisPair, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['FailoverRole'] } },
      },
    ]);
    expect(byAction('ec2:ModifyInstanceAttribute')).toEqual([
      {
        Sid: 'ReleaseTerminationProtectionOfInstancesOfThisPair',
        Effect: 'Allow',
        Action: 'ec2:ModifyInstanceAttribute',
        Resource: anyInstance,
        Condition: ofThisPair,
      },
    ]);
    // The function can set its role tag only: never the pair tag its permissions depend on.
    expect(byAction('ec2:DeleteTags')).toEqual([]);
    const onStar = statements.filter((s) => s.Resource === '*');
    expect(onStar.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'ec2:DescribeAddresses',
      'ec2:DescribeInstanceStatus',
      'ec2:DescribeInstances',
    ]);
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain('ec2:StopInstances');
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain('ec2:TerminateInstances');
  });

  test('metricFailoverDuration and metricTimeToRecovery read what the function records', () => {
    const { stack, server, template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRIC_NAMESPACE: 'CdkHaPatterns/ElasticIpFailover' }) },
    });
    for (const [metric, name] of [
      [server.metricFailoverDuration(), 'FailoverDuration'],
      [server.metricTimeToRecovery({ statistic: 'p90' }), 'TimeToRecovery'],
    ] as const) {
      expect(metric.namespace).toBe('CdkHaPatterns/ElasticIpFailover');
      expect(metric.metricName).toBe(name);
      expect(stack.resolve(metric.dimensions)).toEqual({ AllocationId: stack.resolve(server.allocationId) });
    }
    expect(server.metricTimeToRecovery({ statistic: 'p90' }).statistic).toBe('p90');
  });

  test('creates an encrypted, TLS-only topic and lets the function publish to it', () => {
    const { stack, server, template } = build();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: stack.resolve(server.notificationTopic.topicArn) }),
        ]),
      },
    });
  });

  test('uses a given topic and creates none', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const topic = new sns.Topic(stack, 'Ops', { enforceSSL: true });
    const { server, template } = build({ notificationTopic: topic }, stack);
    expect(server.notificationTopic).toBe(topic);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    // No topic key: the only keys are the stack's logs key and handler key.
    expect(
      Object.values(template.findResources('AWS::KMS::Key'))
        .map((k) => k.Properties.Description)
        .sort(),
    ).toEqual([
      'Encrypts the dead-letter queues and the environment variables of the cdk-ha-patterns handlers in this stack',
      'Encrypts the log groups of the cdk-ha-patterns constructs in this stack',
    ]);
  });
});

describe('ElasticIpFailoverInstance stopped standby', () => {
  /** The statements of the failover role's managed policies. */
  function failoverStatements(template: Template): any[] {
    return Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => /FailoverRole/.test(r.Ref)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  }

  test('the placement, served by the failover function, stops the standby: no AwsCustomResource, no provider function, no inline policy', () => {
    const { stack, server, template } = withStandby({ standbyState: StandbyState.STOPPED });
    template.resourceCountIs('Custom::StopStandbyInstance', 0);
    // The failover function is the only function: no singleton provider of aws-cdk-lib.
    template.resourceCountIs('AWS::Lambda::Function', 1);
    // The only inline policy is the test VPC's flow-log role's.
    expect(Object.keys(template.findResources('AWS::IAM::Policy'))).toEqual([
      expect.stringMatching(/^VpcAllIAMRoleDefaultPolicy/),
    ]);
    expect(stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287')).toBeUndefined();
    expect(server.node.tryFindChild('StopStandby')).toBeUndefined();
    // The placement knows the standby is kept stopped: it never gives it the Elastic IP, and stops it.
    template.hasResourceProperties('Custom::ElasticIpPlacement', {
      ServiceToken: {
        'Fn::GetAtt': [stack.resolve((server.failoverFunction!.node.defaultChild as CfnResource).logicalId), 'Arn'],
      },
      StandbyStoppedAfterCreation: 'true',
    });
  });

  test('the failover function may stop only an instance of this pair that is tagged standby', () => {
    const { stack, server, template } = withStandby({ standbyState: StandbyState.STOPPED });
    const stops = failoverStatements(template).filter((st) => JSON.stringify(st.Action).includes('ec2:StopInstances'));
    expect(stops).toEqual([
      {
        Sid: 'StopTheStandbyOfThisPair',
        Effect: 'Allow',
        Action: 'ec2:StopInstances',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:instance/*']] },
        Condition: {
          StringEquals: {
            'aws:ResourceTag/cdk-ha-patterns:failover-pair': {
              'Fn::GetAtt': [stack.resolve(server.elasticIp.logicalId), 'AllocationId'],
            },
            'aws:ResourceTag/FailoverRole': 'standby',
          },
        },
      },
    ]);
  });

  test('a running standby (the default) is never stopped: no stop permission', () => {
    const { template } = build();
    template.resourceCountIs('Custom::StopStandbyInstance', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('Custom::ElasticIpPlacement', { StandbyStoppedAfterCreation: 'false' });
    expect(JSON.stringify(failoverStatements(template))).not.toContain('ec2:StopInstances');
  });
});

describe('ElasticIpFailoverInstance with a customer managed EBS key (ebsEncryptionKey)', () => {
  test('the root volumes use it, and the failover function may use it to start a stopped standby', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'EbsDefaultKey', { enableKeyRotation: true });
    const { template } = build(
      { ebsEncryptionKey: key, strategy: FailoverStrategy.standbyInstance({ standbyState: StandbyState.STOPPED }) },
      stack,
    );
    const keyArn = stack.resolve(key.keyArn);
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, KmsKeyId: keyArn }) })],
      }),
    });
    const failoverPolicies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
      p.Properties.Roles.some((r: { Ref: string }) => /FailoverRole/.test(r.Ref)),
    );
    const onKey = failoverPolicies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: { Resource: unknown }) => JSON.stringify(st.Resource) === JSON.stringify(keyArn));
    expect(onKey).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        Resource: keyArn,
      },
      {
        Sid: 'LetEbsUseTheVolumeKey',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: keyArn,
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ]);
  });

  test('cdk-nag: zero findings with the key', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'EbsDefaultKey', { enableKeyRotation: true });
    new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ebsEncryptionKey: key });
    expectNoFindings(app);
  });
});

describe('ElasticIpFailoverInstance validation', () => {
  test('refuses a VPC with public subnets in fewer than 2 AZs, saying the standby runs in the other zone', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = publicOnlyVpc(stack, 1);
    expect(() => new ElasticIpFailoverInstance(stack, 'Server', { vpc })).toThrow(
      "vpc must have public subnets in at least 2 Availability Zones (FailoverStrategy.standbyInstance() runs the primary and the standby in two zones behind one Elastic IP), received '1 zone(s) with public subnets'",
    );
  });

  test('refuses a one-zone VPC for the Auto Scaling strategy, saying what that strategy needs the second zone for', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = publicOnlyVpc(stack, 1);
    expect(
      () => new ElasticIpFailoverInstance(stack, 'Server', { vpc, strategy: FailoverStrategy.autoScalingGroup() }),
    ).toThrow(
      "vpc must have public subnets in at least 2 Availability Zones (FailoverStrategy.autoScalingGroup() runs one instance and launches its replacement in another zone when its zone is lost), received '1 zone(s) with public subnets'",
    );
  });

  test.each([
    [0, /cpuThreshold must be from 1 to 100, received 0/],
    [101, /cpuThreshold must be from 1 to 100, received 101/],
  ])('refuses cpuThreshold %d', (cpuThreshold, message) => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = publicOnlyVpc(stack);
    expect(
      () =>
        new ElasticIpFailoverInstance(stack, 'Server', {
          vpc,
          strategy: FailoverStrategy.standbyInstance({ cpuThreshold }),
        }),
    ).toThrow(message);
  });

  test('refuses dataVolume with the standby strategy, naming dataVolume', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = publicOnlyVpc(stack);
    expect(
      () => new ElasticIpFailoverInstance(stack, 'Server', { vpc, dataVolume: { size: Size.gibibytes(20) } }),
    ).toThrow(
      /dataVolume is only supported with FailoverStrategy.autoScalingGroup\(\{ dataVolume \}\).*received '\{ size: 20 GiB \}'/,
    );
  });

  test.each([
    ['primaryLaunchTemplateVersion', '$Latest'],
    ['primaryLaunchTemplateVersion', '0'],
    ['standbyLaunchTemplateVersion', '$Default'],
    ['standbyLaunchTemplateVersion', '2.1'],
    ['standbyLaunchTemplateVersion', ''],
    ['primaryLaunchTemplateVersion', '02'],
  ])('refuses %s %j, naming the prop, what is allowed and the value', (prop, version) => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = publicOnlyVpc(stack);
    expect(
      () =>
        new ElasticIpFailoverInstance(stack, 'Server', {
          vpc,
          strategy: FailoverStrategy.standbyInstance({ [prop]: version }),
        }),
    ).toThrow(
      `${prop} must be a launch template version number, a whole number from 1 written as a string such as '2' (not $Latest or $Default: each instance pins the version it runs), received '${version}'`,
    );
  });

  test('accepts launch template versions written as whole numbers, and tokens (known at deployment)', () => {
    expect(() => withStandby({ primaryLaunchTemplateVersion: '12', standbyLaunchTemplateVersion: '9' })).not.toThrow();
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const later = Lazy.string({ produce: () => '5' });
    const { template } = build(
      { strategy: FailoverStrategy.standbyInstance({ primaryLaunchTemplateVersion: later }) },
      stack,
    );
    template.hasResourceProperties('AWS::EC2::Instance', { LaunchTemplate: Match.objectLike({ Version: '5' }) });
  });

  test('refuses cpuThreshold with cpuAlarm off, and reports every problem at once', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = publicOnlyVpc(stack, 1);
    expect(
      () =>
        new ElasticIpFailoverInstance(stack, 'Server', {
          vpc,
          strategy: FailoverStrategy.standbyInstance({ cpuAlarm: false, cpuThreshold: 80 }),
        }),
    ).toThrow(/vpc must have[\s\S]*cpuThreshold is only used when cpuAlarm is true/);
  });

  test('skips unresolved tokens and works in an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Stack');
    const later = Lazy.number({ produce: () => 95 });
    expect(() =>
      build(
        { strategy: FailoverStrategy.standbyInstance({ cpuThreshold: later, cpuEvaluationPeriods: later }) },
        stack,
      ),
    ).not.toThrow();
  });
});

describe('ElasticIpFailoverInstance checks', () => {
  test('default configuration: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build({}, new Stack(app, 'Eip', { env: ENV }));
    expectNoFindings(app);
  });

  test('stopped standby with termination protection and pinned versions: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build(
      {
        strategy: FailoverStrategy.standbyInstance({
          standbyState: StandbyState.STOPPED,
          primaryLaunchTemplateVersion: '2',
          standbyLaunchTemplateVersion: '3',
        }),
      },
      new Stack(app, 'Eip', { env: ENV }),
    );
    expectNoFindings(app);
  });

  test('stopped standby without termination protection: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build(
      {
        strategy: FailoverStrategy.standbyInstance({
          standbyState: StandbyState.STOPPED,
          cpuThreshold: 90,
          terminationProtection: false,
        }),
      },
      new Stack(app, 'Eip', { env: ENV }),
    );
    expectNoFindings(app);
  });

  test('snapshot', () => {
    const { template } = build();
    expect(template.toJSON()).toMatchSnapshot();
  });
});
