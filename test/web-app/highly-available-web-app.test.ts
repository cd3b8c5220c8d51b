import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HighlyAvailableWebApp, HighlyAvailableWebAppProps } from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

const ENV = { region: 'eu-west-1' };

function build(props: HighlyAvailableWebAppProps = {}): {
  stack: Stack;
  webApp: HighlyAvailableWebApp;
  template: Template;
} {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const webApp = new HighlyAvailableWebApp(stack, 'Web', props);
  return { stack, webApp, template: Template.fromStack(stack) };
}

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } } | ec2.ISecurityGroup): string {
  const child = (construct as ec2.SecurityGroup).node.defaultChild as ec2.CfnSecurityGroup;
  return stack.resolve(child.logicalId);
}

describe('HighlyAvailableWebApp network', () => {
  test('creates a VPC over 2 AZs with a public and a private subnet per AZ and one NAT gateway per AZ', () => {
    const { template } = build();
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false }, 4);
    template.resourcePropertiesCountIs(
      'AWS::EC2::Subnet',
      { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Public' }]) },
      2,
    );
    template.resourcePropertiesCountIs(
      'AWS::EC2::Subnet',
      { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Private' }]) },
      2,
    );
  });

  test('each private subnet routes to the NAT gateway of its own AZ', () => {
    const { template } = build();
    const routes = template.findResources('AWS::EC2::Route', {
      Properties: { NatGatewayId: Match.anyValue() },
    });
    const nats = Object.values(routes).map((r) => JSON.stringify(r.Properties.NatGatewayId));
    expect(nats).toHaveLength(2);
    expect(new Set(nats).size).toBe(2);
  });

  test('maxAzs and natGateways shape the new VPC', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
    new HighlyAvailableWebApp(stack, 'Web', { maxAzs: 3, natGateways: 1 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('logs all VPC traffic to a retained CloudWatch log group', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  test('flow logs deliver with a role only flow logs of this account may assume, allowed to write that log group only', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
    new HighlyAvailableWebApp(stack, 'Web');
    const template = Template.fromStack(stack);
    const [flowLog] = Object.values(template.findResources('AWS::EC2::FlowLog'));
    const roleId = flowLog.Properties.DeliverLogsPermissionArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:vpc-flow-log/*']],
            },
          },
        },
      },
    ]);
    template.resourcePropertiesCountIs('AWS::IAM::Policy', { Roles: [{ Ref: roleId }] }, 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [flowLog.Properties.LogGroupName.Ref, 'Arn'] },
          },
        ],
      },
    });
  });

  test('uses a given VPC and creates none', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Existing', { maxAzs: 2 });
    const webApp = new HighlyAvailableWebApp(stack, 'Web', { vpc });
    expect(webApp.vpc).toBe(vpc);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPC', 1);
  });
});

describe('HighlyAvailableWebApp security groups', () => {
  test('the load balancer admits the internet on port 80 only and sends only to the app port of the app SG', () => {
    const { stack, webApp, template } = build();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Internet-facing load balancer'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp' })],
      SecurityGroupEgress: Match.absent(),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [idOf(stack, webApp.loadBalancerSecurityGroup), 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [idOf(stack, webApp.appSecurityGroup), 'GroupId'] },
      FromPort: 80,
      ToPort: 80,
    });
    // The only egress rule of the load balancer group is the one to the app group.
    const egress = template.findResources('AWS::EC2::SecurityGroupEgress', {
      Properties: { GroupId: { 'Fn::GetAtt': [idOf(stack, webApp.loadBalancerSecurityGroup), 'GroupId'] } },
    });
    expect(Object.keys(egress)).toHaveLength(1);
  });

  test('the app SG admits only the load balancer SG on the app port, by group not by CIDR', () => {
    const { stack, webApp, template } = build({ appPort: 8080 });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [idOf(stack, webApp.appSecurityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(stack, webApp.loadBalancerSecurityGroup), 'GroupId'] },
      FromPort: 8080,
      ToPort: 8080,
    });
    const appSg = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('Application instances') },
    });
    const [appSgResource] = Object.values(appSg);
    expect(appSgResource.Properties.SecurityGroupIngress).toBeUndefined();
    // Out: HTTPS only (Systems Manager, AWS APIs, package repositories).
    expect(appSgResource.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
    ]);
    const ingressToApp = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [idOf(stack, webApp.appSecurityGroup), 'GroupId'] } },
    });
    expect(Object.keys(ingressToApp)).toHaveLength(1);
  });

  test('connections chain the app tier to a downstream tier by security group', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const webApp = new HighlyAvailableWebApp(stack, 'Web');
    const dbSg = new ec2.SecurityGroup(stack, 'DbSg', { vpc: webApp.vpc, allowAllOutbound: false });
    const db = new ec2.Connections({ securityGroups: [dbSg], defaultPort: ec2.Port.tcp(3306) });
    db.allowDefaultPortFrom(webApp);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [idOf(stack, dbSg), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(stack, webApp.appSecurityGroup), 'GroupId'] },
      FromPort: 3306,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [idOf(stack, webApp.appSecurityGroup), 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [idOf(stack, dbSg), 'GroupId'] },
      FromPort: 3306,
    });
    expect(webApp.connections.defaultPort?.toString()).toBe('80');
  });
});

describe('HighlyAvailableWebApp load balancer', () => {
  test('is internet-facing in the public subnets, drops invalid headers and writes access logs to a new SSL-only bucket', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('uses a given access logs bucket', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const bucket = new s3.Bucket(stack, 'Logs', { enforceSSL: true });
    new HighlyAvailableWebApp(stack, 'Web', { accessLogsBucket: bucket });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.bucket', Value: { Ref: Match.stringLikeRegexp('^Logs') } },
      ]),
    });
  });

  test('without a certificate serves HTTP on 80 forwarding to the target group', () => {
    const { template, webApp } = build();
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    expect(webApp.url).toMatch(/^http:\/\//);
  });

  test('with a certificate serves HTTPS on 443 with the recommended policy and redirects 80 to 443', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const certificate = acm.Certificate.fromCertificateArn(
      stack,
      'Cert',
      'arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    );
    const webApp = new HighlyAvailableWebApp(stack, 'Web', { certificate });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: certificate.certificateArn }],
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } },
      ],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Internet-facing load balancer'),
      SecurityGroupIngress: Match.arrayWith([
        Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80 }),
      ]),
    });
    expect(webApp.url).toMatch(/^https:\/\//);
    expect(webApp.listener.port).toBe(443);
  });

  test('health check defaults: path /, healthy threshold 2, interval 10 s', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 80,
      Protocol: 'HTTP',
      TargetType: 'instance',
      HealthCheckPath: '/',
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      Matcher: { HttpCode: '200-399' },
    });
  });

  test('health check follows the props', () => {
    const { template } = build({
      healthCheckPath: '/health',
      healthyThresholdCount: 3,
      healthCheckInterval: Duration.seconds(5),
      appPort: 8080,
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/health',
      HealthyThresholdCount: 3,
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
    });
  });
});

describe('HighlyAvailableWebApp releases that never turn healthy fail and roll back', () => {
  test('creation waits for every instance to signal; the rolling update waits on signals and keeps health checks running', () => {
    // Without the bake (rollout, see monitoring.test.ts), the wait is instanceReadyTimeout alone.
    const { template } = build({ rollout: { rollbackOnAlarms: false } });
    const [group] = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'));
    expect(group.CreationPolicy).toEqual({ ResourceSignal: { Count: 2, Timeout: 'PT15M' } });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toEqual({
      MaxBatchSize: 1,
      MinInstancesInService: 2,
      PauseTime: 'PT15M',
      WaitOnResourceSignals: true,
      // HealthCheck and ReplaceUnhealthy stay on: an instance that fails during the update is replaced.
      SuspendProcesses: ['AZRebalance', 'AlarmNotification', 'ScheduledActions'],
    });
  });

  test('instanceReadyTimeout sets how long creation and each update batch wait; desiredCapacity sets the count', () => {
    // The wait is instanceReadyTimeout plus the default 5 minute bake.
    const { template } = build({ instanceReadyTimeout: Duration.minutes(40), minCapacity: 2, desiredCapacity: 3 });
    const [group] = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'));
    expect(group.CreationPolicy).toEqual({ ResourceSignal: { Count: 3, Timeout: 'PT45M' } });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate.PauseTime).toBe('PT45M');
  });

  test('the instances may read target health (a policy of its own) and signal this stack only', () => {
    const { stack, template, webApp } = build({ rollout: { rollbackOnAlarms: false } });
    const role = webApp.launchTemplate.role as iam.Role;
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ReadOwnTargetHealth',
            Effect: 'Allow',
            Action: 'elasticloadbalancing:DescribeTargetHealth',
            Resource: '*',
          },
        ],
      },
      Roles: [stack.resolve(role.roleName)],
    });
    // The group grants SignalResource on this stack (its id) to the role, once it has signals.
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const signal = statements.filter((st) => JSON.stringify(st.Action).includes('cloudformation:SignalResource'));
    expect(signal).toEqual([
      { Action: 'cloudformation:SignalResource', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  describe('the readiness script at the end of the user data (run with stub curl, aws and sleep)', () => {
    function script(props: HighlyAvailableWebAppProps = {}): { text: string; groupId: string } {
      const { stack, template, webApp } = build(props);
      const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
      const parts: unknown[] = launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
      const targetGroupId = stack.resolve(stack.getLogicalId(webApp.targetGroup.node.defaultChild as CfnElement));
      const text = parts
        .map((part) => {
          if (typeof part === 'string') return part;
          const ref = (part as { Ref?: string }).Ref;
          if (ref === 'AWS::StackName') return 'ShopStack';
          if (ref === 'AWS::Region') return 'eu-west-1';
          if (ref === targetGroupId) return 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/tg/1';
          throw new Error(`unexpected reference in user data: ${JSON.stringify(part)}`);
        })
        .join('');
      const groupId = stack.resolve(stack.getLogicalId(webApp.autoScalingGroup.node.defaultChild as CfnElement));
      return { text, groupId };
    }

    /** Runs the user data with stubs; the load balancer answers `states` in turn (the last one after that). */
    function run(text: string, states: string[]): string[] {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readiness-'));
      const log = path.join(dir, 'calls.log');
      fs.writeFileSync(path.join(dir, 'states'), states.join('\n') + '\n');
      const stub = (name: string, body: string) => {
        fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
      };
      stub('sleep', `echo "sleep $*" >> ${log}`);
      stub('curl', `case "$*" in *api/token*) echo token-1 ;; *instance-id*) echo i-0123456789abcdef0 ;; esac`);
      stub(
        'aws',
        [
          `echo "aws $*" >> ${log}`,
          'if [ "$1" = elbv2 ]; then',
          `  n=$(grep -c '^aws elbv2' ${log})`,
          `  total=$(wc -l < ${dir}/states)`,
          '  [ "$n" -gt "$total" ] && n=$total',
          `  sed -n "\${n}p" ${dir}/states`,
          'fi',
        ].join('\n'),
      );
      const file = path.join(dir, 'user-data.sh');
      fs.writeFileSync(file, text);
      childProcess.execFileSync('bash', [file], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      return fs.readFileSync(log, 'utf-8').trim().split('\n');
    }

    test("runs after the user's own commands", () => {
      const userData = ec2.UserData.forLinux();
      userData.addCommands('dnf install -y nginx && systemctl start nginx');
      const { text } = script({ userData });
      expect(text.indexOf('systemctl start nginx')).toBeGreaterThan(0);
      expect(text.indexOf('systemctl start nginx')).toBeLessThan(text.indexOf('describe-target-health'));
    });

    test('signals SUCCESS for itself as soon as its target turns healthy', () => {
      const { text, groupId } = script({ appPort: 8080 });
      const calls = run(text, ['initial', 'unhealthy', 'healthy']);
      const describes = calls.filter((c) => c.startsWith('aws elbv2'));
      expect(describes).toHaveLength(3);
      expect(describes[0]).toContain(
        'describe-target-health --region eu-west-1 --target-group-arn arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/tg/1 --targets Id=i-0123456789abcdef0,Port=8080',
      );
      expect(calls[calls.length - 1]).toBe(
        `aws cloudformation signal-resource --region eu-west-1 --stack-name ShopStack --logical-resource-id ${groupId} --unique-id i-0123456789abcdef0 --status SUCCESS`,
      );
    });

    test('a release that never turns healthy signals FAILURE once the timeout is nearly spent', () => {
      const { text, groupId } = script({ instanceReadyTimeout: Duration.minutes(5) });
      const calls = run(text, ['unhealthy']);
      // (300 s - 30 s) / 10 s = 27 reads of the target health, 10 s apart.
      expect(calls.filter((c) => c.startsWith('aws elbv2'))).toHaveLength(27);
      expect(calls.filter((c) => c === 'sleep 10')).toHaveLength(27);
      expect(calls[calls.length - 1]).toBe(
        `aws cloudformation signal-resource --region eu-west-1 --stack-name ShopStack --logical-resource-id ${groupId} --unique-id i-0123456789abcdef0 --status FAILURE`,
      );
    });
  });
});

describe('HighlyAvailableWebApp instances', () => {
  test('launch template: t3.micro, Amazon Linux 2023, IMDSv2 required, encrypted gp3 root, detailed monitoring, no key pair', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't3.micro',
        ImageId: { Ref: Match.stringLikeRegexp('al2023') },
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 8, VolumeType: 'gp3' } }],
        Monitoring: { Enabled: true },
        KeyName: Match.absent(),
        IamInstanceProfile: Match.anyValue(),
      }),
    });
  });

  test('instance type, image and user data come from the props', () => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands('dnf install -y nginx');
    const { template } = build({
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      userData,
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'm7g.large',
        ImageId: { Ref: Match.stringLikeRegexp('arm64') },
        UserData: {
          'Fn::Base64': { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('dnf install -y nginx')])] },
        },
      }),
    });
  });

  test('instance role allows Session Manager only, with no managed policies', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'ssm:UpdateInstanceInformation' }),
          Match.objectLike({ Action: Match.arrayWith(['ssmmessages:OpenDataChannel']) }),
        ]),
      },
    });
  });

  test('Auto Scaling group: private subnets, 2/4 capacity, ELB health checks with a grace period, rolling replacement', () => {
    const { stack, template } = build();
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      Properties: {
        MinSize: '2',
        MaxSize: '4',
        DesiredCapacity: Match.absent(),
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: 300,
        VPCZoneIdentifier: Match.arrayWith([{ Ref: Match.stringLikeRegexp('PrivateSubnet1') }]),
        LaunchTemplate: Match.objectLike({ Version: Match.anyValue() }),
        NotificationConfigurations: [Match.objectLike({ TopicARN: Match.anyValue() })],
      },
      UpdatePolicy: {
        AutoScalingRollingUpdate: { MaxBatchSize: 1, MinInstancesInService: 2 },
      },
    });
    const asg = template.findResources('AWS::AutoScaling::AutoScalingGroup');
    const subnets = (Object.values(asg)[0].Properties.VPCZoneIdentifier as Array<{ Ref: string }>).map((s) => s.Ref);
    expect(subnets.every((s) => /PrivateSubnet/.test(s))).toBe(true);
    expect(subnets).toHaveLength(2);
    expect(stack.resolve(subnets)).toBeDefined();
  });

  test('capacities, desired capacity and grace period follow the props', () => {
    const { template } = build({
      minCapacity: 3,
      maxCapacity: 3,
      desiredCapacity: 3,
      healthCheckGracePeriod: Duration.minutes(2),
    });
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      Properties: { MinSize: '3', MaxSize: '3', DesiredCapacity: '3', HealthCheckGracePeriod: 120 },
      // CloudFormation refuses MinInstancesInService equal to MaxSize.
      UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 1, MinInstancesInService: 2 } },
    });
    // A fixed-size group has no target tracking (it could never act; cfn-lint E3712).
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
  });

  test('target-tracking scaling on CPU, 50% by default', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
        TargetValue: 50,
      },
    });
    build({ targetCpuUtilizationPercent: 70 }).template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: Match.objectLike({ TargetValue: 70 }),
    });
  });

  test('scaling notifications go to a KMS-encrypted, SSL-only topic the Auto Scaling service-linked role can use', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Condition: {
              StringEquals: Match.objectLike({
                'aws:PrincipalArn': {
                  'Fn::Join': [
                    '',
                    Match.arrayWith([
                      Match.stringLikeRegexp(
                        ':role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling$',
                      ),
                    ]),
                  ],
                },
              }),
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('HighlyAvailableWebApp validation', () => {
  const cases: Array<[string, HighlyAvailableWebAppProps, RegExp]> = [
    ['min > max', { minCapacity: 5, maxCapacity: 2 }, /minCapacity \(5\) must be <= maxCapacity \(2\)/],
    ['desired < min', { minCapacity: 2, desiredCapacity: 1 }, /minCapacity \(2\) must be <= desiredCapacity \(1\)/],
    ['desired > max', { desiredCapacity: 6, maxCapacity: 4 }, /desiredCapacity \(6\) must be <= maxCapacity \(4\)/],
    ['fewer than 2 AZs', { maxAzs: 1 }, /maxAzs must be a whole number from 2 to 16, received 1/],
    [
      'zero NAT gateways',
      { natGateways: 0 },
      /natGateways must be at least 1: the instances run in private subnets.*received 0/,
    ],
    ['more NAT gateways than AZs', { natGateways: 3 }, /natGateways must be a whole number from 1 to 2, received 3/],
    [
      'healthy threshold below 2',
      { healthyThresholdCount: 1 },
      /healthyThresholdCount must be a whole number from 2 to 10, received 1/,
    ],
    [
      'healthy threshold above 10',
      { healthyThresholdCount: 11 },
      /healthyThresholdCount must be a whole number from 2 to 10, received 11/,
    ],
    [
      'interval below 5 s',
      { healthCheckInterval: Duration.seconds(2) },
      /healthCheckInterval must be a whole number of seconds from 5 to 300, received '2 seconds'/,
    ],
    [
      'interval above 300 s',
      { healthCheckInterval: Duration.minutes(6) },
      /healthCheckInterval must be a whole number of seconds from 5 to 300, received '6 minutes'/,
    ],
    ['port 0', { appPort: 0 }, /appPort must be a whole number from 1 to 65535, received 0/],
    ['port 65536', { appPort: 65536 }, /appPort must be a whole number from 1 to 65535, received 65536/],
    [
      'CPU target 0',
      { targetCpuUtilizationPercent: 0 },
      /targetCpuUtilizationPercent must be from 1 to 100, received 0/,
    ],
    ['health check path', { healthCheckPath: 'health' }, /healthCheckPath must start with '\/'.*received 'health'/],
    [
      'ready timeout below 1 minute',
      { instanceReadyTimeout: Duration.seconds(30) },
      /instanceReadyTimeout must be a whole number of seconds from 60 to 3600, received '30 seconds'/,
    ],
    [
      'ready timeout above the 1 hour PauseTime limit',
      { instanceReadyTimeout: Duration.minutes(61) },
      /instanceReadyTimeout must be a whole number of seconds from 60 to 3600, received '1 hour 1 minute'/,
    ],
    [
      'Windows user data',
      { userData: ec2.UserData.forWindows() },
      /userData must be Linux user data: the instances signal CloudFormation once healthy.*received 'Windows \(PowerShell\) user data'/,
    ],
  ];

  test.each(cases)('refuses %s', (_name, props, message) => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(() => new HighlyAvailableWebApp(stack, 'Web', props)).toThrow(message);
  });

  test('reports every problem at once', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(() => new HighlyAvailableWebApp(stack, 'Web', { appPort: 0, healthyThresholdCount: 1 })).toThrow(
      /appPort[\s\S]*healthyThresholdCount|healthyThresholdCount[\s\S]*appPort/,
    );
  });

  test('refuses a given VPC with fewer than 2 AZs of public and private subnets', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'OneAz', { maxAzs: 1 });
    expect(() => new HighlyAvailableWebApp(stack, 'Web', { vpc })).toThrow(
      /vpc must have public subnets in at least 2 Availability Zones.*received '1 zone/,
    );
  });

  test('refuses maxAzs or natGateways with a given VPC', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    expect(() => new HighlyAvailableWebApp(stack, 'Web', { vpc, natGateways: 1 })).toThrow(
      /natGateways is only used for a new VPC/,
    );
  });

  test('reports the problems of a given VPC and of the other props in one error', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'OneAz', { maxAzs: 1 });
    let message = '';
    try {
      new HighlyAvailableWebApp(stack, 'Web', { vpc, natGateways: 1, appPort: 0 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'Invalid HighlyAvailableWebApp props:',
      '  - natGateways is only used for a new VPC; it must not be set with vpc, received 1',
      "  - vpc must have public subnets in at least 2 Availability Zones (for the load balancer), received '1 zone(s)'",
      "  - vpc must have private subnets with egress in at least 2 Availability Zones (for the instances), received '1 zone(s)'",
      '  - appPort must be a whole number from 1 to 65535, received 0',
    ]);
  });

  test('refuses an environment-agnostic stack without an accessLogsBucket, saying the bucket it creates needs the region', () => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new HighlyAvailableWebApp(stack, 'Web')).toThrow(
      "env.region of the stack must be a concrete region (new Stack(app, 'Web', { env: { region: 'eu-west-1' } })) for the access-log bucket the construct creates, whose policy names the region's Elastic Load Balancing account; or give an accessLogsBucket whose policy already lets the load balancer deliver, received 'an environment-agnostic stack'",
    );
  });

  test('accepts an environment-agnostic stack with an accessLogsBucket: the load balancer logs to it, its policy is left alone', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack');
    const bucket = s3.Bucket.fromBucketName(stack, 'Logs', 'my-alb-logs');
    new HighlyAvailableWebApp(stack, 'Web', { accessLogsBucket: bucket });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: 'my-alb-logs' },
      ]),
    });
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expectNoFindings(app);
  });

  test('skips unresolved tokens', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const later = Lazy.number({ produce: () => 1 });
    expect(
      () =>
        new HighlyAvailableWebApp(stack, 'Web', {
          minCapacity: later,
          appPort: later,
          healthyThresholdCount: later,
          targetCpuUtilizationPercent: later,
        }),
    ).not.toThrow();
  });
});

describe('HighlyAvailableWebApp checks', () => {
  test('default configuration: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    new HighlyAvailableWebApp(new Stack(app, 'Web', { env: ENV }), 'Web');
    expectNoFindings(app);
  });

  test('HTTPS configuration: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Web', { env: ENV });
    const certificate = acm.Certificate.fromCertificateArn(
      stack,
      'Cert',
      'arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    );
    new HighlyAvailableWebApp(stack, 'Web', { certificate, appPort: 8080, healthCheckPath: '/health' });
    expectNoFindings(app);
  });

  test('the check fails on a finding and names the rule and the construct', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Web', { env: ENV });
    new s3.Bucket(stack, 'PlainBucket');
    expect(() => expectNoFindings(app)).toThrow(/AwsSolutions-S10\s+Web\/PlainBucket\/Resource/);
  });

  test('snapshot', () => {
    const { template } = build();
    expect(template.toJSON()).toMatchSnapshot();
  });
});
