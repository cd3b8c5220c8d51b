import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import {
  ROLLOUT_ALARM_SETTINGS,
  WEB_APP_ALARM_RANGES,
  WebAppMetrics,
  webAppAlarmSpecs,
  webAppDashboardRows,
} from './monitoring';
import { addReadinessSignal, MAX_PAUSE_SECONDS } from './readiness-signal';
import { WebAcl } from './web-acl';
import { acknowledge, skipCheckov } from '../common/acknowledge';
import { AlarmSetting } from '../common/alarm-setting';
import { createSessionManagerRole } from '../common/instance-role';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { addDashboardSection, alarmName, ConstructAlarms } from '../common/monitoring';
import {
  admitServiceLinkedPublishers,
  AUTO_SCALING_PUBLISHER,
  createEncryptedTopic,
} from '../common/notification-topic';
import { PropsValidator } from '../common/validation';
import { createFlowLoggedVpc } from '../common/vpc';
import { validateResilienceOptions } from '../resilience/experiment-spec';
import { measuredRecoveryRows, ResilienceExperiments } from '../resilience/experiments';
import { groupExperiments } from '../resilience/faults';
import { ResilienceExperimentOptions } from '../resilience/options';

/**
 * Properties for a {@link HighlyAvailableWebApp}.
 */
export interface HighlyAvailableWebAppProps {
  /**
   * The VPC to run in. It needs public subnets (for the load balancer) and private subnets with
   * egress (for the instances) in at least two Availability Zones.
   *
   * @default - a new VPC over `maxAzs` Availability Zones with a public and a private subnet in
   * each, `natGateways` NAT gateways and VPC flow logs to CloudWatch Logs.
   */
  readonly vpc?: ec2.IVpc;

  /**
   * How many Availability Zones the new VPC spans (at least 2). Only used when `vpc` is not given.
   * In a stack without an explicit account and region, CDK can only see two zones.
   *
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * How many NAT gateways the new VPC has. One per Availability Zone keeps each zone's egress
   * independent of the others; fewer saves money but makes one zone's NAT a shared point of
   * failure. Must be at least 1: the instances live in private subnets and need egress to reach
   * Systems Manager and package repositories. Only used when `vpc` is not given.
   *
   * @default - one per Availability Zone (`maxAzs`)
   */
  readonly natGateways?: number;

  /**
   * The EC2 instance type of the application servers.
   *
   * @default t3.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The image the application servers boot from. With an image whose root device is not
   * `/dev/xvda`, set `rootDeviceName` so the root volume is the one encrypted.
   *
   * @default - the latest Amazon Linux 2023 image
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * The device name of the image's root volume, which the launch template encrypts.
   *
   * @default '/dev/xvda' (Amazon Linux)
   */
  readonly rootDeviceName?: string;

  /**
   * User data that installs and starts the application on each instance. It must serve HTTP on
   * `appPort` and answer `healthCheckPath` with a 2xx or 3xx status. The construct appends the
   * commands that signal CloudFormation once the instance is healthy (see `instanceReadyTimeout`):
   * they need bash, `curl` and the AWS CLI v2, as Amazon Linux 2023 has.
   *
   * @default - no user data: the instances run whatever the image starts
   */
  readonly userData?: ec2.UserData;

  /**
   * The fewest instances the group keeps running. At least 2 keeps the service up when an
   * Availability Zone is lost.
   *
   * @default 2
   */
  readonly minCapacity?: number;

  /**
   * The most instances the group scales out to.
   *
   * @default 4
   */
  readonly maxCapacity?: number;

  /**
   * The number of instances the group starts with. When set, every deployment resets the group
   * to this size; leave it unset to let scaling own it.
   *
   * @default - `minCapacity` (not written to the template)
   */
  readonly desiredCapacity?: number;

  /**
   * The port the application listens on, which the load balancer forwards to.
   *
   * @default 80
   */
  readonly appPort?: number;

  /**
   * The path the load balancer requests to decide whether an instance is healthy.
   *
   * @default '/'
   */
  readonly healthCheckPath?: string;

  /**
   * How many consecutive successful health checks make an unhealthy instance healthy again
   * (2 to 10). The same number of failures takes an instance out of service.
   *
   * @default 2
   */
  readonly healthyThresholdCount?: number;

  /**
   * The time between two health checks of one instance (5 to 300 seconds).
   *
   * @default Duration.seconds(10)
   */
  readonly healthCheckInterval?: Duration;

  /**
   * How long a new instance may take to boot and pass its first load balancer health check before
   * the group counts a failing check against it.
   *
   * @default Duration.minutes(5)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * How long a new instance has, from launch, to pass the load balancer's health check. Each
   * instance signals CloudFormation once the target group reports it healthy (the end of its user
   * data polls its own target health); CloudFormation waits this long for the signals of the
   * instances a stack creation launches (creation policy) and of each batch a rolling update
   * replaces (`PauseTime`). When they do not arrive, the creation or update fails and CloudFormation
   * rolls it back. With a bake (`rollout`), CloudFormation waits this plus the bake time. At most
   * 1 hour with the bake (the longest `PauseTime`); allow for boot, your user data and
   * `healthyThresholdCount` passing checks.
   *
   * @default Duration.minutes(15)
   */
  readonly instanceReadyTimeout?: Duration;

