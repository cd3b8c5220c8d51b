// The same architecture as bench/library.ts, written by hand with aws-cdk-lib L2 constructs:
// what a careful user writes to get the template HighlyAvailableWebApp produces.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';

// BEGIN USER CODE
export function build(stack: Stack): void {
  const userData = ec2.UserData.forLinux();
  userData.addCommands('dnf install -y nginx', 'systemctl enable --now nginx');

  const flowLogGroup = new logs.LogGroup(stack, 'FlowLogs', {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 2,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    ],
    restrictDefaultSecurityGroup: true,
    flowLogs: {
      All: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });

  const albSg = new ec2.SecurityGroup(stack, 'AlbSg', {
    vpc,
    description: 'Internet-facing load balancer',
    allowAllOutbound: false,
  });
  const appSg = new ec2.SecurityGroup(stack, 'AppSg', {
    vpc,
    description: 'Application instances',
    allowAllOutbound: false,
  });
  appSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS out');
  albSg.connections.allowTo(appSg, ec2.Port.tcp(80), 'Load balancer to app');

  const role = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ssm:UpdateInstanceInformation'],
      resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ],
      resources: ['*'],
    }),
  );

  const launchTemplate = new ec2.LaunchTemplate(stack, 'LaunchTemplate', {
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    userData,
    role,
    securityGroup: appSg,
    requireImdsv2: true,
    httpPutResponseHopLimit: 1,
    detailedMonitoring: true,
    blockDevices: [
      {
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      },
    ],
  });

  const key = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'aws:PrincipalArn': stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: 'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
          }),
          'kms:CallerAccount': stack.account,
        },
      },
    }),
  );
  const topic = new sns.Topic(stack, 'ScalingNotifications', { masterKey: key, enforceSSL: true });

  const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    launchTemplate,
    minCapacity: 2,
    maxCapacity: 4,
    healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
      additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
      gracePeriod: Duration.minutes(5),
    }),
    updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ maxBatchSize: 1, minInstancesInService: 2 }),
    notifications: [{ topic }],
    groupMetrics: [autoscaling.GroupMetrics.all()],
  });
  asg.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 50 });

  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    internetFacing: true,
    securityGroup: albSg,
    dropInvalidHeaderFields: true,
  });
  const logsBucket = new s3.Bucket(stack, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ expiration: Duration.days(365) }],
  });
  alb.logAccessLogs(logsBucket);

  const targetGroup = new elbv2.ApplicationTargetGroup(stack, 'TargetGroup', {
    vpc,
    port: 80,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.INSTANCE,
    targets: [asg],
    healthCheck: {
      path: '/',
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
      healthyHttpCodes: '200-399',
    },
  });
  alb.addListener('Http', {
    port: 80,
    protocol: elbv2.ApplicationProtocol.HTTP,
    defaultTargetGroups: [targetGroup],
    open: true,
  });
}
// END USER CODE
