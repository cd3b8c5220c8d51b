import { App, Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  DataVolumeOptions,
  ElasticIpFailoverInstance,
  ElasticIpFailoverInstanceProps,
  FailoverStrategy,
} from '../../src';
import { MOUNT_DATA_VOLUME_SCRIPT } from '../../src/eip-failover/mount-data-volume-script';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const GROUP_NAME = 'Stack-Stack-Server-0C1E77D5';

interface Built {
  readonly stack: Stack;
  readonly server: ElasticIpFailoverInstance;
  readonly template: Template;
}

/** The construct's props, with the group's data volume beside them (given to the strategy by `build`). */
interface GroupProps extends Omit<Partial<ElasticIpFailoverInstanceProps>, 'dataVolume'> {
  readonly dataVolume?: DataVolumeOptions;
}

function build(props: GroupProps = {}, stack?: Stack, zones = 2): Built {
  const s = stack ?? new Stack(new App(), 'Stack', { env: ENV });
  const { dataVolume, ...rest } = props;
  const server = new ElasticIpFailoverInstance(s, 'Server', {
    vpc: publicOnlyVpc(s, zones),
    strategy: FailoverStrategy.autoScalingGroup({ dataVolume }),
    ...rest,
  });
  return { stack: s, server, template: Template.fromStack(s) };
}

function withVolume(dataVolume: Partial<DataVolumeOptions> = {}, props: GroupProps = {}) {
  return build({ dataVolume: { size: Size.gibibytes(20), ...dataVolume }, ...props });
}