  /**
   * A certificate (from ACM) for the load balancer. With it, the load balancer serves HTTPS on 443
   * with `sslPolicy` and answers HTTP on 80 with a permanent redirect (301) to HTTPS only; port 80
   * stays open for that redirect. The instances behind it keep serving HTTP on `appPort`, and the
   * health checks stay on that port.
   *
   * Adding a certificate to a deployment made without one updates the load balancer's port 80
   * listener in place (to the redirect) and adds the HTTPS listener: the load balancer, its DNS
   * name and the target group are kept. Security checks that require HTTPS (NIST 800-53, HIPAA and
   * PCI DSS `ALBHttpToHttpsRedirection` and `ELBv2ACMCertificateRequired`, checkov `CKV_AWS_2` and
   * `CKV_AWS_103`) pass only with it; without it they are acknowledged on the HTTP listener.
   *
   * @default - HTTP only, on port 80
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The TLS security policy of the HTTPS listener (with `certificate` only): one that accepts TLS
   * 1.2 and 1.3 only (`ELBSecurityPolicy-TLS13-1-2-*`, `-TLS13-1-3-*`, `-TLS-1-2-*` or `-FS-1-2-*`).
   * The default, `elbv2.SslPolicy.RECOMMENDED_TLS` (`ELBSecurityPolicy-TLS13-1-2-2021-06`), is the
   * policy earlier releases used, kept so that no client that connects today is turned away by an
   * upgrade. The Elastic Load Balancing guide now recommends
   * `elbv2.SslPolicy.TLS13_12_RES_PQ` (`ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09`: hybrid
   * post-quantum key exchange, TLS 1.2 restricted to AES-GCM ciphers with forward secrecy), which
   * refuses clients that know only the AES-CBC TLS 1.2 ciphers. Changing it updates the listener in
   * place.
   *
   * @default elbv2.SslPolicy.RECOMMENDED_TLS ('ELBSecurityPolicy-TLS13-1-2-2021-06')
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * Whether the load balancer has deletion protection: while it is on, Elastic Load Balancing
   * refuses to delete the load balancer, so deleting the stack (`cdk destroy`) fails and leaves the
   * stack in `DELETE_FAILED` with the load balancer still running. To tear such a deployment down,
   * first deploy it with `deletionProtection: false` (CloudFormation changes the load balancer's
   * attribute in place), then destroy it. Turning it on or off later is an in-place update too.
   *
   * It is off by default because the web tier is meant to come and go (its data lives elsewhere);
   * NIST 800-53 and HIPAA `ELBDeletionProtectionEnabled` is then acknowledged on the load balancer.
   * Turn it on for a production load balancer whose DNS name clients depend on.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;

  /**
   * The AWS WAF web ACL that inspects every request before it reaches the application:
   * `WebAcl.managedRules()` creates one with AWS managed rule groups ($8 a month plus $0.60 per
   * million requests, and its log), `WebAcl.fromArn(arn)` associates a regional web ACL you manage.
   * Without one, requests reach the application unfiltered and NIST 800-53 and PCI DSS
   * `ALBWAFEnabled` is acknowledged on the load balancer.
   *
   * @default - no web ACL
   */
  readonly webAcl?: WebAcl;

  /**
   * The average CPU utilisation (1 to 100 percent) that target-tracking scaling keeps the group at.
   * A fixed-size group (`minCapacity` equal to `maxCapacity`) has no scaling policy.
   *
   * @default 50
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * The bucket the load balancer writes its access logs to. It must use SSE-S3 encryption (the
   * load balancer cannot write with a KMS key) and be in the load balancer's region. In a stack
   * with a concrete region, a bucket this app defines is given the bucket policy statements that
   * let the region's Elastic Load Balancing deliver logs under `AWSLogs/<account>/`; an imported
   * bucket's policy must already allow it. In an environment-agnostic stack no statement can name
   * the region's Elastic Load Balancing account, so the bucket's policy must already allow
   * delivery whatever bucket it is. Give one to log access to the log bucket itself (server access
   * logging, which the bucket the construct creates does not have) or to set its retention.
   *
   * @default - a new bucket: SSE-S3 encrypted, SSL-only, public access blocked, versioned,
   * retained on stack deletion, logs expired after 365 days and their noncurrent versions 30 days
   * later
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * Replicates the access logs from the bucket the construct creates to a bucket of yours,
   * typically in another region, so that they survive the loss of the region or of the bucket.
   * Not with `accessLogsBucket` (configure replication of your own bucket yourself). Turning it on
   * later updates the bucket in place; logs written before then are not replicated.
   *
   * Cost: the replicas' storage in the destination bucket, S3's charge for data transferred to
   * another region and the destination's PUT requests (one per log file: each load balancer node
   * writes a file every 5 minutes).
   *
   * @default - no replication: the logs live in one bucket in one region, and NIST 800-53, HIPAA
   * and PCI DSS `S3BucketReplicationEnabled` is acknowledged on the bucket
   */
  readonly accessLogsReplication?: AccessLogsReplication;

  /**
   * Whether the construct creates its CloudWatch alarms (target 5xx rate, unhealthy hosts, p99
   * response time, a zone without healthy hosts, the group at its maximum size; see
   * `alarmSettings`), each sending its ALARM and OK notifications to `notificationTopic`. Turn them
   * off when your own monitoring watches the application; rollouts then watch no alarms either.
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * Thresholds and evaluation periods of the alarms in place of their defaults, or `enabled: false`
   * for one of them. Only with `alarms` on.
   *
   * @default - every alarm with its documented default
   */
  readonly alarmSettings?: HighlyAvailableWebAppAlarmSettings;

  /**
   * How a release (a new launch template version, from new user data or a new image) rolls out:
   * after each new instance turns healthy in the load balancer, it watches the alarms for a bake
   * time before it tells CloudFormation it is ready, and reports failure if one fires, which
   * fails the update and makes CloudFormation roll it back to the previous instances.
   *
   * @default - bake for 5 minutes, watching the alarms that show a bad release (target 5xx rate,
   * unhealthy hosts, p99 response time)
   */
  readonly rollout?: WebAppRollout;

  /**
   * The topic that receives the Auto Scaling group's launch, terminate and failure notifications,
   * and the alarms' notifications. A topic of your own must let CloudWatch alarms publish
   * (`sns:Publish` for `cloudwatch.amazonaws.com` in its topic policy, and `kms:GenerateDataKey*`
   * and `kms:Decrypt` in its key policy when it is encrypted; SNS's default topic policy allows
   * this account's alarms). EC2 Auto Scaling publishes with its service-linked role, so a topic encrypted with a
   * customer managed key needs a key policy statement allowing `kms:GenerateDataKey*` and
   * `kms:Decrypt` to `aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`
   * (condition `aws:PrincipalArn`). The construct adds it to a `kms.Key` this app defines in the
   * same account (the topic's `masterKey`), and warns when the key is one it cannot change; for a
   * topic imported without its key (`Topic.fromTopicArn`), add the statement yourself.
   *
   * @default - a new topic encrypted with its own KMS key and accepting only TLS publishers
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * The alarms of a {@link HighlyAvailableWebApp}: each one on by default, with the threshold (in the
 * unit named) and evaluation periods (of 1 minute) documented here.
 */
export interface HighlyAvailableWebAppAlarmSettings {
  /**
   * The percentage of the instances' answers with a 5xx status (`HTTPCode_Target_5XX_Count` /
   * `RequestCount` of the target group, each minute; 0 without requests) at or above `threshold`.
   * Threshold from 0.1 to 100. Watched by rollouts.
   *
   * @default - 5% for 5 periods
   */
  readonly targetServerErrorRate?: AlarmSetting;

  /**
   * `UnHealthyHostCount` of the target group (maximum per minute) at or above `threshold`
   * instances. Threshold a whole number from 1 to 10000. Watched by rollouts.
   *
   * @default - 1 instance for 5 periods
   */
  readonly unhealthyHosts?: AlarmSetting;