interface Statement {
  readonly Sid?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the inline policies attached to roles whose logical id matches `role`. */
function statementsOf(template: Template, role: RegExp): Statement[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => role.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: Statement) => [s.Action].flat();

function arn(resource: string, account = '111111111111') {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:eu-west-1:${account}:${resource}`]] };
}

/** The user data of the launch template as text, with tokens written as <LogicalId>. */
function userDataOf(template: Template): string {
  const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0];
  const ud = lt.Properties.LaunchTemplateData.UserData['Fn::Base64'];
  if (typeof ud === 'string') return ud;
  return (ud['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

describe('autoScalingGroup strategy: group', () => {
  test('min = max = desired = 1, EC2 health checks with a grace period, exposed as autoScalingGroup', () => {
    const { server, template } = build();
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '1',
      DesiredCapacity: '1',
      HealthCheckType: 'EC2',
      HealthCheckGracePeriod: 300,
      AutoScalingGroupName: GROUP_NAME,
    });
    expect(server.autoScalingGroup).toBeDefined();
    expect(server.primaryInstance).toBeUndefined();
    expect(server.standbyInstance).toBeUndefined();
    expect(server.alarms).toEqual([]);
    template.resourceCountIs('AWS::EC2::Instance', 0);
    template.resourceCountIs('AWS::EC2::EIPAssociation', 0);
  });

  test('spreads over the public subnets of every AZ (VPCZoneIdentifier: 3 subnets in 3 AZs)', () => {
    const { stack, template } = build({}, undefined, 3);
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    const vpc = stack.node.findChild('Vpc') as ec2.Vpc;
    const subnetIds = group.Properties.VPCZoneIdentifier.map((s: { Ref: string }) => s.Ref);
    expect(subnetIds).toHaveLength(3);
    const zoneOf = new Map(vpc.publicSubnets.map((s) => [stack.resolve(s.subnetId).Ref, s.availabilityZone]));
    expect(new Set(subnetIds.map((id: string) => zoneOf.get(id))).size).toBe(3);
  });

  test('healthCheckGracePeriod sets the grace period', () => {
    const { template } = build({
      strategy: FailoverStrategy.autoScalingGroup({ healthCheckGracePeriod: Duration.minutes(10) }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { HealthCheckGracePeriod: 600 });
  });

  test('autoScalingGroupName pins the group name and the data tags, so a renamed construct still finds its data', () => {
    const { template } = build({
      strategy: FailoverStrategy.autoScalingGroup({
        autoScalingGroupName: 'files-prod',
        dataVolume: { size: Size.gibibytes(20) },
      }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { AutoScalingGroupName: 'files-prod' });
    template.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      PolicyDetails: Match.objectLike({ TargetTags: [Match.objectLike({ Value: 'files-prod' })] }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GROUP_NAME: 'files-prod' }) },
    });
  });

  test('launch template: IMDSv2, encrypted root, SSM role, no key pair, public IP with the security group', () => {
    const { stack, server, template } = build();
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8 } }],
        IamInstanceProfile: Match.anyValue(),
        KeyName: Match.absent(),
        NetworkInterfaces: [
          {
            DeviceIndex: 0,
            AssociatePublicIpAddress: true,
            Groups: [stack.resolve(server.securityGroup.securityGroupId)],
          },
        ],
      }),
    });
    // Without a data volume nothing reads tags from instance metadata.
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0];
    expect(lt.Properties.LaunchTemplateData.MetadataOptions.InstanceMetadataTags).toBeUndefined();
  });

  test('without dataVolume: only the launch hook (ABANDON by default, heartbeat above the function timeout)', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      LifecycleHookSpecificationList: [
        {
          LifecycleHookName: 'attach-address-and-data-on-launch',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          DefaultResult: 'ABANDON',
          HeartbeatTimeout: 900,
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 840 });
    template.resourceCountIs('AWS::DLM::LifecyclePolicy', 0);
  });

  test('the group depends on the hook rule, function and role, so its first launch is handled', () => {
    const { template } = build();
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    for (const id of ['LifecycleHookRule', 'LifecycleHookFunction', 'LifecycleHookRolePolicy']) {
      expect(group.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^Server${id}`))]));
    }
  });

  test('an EventBridge rule sends both lifecycle actions of this group to the function, with a DLQ', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: [GROUP_NAME] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LifecycleHookFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LifecycleHookDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          GROUP_NAME,
          ALLOCATION_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('ElasticIp'), 'AllocationId'] },
          VOLUME_SIZE_GIB: Match.absent(),
        }),
      },
    });
  });

  test('group notifications go to the encrypted topic, whose key lets the Auto Scaling service-linked role publish', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [
        Match.objectLike({ TopicARN: { Ref: Match.stringLikeRegexp('FailoverNotifications') } }),
      ],
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowPublishByAWSServiceRoleForAutoScaling' })]),
      },
    });
  });

  test('IAM: AssociateAddress only on this Elastic IP and instances of this group; no instance may associate', () => {
    const { stack, server, template } = build();
    const statements = statementsOf(template, /LifecycleHookRole/);
    const associate = statements.filter((s) => actionsOf(s).includes('ec2:AssociateAddress'));
    expect(associate).toEqual([
      expect.objectContaining({ Sid: 'AssociateThisElasticIp' }),
      expect.objectContaining({
        Resource: arn('instance/*'),
        Condition: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': GROUP_NAME } },
      }),
    ]);
    expect(associate[0].Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ec2:eu-west-1:111111111111:elastic-ip/',
          { 'Fn::GetAtt': [stack.resolve(server.elasticIp.logicalId), 'AllocationId'] },
        ],
      ],
    });
    expect(associate[0].Condition).toBeUndefined();
    expect(
      statements
        .filter((s) => s.Resource === '*')
        .flatMap(actionsOf)
        .sort(),
    ).toEqual(['autoscaling:DescribeAutoScalingInstances', 'ec2:DescribeInstances']);
    const complete = statements.filter((s) => actionsOf(s).includes('autoscaling:CompleteLifecycleAction'));
    expect(complete).toEqual([
      expect.objectContaining({
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:autoscaling:eu-west-1:111111111111:autoScalingGroup:*:autoScalingGroupName/${GROUP_NAME}`,
            ],
          ],
        },
      }),
    ]);
    // The instance role has nothing of the sort.
    expect(statementsOf(template, /InstanceRole/).flatMap(actionsOf)).not.toContain('ec2:AssociateAddress');
  });

  test('uses the given user data as it is without a data volume', () => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands('echo hello');
    const { template } = build({ userData });
    expect(userDataOf(template)).toBe('#!/bin/bash\necho hello');
  });

  test('snapshot', () => {
    const { template } = build();
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('autoScalingGroup strategy: data volume', () => {
  test('both lifecycle hooks: launch ABANDON by default, termination CONTINUE', () => {
    const { template } = withVolume();
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      LifecycleHookSpecificationList: [
        {
          LifecycleHookName: 'attach-address-and-data-on-launch',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          DefaultResult: 'ABANDON',
          HeartbeatTimeout: 900,
        },
        {
          LifecycleHookName: 'snapshot-data-on-termination',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          DefaultResult: 'CONTINUE',
          HeartbeatTimeout: 300,
        },
      ],
    });
  });

  test('DLM policy: hourly, keeps 24, volumes tagged for this group, role of its own', () => {
    const { server, template } = withVolume();
    expect(server.snapshotPolicy).toBeDefined();
    template.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      State: 'ENABLED',
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SnapshotPolicyRole'), 'Arn'] },
      PolicyDetails: {
        PolicyType: 'EBS_SNAPSHOT_MANAGEMENT',
        ResourceTypes: ['VOLUME'],
        TargetTags: [{ Key: 'cdk-ha-patterns:data-volume', Value: GROUP_NAME }],
        Schedules: [
          Match.objectLike({
            CreateRule: { Interval: 1, IntervalUnit: 'HOURS', Times: ['00:00'] },
            RetainRule: { Count: 24 },
            CopyTags: true,
            TagsToAdd: [{ Key: 'cdk-ha-patterns:snapshot-reason', Value: 'periodic' }],
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'dlm.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('snapshotInterval and snapshotRetention shape the DLM schedule', () => {
    const { template } = withVolume({ snapshotInterval: Duration.hours(6), snapshotRetention: 8 });
    template.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      PolicyDetails: Match.objectLike({
        Schedules: [Match.objectLike({ CreateRule: Match.objectLike({ Interval: 6 }), RetainRule: { Count: 8 } })],
      }),
    });
  });

  test('the deprecated sizeGiB still sizes the volume when size is not given', () => {
    const { template } = withVolume({ size: undefined, sizeGiB: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ VOLUME_SIZE_GIB: '30' }) },
    });
  });

  test('the function knows the volume: size, type, iops, throughput, device, tags', () => {
    const { template } = withVolume({
      size: Size.gibibytes(100),
      iops: 4000,
      throughput: 250,
      deviceName: '/dev/sdg',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          VOLUME_SIZE_GIB: '100',
          VOLUME_TYPE: 'gp3',
          VOLUME_IOPS: '4000',
          VOLUME_THROUGHPUT: '250',
          DEVICE_NAME: '/dev/sdg',
          DATA_VOLUME_TAG: 'cdk-ha-patterns:data-volume',
          ATTACHED_AT_TAG: 'cdk-ha-patterns:attached-at',
          INSTANCE_VOLUME_TAG: 'DataVolumeId',
          KMS_KEY_ID: Match.absent(),
        }),
      },
    });
  });

  test('user data: the mount script first (stopping on failure), then the given commands; tags in metadata', () => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands('echo hello');
    const { template } = withVolume({ mountPath: '/srv/app' }, { userData });
    const text = userDataOf(template);
    expect(text.startsWith('#!/bin/bash\n')).toBe(true);
    expect(text).toContain(
      `cat > /usr/local/sbin/mount-data-volume <<'MOUNT_DATA_VOLUME_EOF'\n${MOUNT_DATA_VOLUME_SCRIPT}MOUNT_DATA_VOLUME_EOF\n`,
    );
    expect(text).toMatch(
      /\/usr\/local\/sbin\/mount-data-volume \/srv\/app DataVolumeId \/dev\/sdf 1200 \|\| \{[^}]*exit 1; \}\necho hello$/,
    );
    expect(text.match(/#!\/bin\/bash/g)).toHaveLength(2); // ours, and the script's own inside the heredoc
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'enabled' },
      }),
    });
  });

  test('commands added to the user data after construction still run after the mount', () => {
    const userData = ec2.UserData.forLinux();
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20) } }),
      userData,
    });
    userData.addCommands('echo later');
    expect(userDataOf(Template.fromStack(stack))).toMatch(/exit 1; \}\necho later$/);
  });

  test('IAM: volumes and snapshots only when tagged for this group, encrypted, never deleted', () => {
    const { template } = withVolume();
    const statements = statementsOf(template, /LifecycleHookRole/);
    const all = statements.flatMap(actionsOf);
    const tagged = { StringEquals: { 'aws:ResourceTag/cdk-ha-patterns:data-volume': GROUP_NAME } };
    const requestTagged = { StringEquals: { 'aws:RequestTag/cdk-ha-patterns:data-volume': GROUP_NAME } };
    const ofGroup = { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': GROUP_NAME } };
    const snapshots = arn('snapshot/*', '');
    const volumes = arn('volume/*');
    const byAction = (action: string) => statements.filter((s) => actionsOf(s).includes(action));

    expect(byAction('ec2:CreateVolume')).toEqual([
      expect.objectContaining({
        Resource: volumes,
        Condition: { ...requestTagged, Bool: { 'ec2:Encrypted': 'true' } },
      }),
      expect.objectContaining({ Resource: snapshots, Condition: tagged }),
    ]);
    expect(byAction('ec2:AttachVolume')).toEqual([
      expect.objectContaining({ Resource: volumes, Condition: tagged }),
      expect.objectContaining({ Resource: arn('instance/*'), Condition: ofGroup }),
    ]);
    expect(byAction('ec2:CreateSnapshot')).toEqual([
      expect.objectContaining({ Resource: volumes, Condition: tagged }),
      expect.objectContaining({ Resource: snapshots, Condition: requestTagged }),
    ]);
    for (const s of byAction('ec2:CreateTags')) expect(s.Condition).toBeDefined();
    // Every statement on * is a Describe.
    for (const s of statements.filter((st) => st.Resource === '*')) {
      for (const action of actionsOf(s)) expect(action).toMatch(/:Describe/);
    }
    expect(all).not.toContain('ec2:DeleteVolume');
    expect(all).not.toContain('ec2:DeleteSnapshot');
    expect(all).not.toContain('ec2:DetachVolume');
  });

  test('no role of the construct may DeleteVolume or DeleteSnapshot on *: only the retention role deletes, and only what is tagged for this group; DLM only its periodic snapshots', () => {
    const { template } = withVolume();
    const everything = statementsOf(template, /.*/);
    const deletes = everything.filter((s) =>
      actionsOf(s).some((a) => ['ec2:DeleteVolume', 'ec2:DeleteSnapshot', 'ec2:*', '*'].includes(a)),
    );
    const tagged = { 'aws:ResourceTag/cdk-ha-patterns:data-volume': GROUP_NAME };
    expect(deletes).toEqual([
      {
        Sid: 'ExpireOnlyPeriodicSnapshotsOfThisGroup',
        Effect: 'Allow',
        Action: 'ec2:DeleteSnapshot',
        Resource: arn('snapshot/*', ''),
        Condition: { StringEquals: { ...tagged, 'aws:ResourceTag/cdk-ha-patterns:snapshot-reason': 'periodic' } },
      },
      {
        Sid: 'DeleteVolumesOfThisGroup',
        Effect: 'Allow',
        Action: 'ec2:DeleteVolume',
        Resource: arn('volume/*'),
        Condition: { StringEquals: tagged },
      },
      {
        Sid: 'DeleteSnapshotsOfThisGroup',
        Effect: 'Allow',
        Action: 'ec2:DeleteSnapshot',
        Resource: arn('snapshot/*', ''),
        Condition: { StringEquals: tagged },
      },
    ]);
    expect(statementsOf(template, /DataRetentionRole/).filter((s) => deletes.includes(s))).toHaveLength(2);
    expect(
      statementsOf(template, /SnapshotPolicyRole/)
        .filter((s) => s.Resource === '*')
        .flatMap(actionsOf)
        .sort(),
    ).toEqual(['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes']);
  });

  test('data retention: a function every 30 minutes (with a DLQ), told the group, the allocation id, the tags, 7 days and a 1 hour grace', () => {
    const { template } = withVolume();
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { RETENTION_HOURS: Match.anyValue() } } },
    });
    expect(Object.keys(functions)).toHaveLength(1);
    const [logicalId] = Object.keys(functions);
    expect(logicalId).toMatch(/DataRetentionFunction/);
    expect(functions[logicalId].Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Timeout: 300,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/LifecycleHookDeadLetterQueue/), 'Arn'] } },
      Environment: {
        Variables: {
          GROUP_NAME: GROUP_NAME,
          ALLOCATION_ID: { 'Fn::GetAtt': [expect.stringMatching(/ElasticIp/), 'AllocationId'] },
          DATA_VOLUME_TAG: 'cdk-ha-patterns:data-volume',
          ATTACHED_AT_TAG: 'cdk-ha-patterns:attached-at',
          SNAPSHOT_REASON_TAG: 'cdk-ha-patterns:snapshot-reason',
          RETENTION_HOURS: '168',
          GRACE_MINUTES: '60',
          TOPIC_ARN: { Ref: expect.stringMatching(/FailoverNotifications/) },
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(30 minutes)',
      Description: Match.stringLikeRegexp('^Every 30 minutes: .* record the age of its newest snapshot$'),
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId, 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  test('data retention IAM: snapshots and deletes only what is tagged for this group; reads on * are Describes', () => {
    const { template } = withVolume();
    const statements = statementsOf(template, /DataRetentionRole/).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('ec2:')),
    );
    const tagged = { StringEquals: { 'aws:ResourceTag/cdk-ha-patterns:data-volume': GROUP_NAME } };
    expect(statements.map((s) => [s.Sid, actionsOf(s), s.Resource, s.Condition])).toEqual([
      ['ReadVolumesAndSnapshots', ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], '*', undefined],
      ['SnapshotVolumesOfThisGroup', ['ec2:CreateSnapshot'], arn('volume/*'), tagged],
      [
        'CreateSnapshotsTaggedForThisGroup',
        ['ec2:CreateSnapshot'],
        arn('snapshot/*', ''),
        { StringEquals: { 'aws:RequestTag/cdk-ha-patterns:data-volume': GROUP_NAME } },
      ],
      [
        'TagSnapshotsOnCreate',
        ['ec2:CreateTags'],
        arn('snapshot/*', ''),
        { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      ],
      ['DeleteVolumesOfThisGroup', ['ec2:DeleteVolume'], arn('volume/*'), tagged],
      ['DeleteSnapshotsOfThisGroup', ['ec2:DeleteSnapshot'], arn('snapshot/*', ''), tagged],
    ]);
  });

  test('replacedDataRetention sets how long the retention function keeps snapshots', () => {
    const { template } = withVolume({ replacedDataRetention: Duration.days(30) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RETENTION_HOURS: '720' }) },
    });
  });

  test('without a data volume there is nothing to retain: no retention function or schedule', () => {
    const { template } = build();
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ RETENTION_HOURS: Match.anyValue() }) } },
      0,
    );
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: Match.anyValue() }, 0);
  });

  test('encryptionKey: the function may use that key (grants for EBS only) and passes it on', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    const { template } = withVolumeIn(stack, { encryptionKey: key });
    const keyArn = stack.resolve(key.keyArn);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KMS_KEY_ID: keyArn }) },
    });
    const statements = statementsOf(template, /LifecycleHookRole/);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'kms:CreateGrant',
          Resource: keyArn,
          Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
        expect.objectContaining({
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext']),
          Resource: keyArn,
        }),
      ]),
    );
  });

  test('ebsEncryptionKey (a customer managed default EBS key): root and data volumes use it, and the function may', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'EbsDefaultKey', { enableKeyRotation: true });
    const { template } = build({ dataVolume: { size: Size.gibibytes(20) }, ebsEncryptionKey: key }, stack);
    const keyArn = stack.resolve(key.keyArn);
    // The root volume names the key rather than relying on the account default.
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, KmsKeyId: keyArn }) })],
      }),
    });
    // CreateVolume (a new or restored data volume) names it too, and the role may use it for EBS.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KMS_KEY_ID: keyArn }) },
    });
    const statements = statementsOf(template, /LifecycleHookRole/);
    // (Besides the notification topic's key, which every strategy's function may publish with.)
    expect(statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify(keyArn))).toEqual([
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
        Sid: 'LetEbsUseTheDataVolumeKey',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: keyArn,
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ]);
    // A data volume's own key wins over it.
    const other = new Stack(new App(), 'Other', { env: ENV });
    const own = new kms.Key(other, 'DataKey', { enableKeyRotation: true });
    const ebs = new kms.Key(other, 'EbsDefaultKey', { enableKeyRotation: true });
    const second = build(
      { dataVolume: { size: Size.gibibytes(20), encryptionKey: own }, ebsEncryptionKey: ebs },
      other,
    );
    second.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KMS_KEY_ID: other.resolve(own.keyArn) }) },
    });
  });

  test('snapshot', () => {
    const { template } = withVolume();
    expect(template.toJSON()).toMatchSnapshot();
  });
});

function withVolumeIn(stack: Stack, dataVolume: Partial<DataVolumeOptions>): Built {
  return build({ dataVolume: { size: Size.gibibytes(20), ...dataVolume } }, stack);
}

describe('autoScalingGroup strategy: validation', () => {
  function attempt(props: GroupProps, zones = 2) {
    return () => build(props, undefined, zones);
  }

  test.each([
    [
      { size: Size.gibibytes(0) },
      /dataVolume.size \(GiB\) must be a whole number from 1 to 65536 for gp3 volumes, received 0/,
    ],
    [
      { size: Size.mebibytes(1536) },
      /dataVolume.size \(GiB\) must be a whole number from 1 to 65536 for gp3 volumes, received 1.5/,
    ],
    [{ size: undefined }, /dataVolume.size is required \(for example Size.gibibytes\(50\)\)/],
    [{ sizeGiB: 20 }, /dataVolume.size and the deprecated dataVolume.sizeGiB are mutually exclusive: give size only/],
    [
      { size: undefined, sizeGiB: 0 },
      /dataVolume.sizeGiB must be a whole number from 1 to 65536 for gp3 volumes, received 0/,
    ],
    [{ mountPath: 'data' }, /dataVolume.mountPath must be an absolute path other than \/.*received 'data'/],
    [{ mountPath: '/' }, /dataVolume.mountPath must be an absolute path other than \//],
    [{ mountPath: '/data; rm -rf /' }, /dataVolume.mountPath must be an absolute path/],
    [
      { deviceName: '/dev/sda1' },
      /dataVolume.deviceName must be one of \/dev\/sdf to \/dev\/sdp.*received '\/dev\/sda1'/,
    ],
    [
      { snapshotInterval: Duration.hours(5) },
      /dataVolume.snapshotInterval must be 1, 2, 3, 4, 6, 8, 12, 24 hours.*received '5 hours'/,
    ],
    [{ snapshotInterval: Duration.minutes(30) }, /dataVolume.snapshotInterval must be/],
    [{ snapshotRetention: 0 }, /dataVolume.snapshotRetention must be a whole number from 1 to 1000, received 0/],
    [
      { replacedDataRetention: Duration.hours(12) },
      /dataVolume.replacedDataRetention must be 1 to 3650 days, received '12 hours'/,
    ],
    [
      { replacedDataRetention: Duration.days(3651) },
      /dataVolume.replacedDataRetention must be 1 to 3650 days, received '3651 days'/,
    ],
    [
      { throughput: 250, volumeType: ec2.EbsDeviceVolumeType.IO2 },
      /dataVolume.throughput is only for gp3 volumes \(volumeType is io2\)/,
    ],
    [{ iops: 3000, volumeType: ec2.EbsDeviceVolumeType.ST1 }, /dataVolume.iops is only for gp3, io1 and io2 volumes/],
  ])('refuses dataVolume %o', (dataVolume, message) => {
    expect(attempt({ dataVolume: { size: Size.gibibytes(20), ...dataVolume } })).toThrow(message);
  });

  test('refuses an Auto Scaling group name with a colon', () => {
    expect(attempt({ strategy: FailoverStrategy.autoScalingGroup({ autoScalingGroupName: 'a:b' }) })).toThrow(
      /autoScalingGroupName must be 1 to 255 characters without ':', received 'a:b'/,
    );
  });

  test('refuses a grace period over 2 hours', () => {
    expect(
      attempt({ strategy: FailoverStrategy.autoScalingGroup({ healthCheckGracePeriod: Duration.hours(3) }) }),
    ).toThrow(/healthCheckGracePeriod must be a whole number of seconds from 0 to 7200, received '3 hours'/);
  });

  test('refuses non-Linux user data with a data volume, naming userData', () => {
    const userData = ec2.UserData.custom('#cloud-config\npackages: [nginx]');
    expect(attempt({ userData, dataVolume: { size: Size.gibibytes(20) } })).toThrow(
      /userData must be a Linux shell script.*received '#cloud-config'/,
    );
  });

  test('refuses a VPC with one AZ, and reports every problem at once', () => {
    expect(attempt({ dataVolume: { size: Size.gibibytes(0), snapshotRetention: 5000 } }, 1)).toThrow(
      /vpc must have public subnets in at least 2[\s\S]*dataVolume.size[\s\S]*dataVolume.snapshotRetention/,
    );
  });

  test('the standby strategy refuses the deprecated construct-level dataVolume, naming it', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const props = { vpc: publicOnlyVpc(stack), dataVolume: { size: Size.gibibytes(20) } };
    expect(() => new ElasticIpFailoverInstance(stack, 'Server', props)).toThrow(
      /dataVolume is only supported with FailoverStrategy.autoScalingGroup\(\{ dataVolume \}\)/,
    );
  });

  test('skips unresolved tokens', () => {
    const later = Lazy.number({ produce: () => 50 });
    expect(
      attempt({
        dataVolume: {
          size: Size.gibibytes(later),
          snapshotRetention: later,
          replacedDataRetention: Duration.hours(later),
        },
      }),
    ).not.toThrow();
  });
});

describe('autoScalingGroup strategy: checks', () => {
  test('without a data volume: zero cdk-nag and strict CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build({}, new Stack(app, 'Eip', { env: ENV }));
    expectNoFindings(app);
  });

  test('with a data volume, user data and a customer managed key: zero findings', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Eip', { env: ENV });
    const userData = ec2.UserData.forLinux();
    userData.addCommands('dnf install -y nginx', 'systemctl enable --now nginx');
    const encryptionKey = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    build(
      {
        userData,
        dataVolume: { size: Size.gibibytes(50), throughput: 250, snapshotInterval: Duration.hours(4), encryptionKey },
      },
      stack,
    );
    expectNoFindings(app);
  });

  test('in an environment-agnostic stack: zero findings', () => {
    const app = newCheckedApp();
    build({ dataVolume: { size: Size.gibibytes(20) } }, new Stack(app, 'Eip'));
    expectNoFindings(app);
  });
});

describe('autoScalingGroup strategy: the deprecated construct-level dataVolume', () => {
  const volume = { size: Size.gibibytes(20), mountPath: '/srv/data' };

  test('gives the same template as the strategy option, with a deprecation warning', () => {
    const viaStrategy = build({ dataVolume: volume });
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const server = new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup(),
      dataVolume: volume,
    });
    expect(Template.fromStack(stack).toJSON()).toEqual(viaStrategy.template.toJSON());
    expect(server.snapshotPolicy).toBeDefined();
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Server',
      Match.stringLikeRegexp(
        'ElasticIpFailoverInstanceProps.dataVolume is deprecated.*FailoverStrategy.autoScalingGroup\\(\\{ dataVolume \\}\\)',
      ),
    );
    Annotations.fromStack(viaStrategy.stack).hasNoWarning('*', Match.anyValue());
  });

  test('is refused when the strategy has a data volume too', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(
      () =>
        new ElasticIpFailoverInstance(stack, 'Server', {
          vpc: publicOnlyVpc(stack),
          strategy: FailoverStrategy.autoScalingGroup({ dataVolume: volume }),
          dataVolume: volume,
        }),
    ).toThrow(
      /dataVolume is deprecated and given twice: keep FailoverStrategy.autoScalingGroup\(\{ dataVolume \}\) only, received '\{ size: 20 GiB \}'/,
    );
  });
});