  /**
   * `TargetResponseTime` of the target group, 99th percentile per minute, at or above `threshold`
   * seconds. Threshold from 0.01 to 3600. Watched by rollouts.
   *
   * @default - 2 seconds for 5 periods
   */
  readonly targetResponseTime?: AlarmSetting;

  /**
   * One alarm per Availability Zone of the instances: `HealthyHostCount` of the target group in
   * that zone (minimum per minute) below `threshold`; a zone without data counts as below. Only
   * when `minCapacity` puts an instance in every zone (at least as many instances as zones), since
   * a smaller group leaves a zone empty by design. Threshold a whole number from 1 to 10000.
   *
   * @default - below 1 healthy instance for 3 periods
   */
  readonly healthyHostsInZone?: AlarmSetting;

  /**
   * The group within `threshold` instances of its maximum size (`GroupMaxSize` less
   * `GroupDesiredCapacity`, each minute, at or below `threshold`): scaling can add no more. Only
   * for a group that scales (`minCapacity` below `maxCapacity`). Threshold a whole number from 0
   * to 10000.
   *
   * @default - 0 (at the maximum) for 15 periods
   */
  readonly atMaxCapacity?: AlarmSetting;
}

/**
 * How a {@link HighlyAvailableWebApp} rolls a release out, on top of the health signals (each new
 * instance must turn healthy in the load balancer within `instanceReadyTimeout`).
 */
export interface WebAppRollout {
  /**
   * How long each new instance watches the alarms after it turned healthy, before it signals
   * CloudFormation. The rolling update replaces one instance at a time, so a release takes about
   * (boot + bake) per instance. From 1 minute; `instanceReadyTimeout` plus `bakeTime` is at most
   * 1 hour (the longest `PauseTime`). Give the alarms time to fire: their default is 5 periods of
   * 1 minute.
   *
   * @default Duration.minutes(5)
   */
  readonly bakeTime?: Duration;

  /**
   * Whether the rollout watches the alarms and fails the update when one of them goes to ALARM
   * during the bake (an alarm already in ALARM when the bake starts is ignored, so that a release
   * that fixes it can roll out). With `false`, an instance signals as soon as it is healthy.
   * Watched: target 5xx rate, unhealthy hosts and p99 response time, those that are on. At a stack's
   * creation the alarms do not exist yet, so the first instances do not bake.
   *
   * @default - true when `alarms` is on
   */
  readonly rollbackOnAlarms?: boolean;
}

/**
 * Where the access logs of a {@link HighlyAvailableWebApp} are replicated to.
 */
export interface AccessLogsReplication {
  /**
   * The bucket that receives the replicas, usually in another region (for example
   * `s3.Bucket.fromBucketName(this, 'LogsReplica', 'my-logs-replica-us-east-1')`). It must have
   * versioning enabled (S3 replicates only between versioned buckets) and, when it belongs to
   * another account, a bucket policy that lets this account replicate into it. Replication
   * creates the replicas but does not delete them when the source's logs expire (delete markers
   * are not replicated): give the destination a lifecycle rule of its own.
   */
  readonly destination: s3.IBucket;

  /**
   * The storage class of the replicas.
   *
   * @default - the storage class of the source objects (S3 Standard)
   */
  readonly storageClass?: s3.StorageClass;
}

/**
 * A web application that keeps serving when an instance or an Availability Zone fails: an
 * internet-facing Application Load Balancer in public subnets in front of an Auto Scaling group of
 * EC2 instances in private subnets, spread over at least two Availability Zones, each zone with its
 * own NAT gateway.
 *
 * Security groups are chained: the internet reaches only the load balancer's listener ports, the
 * load balancer reaches only the application port of the instances, and anything the application
 * calls (a database) is opened to the application's security group through `connections`.
 *
 * @example
 * const app = new HighlyAvailableWebApp(this, 'Shop', {
 *   userData: ec2.UserData.forLinux(),
 *   minCapacity: 2,
 *   maxCapacity: 6,
 *   healthCheckPath: '/health',
 * });
 * new CfnOutput(this, 'Url', { value: app.url });
 */
export class HighlyAvailableWebApp extends Construct implements ec2.IConnectable {
  /** The VPC the application runs in (the given one or the new one). */
  public readonly vpc: ec2.IVpc;

  /** The internet-facing Application Load Balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;

  /** The listener that forwards to the instances: HTTPS on 443 with a certificate, else HTTP on 80. */
  public readonly listener: elbv2.ApplicationListener;

  /** The target group of the Auto Scaling group's instances. */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;

  /** The Auto Scaling group of application servers. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  /** The launch template the Auto Scaling group launches from. */
  public readonly launchTemplate: ec2.LaunchTemplate;

  /** The load balancer's security group: listener ports in from anywhere, the app port out to the app. */
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;

  /** The application instances' security group: the app port in from the load balancer only. */
  public readonly appSecurityGroup: ec2.SecurityGroup;

  /** The topic that receives the Auto Scaling group's notifications. */
  public readonly notificationTopic: sns.ITopic;

  /**
   * The application tier's connections (its security group, default port `appPort`). Allow the
   * application to reach something with `database.connections.allowDefaultPortFrom(webApp)`.
   */
  public readonly connections: ec2.Connections;

  /** The URL users reach the application at: `https://` with a certificate, else `http://`, and the load balancer's DNS name. */
  public readonly url: string;

  /** The ARN of the web ACL associated with the load balancer (with `webAcl` only). */
  public readonly webAclArn?: string;

  /** The alarms (see `alarmSettings`), empty with `alarms: false`. */
  public readonly alarms: cloudwatch.IAlarm[];

  private readonly metrics: WebAppMetrics;
  private readonly zones: string[];
  private readonly probeSettings: { readonly https: boolean; readonly path: string };

  constructor(scope: Construct, id: string, props: HighlyAvailableWebAppProps = {}) {
    super(scope, id);

    const resolved = resolveProps(this, props);
    validate(props, resolved);

    this.vpc =
      resolved.vpc ??
      createFlowLoggedVpc(this, 'Vpc', {
        maxAzs: resolved.maxAzs,
        natGateways: resolved.natGateways,
        privateSubnets: true,
        flowLogsId: 'FlowLogs',
        publicSubnetsHold: 'the internet-facing Application Load Balancer',
      });

    // Security groups: internet -> load balancer (listener ports) -> app (app port) -> whatever the app is allowed to reach.
    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'Internet-facing load balancer: listener ports in from anywhere, app port out to the app tier',
      allowAllOutbound: false,
    });
    this.appSecurityGroup = new ec2.SecurityGroup(this, 'AppSecurityGroup', {
      vpc: this.vpc,
      description: 'Application instances: app port in from the load balancer only, HTTPS out',
      allowAllOutbound: false,
    });
    // Systems Manager, package repositories and AWS APIs are reached over HTTPS through the NAT gateways.
    this.appSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs and package repositories',
    );
    this.loadBalancerSecurityGroup.connections.allowTo(
      this.appSecurityGroup,
      ec2.Port.tcp(resolved.appPort),
      'Load balancer to the application port',
    );
    this.connections = new ec2.Connections({
      securityGroups: [this.appSecurityGroup],
      defaultPort: ec2.Port.tcp(resolved.appPort),
    });

    const instanceRole = createSessionManagerRole(
      this,
      'InstanceRole',
      'Application instances: Systems Manager access, and signalling CloudFormation once healthy',
    );
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: resolved.instanceType,
      machineImage: resolved.machineImage,
      userData: resolved.userData,
      role: instanceRole,
      securityGroup: this.appSecurityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: resolved.rootDeviceName,
          volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });

    if (resolved.notificationTopic !== undefined) {
      admitServiceLinkedPublishers(this, 'notificationTopic', resolved.notificationTopic, [AUTO_SCALING_PUBLISHER]);
    }
    this.notificationTopic =
      resolved.notificationTopic ??
      createEncryptedTopic(this, 'ScalingNotifications', {
        purpose: 'Auto Scaling notifications',
        serviceLinkedPublishers: [AUTO_SCALING_PUBLISHER],
      });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: this.launchTemplate,
      minCapacity: resolved.minCapacity,
      maxCapacity: resolved.maxCapacity,
      desiredCapacity: resolved.desiredCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: resolved.healthCheckGracePeriod,
      }),
      // Creation waits for every instance it launches to turn healthy in the load balancer (each
      // signals once it has; see addReadinessSignal).
      signals: autoscaling.Signals.waitForAll({ timeout: signalTimeout(resolved) }),
      // A new launch template version replaces the instances one at a time, keeping the rest in
      // service; each replacement must signal that it is healthy within the timeout, or the update
      // fails and rolls back. Health checks and the replacement of unhealthy instances keep running
      // during the update (only scaling, scheduled actions and zone rebalancing are suspended), so
      // an old instance that fails meanwhile is still replaced.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: minInstancesInService(resolved.minCapacity, resolved.maxCapacity),
        waitOnResourceSignals: true,
        pauseTime: signalTimeout(resolved),
        suspendProcesses: [
          autoscaling.ScalingProcess.AZ_REBALANCE,
          autoscaling.ScalingProcess.ALARM_NOTIFICATION,
          autoscaling.ScalingProcess.SCHEDULED_ACTIONS,
        ],
      }),
      notifications: [{ topic: this.notificationTopic }],
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    // A fixed-size group (minCapacity = maxCapacity) has nothing to scale: target tracking on it
    // could never act (cfn-lint E3712 refuses it), so it gets none.
    if (groupScales(resolved)) {
      this.autoScalingGroup.scaleOnCpuUtilization('CpuTargetTracking', {
        targetUtilizationPercent: resolved.targetCpuUtilizationPercent,
      });
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      internetFacing: true,
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: resolved.deletionProtection,
    });
    if (resolved.accessLogsBucket !== undefined && Token.isUnresolved(resolved.region)) {
      // logAccessLogs() names the region's Elastic Load Balancing principal in a bucket policy, which
      // needs a concrete region; a given bucket's policy is the user's (see accessLogsBucket), so in
      // an environment-agnostic stack only the load balancer's attributes are set.
      this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
      this.loadBalancer.setAttribute('access_logs.s3.bucket', resolved.accessLogsBucket.bucketName);
      this.loadBalancer.setAttribute('access_logs.s3.prefix', '');
    } else {
      this.loadBalancer.logAccessLogs(resolved.accessLogsBucket ?? this.createAccessLogsBucket(resolved));
    }

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      port: resolved.appPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [this.autoScalingGroup],
      healthCheck: {
        path: resolved.healthCheckPath,
        interval: resolved.healthCheckInterval,
        timeout: healthCheckTimeout(resolved.healthCheckInterval),
        healthyThresholdCount: resolved.healthyThresholdCount,
        unhealthyThresholdCount: resolved.healthyThresholdCount,
        healthyHttpCodes: '200-399',
      },
    });

    let httpListener: elbv2.ApplicationListener;
    if (resolved.certificate) {
      this.listener = this.loadBalancer.addListener('HttpsListener', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [resolved.certificate],
        sslPolicy: resolved.sslPolicy,
        defaultTargetGroups: [this.targetGroup],
        open: true,
      });
      // The port 80 listener keeps the id it has without a certificate, so adding a certificate
      // later updates it in place (to a redirect) instead of creating a second listener on port 80
      // next to the old one, which the load balancer would refuse (one listener per port).
      httpListener = this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
        open: true,
      });
      this.url = `https://${this.loadBalancer.loadBalancerDnsName}`;
    } else {
      httpListener = this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
        open: true,
      });
      this.listener = httpListener;
      this.url = `http://${this.loadBalancer.loadBalancerDnsName}`;
    }

    if (resolved.webAcl) {
      this.webAclArn = resolved.webAcl._bind(this, this.loadBalancer).webAclArn;
    }

    // Alarms to the topic, from the same metrics as the dashboard (the target group's metrics need
    // its listener, so they come after it).
    this.metrics = new WebAppMetrics(this.loadBalancer, this.targetGroup, this.autoScalingGroup);
    this.zones = this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).availabilityZones;
    this.probeSettings = { https: resolved.certificate !== undefined, path: resolved.healthCheckPath };
    const alarms = new ConstructAlarms(this, {
      topic: this.notificationTopic,
      enabled: resolved.alarms,
      settingsProp: 'alarmSettings',
      settings: resolved.alarmSettings,
    });
    const specs = webAppAlarmSpecs(this.metrics, {
      zones: this.zones,
      scales: groupScales(resolved),
      everyZoneHoldsOne: Token.isUnresolved(resolved.minCapacity) || resolved.minCapacity >= this.zones.length,
    });
    for (const spec of specs) alarms.add(spec);
    this.alarms = alarms.alarms;
    // The rollout reads the watched alarms by their literal names (the alarms' own alarmName is a
    // reference, which would make the user data depend on the alarms).
    const watched = resolved.rollbackOnAlarms
      ? specs
          .filter((spec) => ROLLOUT_ALARM_SETTINGS.includes(spec.setting) && alarms.get(spec.setting) !== undefined)
          .map((spec) => alarmName(this, spec.id))
      : [];

    addReadinessSignal(this, {
      userData: resolved.userData,
      role: instanceRole,
      autoScalingGroup: this.autoScalingGroup,
      targetGroup: this.targetGroup,
      port: resolved.appPort,
      timeout: resolved.instanceReadyTimeout,
      bake: watched.length > 0 ? { alarmNames: watched, time: resolved.bakeTime } : undefined,
    });

    acknowledge(this.loadBalancerSecurityGroup, {
      id: 'AwsSolutions-EC23',
      reason:
        'This is the security group of an internet-facing load balancer: it admits the internet on the listener ports only (80, and 443 with a certificate); the instances behind it admit only this group.',
    });
    this.acknowledgeOptionsLeftOff(resolved, httpListener);
  }

  /**
   * The percentage of the instances' answers with a 5xx status each minute
   * (`HTTPCode_Target_5XX_Count` / `RequestCount` of the target group; 0 without requests).
   */
  public metricTargetServerErrorRate(): cloudwatch.IMetric {
    return this.metrics.targetServerErrorRate();
  }

  /** `RequestCount` of the target group: requests routed to the instances, sum per minute. */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.requests(props);
  }

  /** `UnHealthyHostCount` of the target group, maximum per minute. */
  public metricUnhealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.unhealthyHosts(props);
  }

  /**
   * `HealthyHostCount` of the target group in one Availability Zone (for example
   * `app.vpc.privateSubnets[0].availabilityZone`), minimum per minute.
   */
  public metricHealthyHostCountInZone(zone: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.healthyHostsInZone(zone, props);
  }

  /** `TargetResponseTime` of the target group in seconds, 99th percentile per minute. */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.targetResponseTime(props);
  }

  /** How many more instances the group may launch each minute: `GroupMaxSize` less `GroupDesiredCapacity`. */
  public metricCapacityHeadroom(): cloudwatch.IMetric {
    return this.metrics.capacityHeadroom();
  }

  /**
   * Adds fault-injection experiments (AWS FIS) that prove the pattern's claims, and a verifier
   * that measures them. Nothing runs on deployment.
   *
   * - `TerminateInstance`: terminates one instance of the group; the load balancer stops sending
   *   it traffic and the group replaces it. Budget: 30 s.
   * - `ZoneLost1`, `ZoneLost2`...: one per Availability Zone: stops the group's instances in that
   *   zone and cuts the zone's public and application subnets off (a network ACL that denies all
   *   traffic) for `faultDuration`; the other zone keeps serving. Budget: 30 s.
   * - `CpuStress`: loads every CPU of one instance to 100% for `faultDuration`
   *   (AWSFIS-Run-CPU-Stress), to exercise the scaling and the alarms. Budget: 30 s.
   *
   * Targets are the group's instances (by the tag `aws:autoscaling:groupName`) and the VPC's
   * subnets of the zone; the role may act on nothing else. The alarms clients would notice
   * (`TargetServerErrorRate`, `TargetResponseTime`) are the stop conditions. The verifier requests
   * `healthCheckPath` from the load balancer every 5 seconds, as users reach it.
   *
   * @param options the fault's duration, more stop conditions, the budget, and whether to verify
   */
  public addResilienceExperiments(options: ResilienceExperimentOptions = {}): ResilienceExperiments {
    if (this.node.tryFindChild('ResilienceExperiments')) {
      throw new Error(`addResilienceExperiments() was already called on ${this.node.path}: call it once`);
    }
    const stack = Stack.of(this);
    const stops = this.alarms.filter((a) => ['TargetServerErrorRate', 'TargetResponseTime'].includes(a.node.id));
    validateResilienceOptions(options, 'HighlyAvailableWebApp', stops.length);
    // The load balancer's and the instances' subnets of the zone (a database's isolated ones stay up).
    const zoneSubnets = (zone: string) =>
      [...this.vpc.publicSubnets, ...this.vpc.privateSubnets].filter((s) => s.availabilityZone === zone);
    const group = groupExperiments({
      stack,
      path: this.node.path,
      tags: { 'aws:autoscaling:groupName': this.autoScalingGroup.autoScalingGroupName },
      zones: this.zones.map((zone) => ({ zone, subnets: zoneSubnets(zone) })),
      vpc: this.vpc,
      faultDuration: options.faultDuration ?? Duration.minutes(5),
      what: 'the instances',
      cpuStress: true,
    });
    const budget = Duration.seconds(30);
    const https = this.probeSettings.https;
    return ResilienceExperiments._create(
      this,
      {
        constructName: 'HighlyAvailableWebApp',
        experiments: [
          { name: 'TerminateInstance', ...group.terminate, stopConditions: stops, budget },
          ...group.zonesLost.map((z) => ({ ...z, stopConditions: stops, budget })),
          { name: 'CpuStress', ...group.cpuStress, stopConditions: stops, budget },
        ],
        permissions: (role) => group.statements.forEach((st) => role.addToPrincipalPolicy(st)),
        acknowledgements: group.acknowledgements,
        notificationTopic: this.notificationTopic,
        probe: {
          protocol: https ? 'https' : 'http',
          host: this.loadBalancer.loadBalancerDnsName,
          port: https ? 443 : 80,
          path: this.probeSettings.path,
          what: "the load balancer's URL",
        },
      },
      options,
    );
  }

  /**
   * Adds the application's section to a dashboard: its alarms' state, requests beside the 5xx
   * rate, the p99 response time, healthy hosts per zone beside the unhealthy ones, and the group's
   * size against its maximum.
   * The recovery times the resilience verifier measured follow, when `addResilienceExperiments()`
   * was called before (`MeasuredRecoveryTime` per experiment, with a line at each budget).
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    addDashboardSection(dashboard, this.node.path, this.alarms, [
      ...webAppDashboardRows(this.metrics, this.zones),
      ...measuredRecoveryRows(this),
    ]);
  }

  /**
   * The compliance findings of the controls a prop turns on, acknowledged on the one resource each
   * concerns when the prop is left off (each reason names the prop), and the checks that do not
   * apply to the HTTP listener and the load balancer's security group.
   */
  private acknowledgeOptionsLeftOff(
    resolved: ResolvedHighlyAvailableWebAppProps,
    httpListener: elbv2.ApplicationListener,
  ): void {
    const loadBalancer = this.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer;
    const http = httpListener.node.defaultChild as elbv2.CfnListener;
    const securityGroup = this.loadBalancerSecurityGroup.node.defaultChild as ec2.CfnSecurityGroup;

    if (!resolved.deletionProtection) {
      acknowledgeInPacks(
        loadBalancer,
        'ELBDeletionProtectionEnabled',
        ['NIST.800.53.R5', 'HIPAA.Security'],
        'Deletion protection is off (the default) so that the web tier can be destroyed with its stack; it holds no data. Set deletionProtection: true to turn it on (turn it off again before destroying).',
      );
    }
    if (!resolved.webAcl) {
      acknowledgeInPacks(
        loadBalancer,
        'ALBWAFEnabled',
        ['NIST.800.53.R5', 'PCI.DSS.321'],
        'No AWS WAF web ACL was chosen for this load balancer (it costs from $8 a month plus $0.60 per million requests). Set webAcl: WebAcl.managedRules() for AWS managed rule groups, or WebAcl.fromArn(arn) for a web ACL of your own.',
      );
    }
    if (resolved.certificate) {
      acknowledgeInPacks(
        http,
        'ELBv2ACMCertificateRequired',
        ALL_PACKS,
        'This port 80 listener only redirects every request (301) to the HTTPS listener on 443, which serves the ACM certificate given as certificate; an HTTP listener carries no certificate.',
      );
      skipCheckov(securityGroup, {
        id: 'CKV_AWS_260',
        comment:
          'Security group of an internet-facing load balancer: port 80 is open to the internet only for the listener that redirects HTTP to HTTPS on 443.',
      });
    } else {
      const reason =
        'No certificate was given, so this load balancer serves plain HTTP on port 80 (the default). Give certificate (an ACM certificate) to serve HTTPS on 443 and redirect this listener to it.';
      acknowledgeInPacks(http, 'ALBHttpToHttpsRedirection', ALL_PACKS, reason);
      acknowledgeInPacks(http, 'ELBv2ACMCertificateRequired', ALL_PACKS, reason);
      skipCheckov(http, { id: 'CKV_AWS_2', comment: reason }, { id: 'CKV_AWS_103', comment: reason });
      skipCheckov(securityGroup, {
        id: 'CKV_AWS_260',
        comment:
          'Security group of an internet-facing load balancer whose listener is HTTP on port 80 (no certificate given): the internet must reach that port. With certificate, port 80 only redirects to HTTPS.',
      });
    }
  }

  private createAccessLogsBucket(resolved: ResolvedHighlyAvailableWebAppProps): s3.Bucket {
    const replication = resolved.accessLogsReplication;
    const replicationRole = replication
      ? new ManagedPolicyRole(this, 'AccessLogsReplicationRole', {
          assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
          description: 'S3 replication of the load balancer access logs to the accessLogsReplication destination',
        })
      : undefined;
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // A log file is written once and never overwritten, so versions come only from deletions and
      // expiry: each expired or deleted log stays recoverable for 30 days as a noncurrent version,
      // then goes, so the bucket holds at most 395 days of logs and its cost stays flat.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'ExpireAccessLogs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) },
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
      replicationRole,
      replicationRules: replication
        ? [
            {
              id: 'ReplicateAccessLogs',
              destination: replication.destination,
              storageClass: replication.storageClass,
              deleteMarkerReplication: false,
            },
          ]
        : undefined,
    });
    if (replication && replicationRole) {
      grantReplication(replicationRole, bucket, replication.destination);
      const stack = Stack.of(this);
      acknowledge(
        replicationRole.node.findChild('Policy'),
        {
          id: `AwsSolutions-IAM5[Resource::${nagFlatten(stack, bucket.arnForObjects('*'))}]`,
          reason:
            'S3 replication reads each version of every access log in this bucket (with its ACL and tags) to replicate it: the object actions are granted on the objects of this bucket only.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagFlatten(stack, replication.destination.arnForObjects('*'))}]`,
          reason:
            'S3 replication writes a replica (and its tags) of every access log into the accessLogsReplication destination: the object actions are granted on the objects of that bucket only.',
        },
      );
    }

    acknowledge(bucket, {
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is itself the destination of the load balancer access logs; logging access to it would need another bucket whose own access would need logging in turn.',
    });
    const resource = bucket.node.defaultChild as s3.CfnBucket;
    const logging =
      'This bucket holds the load balancer access logs; logging access to it would need another bucket whose access would need logging in turn. To keep the logs in a bucket with server access logging, give accessLogsBucket.';
    acknowledgeInPacks(resource, 'S3BucketLoggingEnabled', ALL_PACKS, logging);
    skipCheckov(resource, { id: 'CKV_AWS_18', comment: logging });
    acknowledgeInPacks(
      resource,
      'S3DefaultEncryptionKMS',
      ALL_PACKS,
      'Application Load Balancer access logs need SSE-S3: the Elastic Load Balancing guide (Enable access logs for your Application Load Balancer) says "The only server-side encryption option that\'s supported is Amazon S3-managed keys (SSE-S3)". The bucket is encrypted with SSE-S3.',
    );
    if (!replication) {
      acknowledgeInPacks(
        resource,
        'S3BucketReplicationEnabled',
        ALL_PACKS,
        'The access logs are kept in this one versioned bucket (the default). Set accessLogsReplication: { destination } to replicate them to a bucket in another region.',
      );
    }
    return bucket;
  }
}

/** cdk-nag's compliance packs, as they prefix their rule ids. */
const ALL_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/**
 * A value as cdk-nag prints it in a granular finding id: resolved, with `Ref` as `<Id>`,
 * `Fn::GetAtt` as `<Id.Attribute>` and `Fn::Join` joined.
 */
function nagFlatten(stack: Stack, value: string): string {
  const visit = (node: any): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (node['Fn::Join']) {
      const [delimiter, items] = node['Fn::Join'];
      return items.map(visit).join(delimiter);
    }
    if (node['Fn::GetAtt']) {
      const [resource, attribute] = node['Fn::GetAtt'];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (node.Ref) return `<${visit(node.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(stack.resolve(value));
}

/** Acknowledges `rule` of each of `packs` on `scope` with one reason. */
function acknowledgeInPacks(scope: IConstruct, rule: string, packs: string[], reason: string): void {
  acknowledge(scope, ...packs.map((pack) => ({ id: `${pack}-${rule}`, reason })));
}

/**
 * The permissions S3 replication needs (Amazon S3 User Guide, "Setting up permissions for live
 * replication"): read the source's replication configuration and list it, read each object
 * version with its ACL and tags, and write replicas, deletes and tags to the destination.
 */
function grantReplication(role: iam.IRole, source: s3.IBucket, destination: s3.IBucket): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      resources: [source.bucketArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
      resources: [source.arnForObjects('*')],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      resources: [destination.arnForObjects('*')],
    }),
  );
}

/**
 * The props of a {@link HighlyAvailableWebApp} with every default applied: the constructor builds
 * from these alone. Defaults that are resources (the VPC, the access-logs bucket, the topic) stay
 * unset here and are created where the constructor needs them, so the template keeps its order.
 */
interface ResolvedHighlyAvailableWebAppProps {
  /** The given VPC; unset when the construct creates one. */
  readonly vpc?: ec2.IVpc;
  /** Of the new VPC (unused with `vpc`). */
  readonly maxAzs: number;
  /** Of the new VPC (unused with `vpc`). */
  readonly natGateways: number;
  readonly instanceType: ec2.InstanceType;
  readonly machineImage: ec2.IMachineImage;
  readonly rootDeviceName: string;
  readonly userData: ec2.UserData;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Unset lets scaling own the group's size. */
  readonly desiredCapacity?: number;
  readonly appPort: number;
  readonly healthCheckPath: string;
  readonly healthyThresholdCount: number;
  readonly healthCheckInterval: Duration;
  readonly healthCheckGracePeriod: Duration;
  readonly instanceReadyTimeout: Duration;
  /** Unset serves HTTP only. */
  readonly certificate?: acm.ICertificate;
  /** Of the HTTPS listener (used with `certificate` only). */
  readonly sslPolicy: elbv2.SslPolicy;
  readonly deletionProtection: boolean;
  /** Unset associates no web ACL. */
  readonly webAcl?: WebAcl;
  readonly targetCpuUtilizationPercent: number;
  /** The given bucket; unset when the construct creates one. */
  readonly accessLogsBucket?: s3.IBucket;
  /** Unset replicates nothing. */
  readonly accessLogsReplication?: AccessLogsReplication;
  /** The given topic; unset when the construct creates one. */
  readonly notificationTopic?: sns.ITopic;
  readonly alarms: boolean;
  readonly alarmSettings?: HighlyAvailableWebAppAlarmSettings;
  readonly bakeTime: Duration;
  readonly rollbackOnAlarms: boolean;
  /** The region of the stack (a token in an environment-agnostic stack). */
  readonly region: string;
}

function resolveProps(scope: Construct, props: HighlyAvailableWebAppProps): ResolvedHighlyAvailableWebAppProps {
  const maxAzs = props.maxAzs ?? 2;
  return {
    vpc: props.vpc,
    maxAzs,
    natGateways: props.natGateways ?? maxAzs,
    instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
    machineImage: props.machineImage ?? ec2.MachineImage.latestAmazonLinux2023(),
    rootDeviceName: props.rootDeviceName ?? '/dev/xvda',
    userData: props.userData ?? ec2.UserData.forLinux(),
    minCapacity: props.minCapacity ?? 2,
    maxCapacity: props.maxCapacity ?? 4,
    desiredCapacity: props.desiredCapacity,
    appPort: props.appPort ?? 80,
    healthCheckPath: props.healthCheckPath ?? '/',
    healthyThresholdCount: props.healthyThresholdCount ?? 2,
    healthCheckInterval: props.healthCheckInterval ?? Duration.seconds(10),
    healthCheckGracePeriod: props.healthCheckGracePeriod ?? Duration.minutes(5),
    instanceReadyTimeout: props.instanceReadyTimeout ?? Duration.minutes(15),
    certificate: props.certificate,
    sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
    deletionProtection: props.deletionProtection ?? false,
    webAcl: props.webAcl,
    targetCpuUtilizationPercent: props.targetCpuUtilizationPercent ?? 50,
    accessLogsBucket: props.accessLogsBucket,
    accessLogsReplication: props.accessLogsReplication,
    notificationTopic: props.notificationTopic,
    alarms: props.alarms ?? true,
    alarmSettings: props.alarmSettings,
    bakeTime: props.rollout?.bakeTime ?? Duration.minutes(5),
    rollbackOnAlarms: props.rollout?.rollbackOnAlarms ?? props.alarms ?? true,
    region: Stack.of(scope).region,
  };
}

/** Whether the group can scale: its minimum is below its maximum (or either is a token). */
function groupScales(v: ResolvedHighlyAvailableWebAppProps): boolean {
  return Token.isUnresolved(v.minCapacity) || Token.isUnresolved(v.maxCapacity) || v.minCapacity < v.maxCapacity;
}

/** Whether new instances bake before they signal: the rollout watches at least one alarm. */
function bakes(v: ResolvedHighlyAvailableWebAppProps): boolean {
  const settings = v.alarmSettings as Record<string, AlarmSetting | undefined> | undefined;
  return v.alarms && v.rollbackOnAlarms && ROLLOUT_ALARM_SETTINGS.some((key) => settings?.[key]?.enabled !== false);
}

/**
 * How long CloudFormation waits for an instance's signal (creation policy and `PauseTime`): the
 * time it has to turn healthy, plus the bake when it bakes.
 */
function signalTimeout(v: ResolvedHighlyAvailableWebAppProps): Duration {
  return bakes(v)
    ? Duration.seconds(v.instanceReadyTimeout.toSeconds() + v.bakeTime.toSeconds())
    : v.instanceReadyTimeout;
}

/**
 * Every check of the props, the given VPC included, reported in one error. `props` is read only
 * to tell whether `maxAzs` and `natGateways` were set at all; every value checked is settled.
 */
function validate(props: HighlyAvailableWebAppProps, v: ResolvedHighlyAvailableWebAppProps): void {
  const check = new PropsValidator('HighlyAvailableWebApp');
  if (v.vpc === undefined) {
    check.integerInRange('maxAzs', v.maxAzs, 2, 16);
    if (!Token.isUnresolved(v.natGateways) && v.natGateways < 1) {
      check.fail(
        'natGateways',
        'must be at least 1: the instances run in private subnets and reach Systems Manager and package repositories through a NAT gateway',
        v.natGateways,
      );
    } else {
      check.integerInRange('natGateways', v.natGateways, 1, Token.isUnresolved(v.maxAzs) ? 16 : Math.max(v.maxAzs, 1));
    }
  } else {
    if (props.maxAzs !== undefined) {
      check.fail('maxAzs', 'is only used for a new VPC; it must not be set with vpc', props.maxAzs);
    }
    if (props.natGateways !== undefined) {
      check.fail('natGateways', 'is only used for a new VPC; it must not be set with vpc', props.natGateways);
    }
    const zonesOf = (subnets: ec2.ISubnet[]) => new Set(subnets.map((s) => s.availabilityZone)).size;
    const publicZones = zonesOf(v.vpc.publicSubnets);
    const privateZones = zonesOf(v.vpc.privateSubnets);
    if (publicZones < 2) {
      check.fail(
        'vpc',
        'must have public subnets in at least 2 Availability Zones (for the load balancer)',
        `${publicZones} zone(s)`,
      );
    }
    if (privateZones < 2) {
      check.fail(
        'vpc',
        'must have private subnets with egress in at least 2 Availability Zones (for the instances)',
        `${privateZones} zone(s)`,
      );
    }
  }
  check.integerInRange('minCapacity', v.minCapacity, 0, 10_000);
  check.integerInRange('maxCapacity', v.maxCapacity, 1, 10_000);
  check.integerInRange('desiredCapacity', v.desiredCapacity, 0, 10_000);
  check.ordered('minCapacity', v.minCapacity, 'maxCapacity', v.maxCapacity);
  check.ordered('minCapacity', v.minCapacity, 'desiredCapacity', v.desiredCapacity);
  check.ordered('desiredCapacity', v.desiredCapacity, 'maxCapacity', v.maxCapacity);
  check.port('appPort', v.appPort);
  check.integerInRange('healthyThresholdCount', v.healthyThresholdCount, 2, 10);
  check.secondsInRange('healthCheckInterval', v.healthCheckInterval, 5, 300);
  check.secondsInRange('healthCheckGracePeriod', v.healthCheckGracePeriod, 0, 7200);
  // The rolling update's PauseTime, which waits for each batch's signals, is at most one hour.
  check.secondsInRange('instanceReadyTimeout', v.instanceReadyTimeout, 60, MAX_PAUSE_SECONDS);
  ConstructAlarms.validate(
    check,
    { enabledProp: 'alarms', enabled: v.alarms, settingsProp: 'alarmSettings', settings: v.alarmSettings },
    WEB_APP_ALARM_RANGES,
  );
  if (props.rollout?.rollbackOnAlarms === true && !v.alarms) {
    check.fail(
      'rollout.rollbackOnAlarms',
      'needs the alarms to watch during the bake: turn alarms on, or leave rollbackOnAlarms unset',
      'true with alarms false',
    );
  }
  if (props.rollout?.bakeTime !== undefined && !bakes(v)) {
    check.fail(
      'rollout.bakeTime',
      'is how long new instances watch the alarms, which rollbackOnAlarms false (or alarms false, or every watched alarm off) turns off: remove one of them',
      props.rollout.bakeTime.toHumanString(),
    );
  }
  if (bakes(v)) {
    check.secondsInRange('rollout.bakeTime', v.bakeTime, 60, MAX_PAUSE_SECONDS - 60);
    if (!v.bakeTime.isUnresolved() && !v.instanceReadyTimeout.isUnresolved()) {
      const total = v.instanceReadyTimeout.toSeconds({ integral: false }) + v.bakeTime.toSeconds({ integral: false });
      if (total > MAX_PAUSE_SECONDS) {
        check.fail(
          'rollout.bakeTime',
          "plus instanceReadyTimeout must be at most 1 hour (the longest PauseTime a rolling update waits for an instance's signal); shorten either",
          `${v.bakeTime.toHumanString()} + ${v.instanceReadyTimeout.toHumanString()}`,
        );
      }
    }
  }
  if (v.userData.render().startsWith('<powershell>')) {
    check.fail(
      'userData',
      'must be Linux user data: the instances signal CloudFormation once healthy with a bash script appended to it',
      'Windows (PowerShell) user data',
    );
  }
  check.numberInRange('targetCpuUtilizationPercent', v.targetCpuUtilizationPercent, 1, 100);
  if (
    !Token.isUnresolved(v.healthCheckPath) &&
    (!v.healthCheckPath.startsWith('/') || v.healthCheckPath.length > 1024)
  ) {
    check.fail('healthCheckPath', "must start with '/' and be at most 1024 characters", v.healthCheckPath);
  }
  if (props.sslPolicy !== undefined) {
    if (v.certificate === undefined) {
      check.fail(
        'sslPolicy',
        'is the policy of the HTTPS listener, which only a certificate creates: give certificate too, or leave sslPolicy out',
        props.sslPolicy,
      );
    } else if (!Token.isUnresolved(props.sslPolicy) && !TLS_1_2_AND_LATER.test(props.sslPolicy)) {
      check.fail(
        'sslPolicy',
        'must accept TLS 1.2 and later only (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-*, e.g. elbv2.SslPolicy.TLS13_12_RES_PQ)',
        props.sslPolicy,
      );
    }
  }
  v.webAcl?._validate(check, v.region);
  if (v.accessLogsReplication !== undefined && v.accessLogsBucket !== undefined) {
    check.fail(
      'accessLogsReplication',
      'replicates the bucket the construct creates; it must not be set with accessLogsBucket (configure replication on your own bucket instead)',
      `{ destination: ${v.accessLogsReplication.destination.node.path} }`,
    );
  }
  if (Token.isUnresolved(v.region) && v.accessLogsBucket === undefined) {
    // The bucket policy that lets the load balancer deliver access logs to the bucket the construct
    // creates names the region's Elastic Load Balancing account (or service principal).
    check.fail(
      'env.region of the stack',
      "must be a concrete region (new Stack(app, 'Web', { env: { region: 'eu-west-1' } })) for the access-log bucket the construct creates, whose policy names the region's Elastic Load Balancing account; or give an accessLogsBucket whose policy already lets the load balancer deliver",
      'an environment-agnostic stack',
    );
  }
  check.throwIfInvalid();
}

/** The security policies whose oldest protocol is TLS 1.2 (TLS 1.3 only for `TLS13-1-3`). */
const TLS_1_2_AND_LATER = /^ELBSecurityPolicy-(TLS13-1-2|TLS13-1-3|TLS-1-2|FS-1-2)-/;

/** Rolling updates keep this many instances in service; CloudFormation needs it below the group's maximum. */
function minInstancesInService(minCapacity: number, maxCapacity: number): number | undefined {
  if (Token.isUnresolved(minCapacity) || Token.isUnresolved(maxCapacity)) return undefined;
  return Math.max(0, Math.min(minCapacity, maxCapacity - 1));
}

/** The load balancer needs the timeout below the interval; 5 s unless the interval is shorter. */
function healthCheckTimeout(interval: Duration): Duration {
  if (interval.isUnresolved()) return Duration.seconds(5);
  return Duration.seconds(Math.max(2, Math.min(5, interval.toSeconds() - 1)));
}
