import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failoverExperiments } from './experiments';
import { FailoverStrategy } from './failover-strategy';
import {
  FailoverMetrics,
  createOperatorAlarms,
  dashboardRows,
  dataVolumeWatch,
  validateMonitoring,
} from './monitoring';
import type { DataVolumeOptions, ElasticIpFailoverExperimentOptions } from './options';
import { acknowledge, skipCheckov } from '../common/acknowledge';
import { AlarmSetting } from '../common/alarm-setting';
import { createSessionManagerRole } from '../common/instance-role';
import { addDashboardSection } from '../common/monitoring';
import { admitServiceLinkedPublishers, createEncryptedTopic } from '../common/notification-topic';
import { PropsValidator } from '../common/validation';
import { validateResilienceOptions } from '../resilience/experiment-spec';
import { measuredRecoveryRows, ResilienceExperiments } from '../resilience/experiments';

/**
 * The operator alarms of an {@link ElasticIpFailoverInstance}, each sent to its notification topic
 * (ALARM and OK). Each is on unless its `enabled` is false; `threshold` is in the unit named.
 */
export interface ElasticIpFailoverAlarmSettings {
  /**
   * Errors of the failover function (with `autoScalingGroup()`, the lifecycle hook function):
   * AWS/Lambda `Errors`, Sum per minute, at or above `threshold` (a count, 1 to 1000).
   *
   * @default - on, threshold 1, 1 evaluation period
   */
  readonly failoverErrors?: AlarmSetting;

  /**
   * Events the function gave up on: AWS/SQS `ApproximateNumberOfMessagesVisible` of its
   * dead-letter queue, Maximum per minute, at or above `threshold` (a count, 1 to 1000).
   *
   * @default - on, threshold 1, 1 evaluation period
   */
  readonly deadLetterMessages?: AlarmSetting;

  /**
   * A slow recovery: the `TimeToRecovery` metric (Maximum over 5 minutes) above `threshold`
   * (seconds, 10 to 3600).
   *
   * @default - on, threshold 300 seconds, 1 evaluation period
   */
  readonly timeToRecovery?: AlarmSetting;

  /**
   * Launches the lifecycle hook function abandoned (`AbandonedLaunches`, Sum per minute) at or
   * above `threshold` (a count, 1 to 100). Only with `FailoverStrategy.autoScalingGroup()`.
   *
   * @default - on with autoScalingGroup(), threshold 1, 1 evaluation period
   */
  readonly abandonedLaunches?: AlarmSetting;

  /**
   * Both instances unhealthy at once: a composite alarm, in ALARM while a status-check alarm of the
   * primary and one of the standby are both in ALARM. Takes only `enabled` (the status-check alarms
   * have their own timing: 2 of 2 one-minute periods). Only with `FailoverStrategy.standbyInstance()`.
   *
   * @default - on with standbyInstance()
   */
  readonly bothUnhealthy?: AlarmSetting;

  /**
   * The data volume has no recent snapshot: the `NewestSnapshotAge` metric (seconds since the newest
   * completed snapshot of the data served was started, or the age of the volume when it has none;
   * Maximum per hour, recorded every 30 minutes by the data retention function) above `threshold`
   * (whole seconds, from the snapshot interval to 2592000, 30 days). An hour without a reading is
   * breaching: the retention function did not run, so nothing watches the volume either. Only with
   * `FailoverStrategy.autoScalingGroup({ dataVolume })`.
   *
   * @default - on with a data volume, threshold twice `dataVolume.snapshotInterval` (7200 seconds
   * for the default interval of 1 hour), 1 evaluation period
   */
  readonly snapshotAge?: AlarmSetting;
}

/**
 * Properties for an {@link ElasticIpFailoverInstance}.
 */
export interface ElasticIpFailoverInstanceProps {
  /**
   * The VPC to run in. It needs public subnets (with a route to an internet gateway) in at least
   * two Availability Zones: the instances run there so the Elastic IP can reach them.
   */
  readonly vpc: ec2.IVpc;

  /**
   * How the Elastic IP is kept on a healthy instance.
   *
   * @default FailoverStrategy.standbyInstance()
   */
  readonly strategy?: FailoverStrategy;

  /**
   * The EC2 instance type.
   *
   * @default t3.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The image the instances boot from. With an image whose root device is not `/dev/xvda`, set
   * `rootDeviceName` so the root volume is the one encrypted.
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
   * The size of the encrypted gp3 root volume in GiB (at least the image's snapshot size).
   *
   * @default 8
   */
  readonly rootVolumeSizeGiB?: number;

  /**
   * User data that installs and starts the service. Every instance runs it on its first boot.
   *
   * @default - no user data: the instances run whatever the image starts
   */
  readonly userData?: ec2.UserData;

  /**
   * A persistent data volume carried from instance to instance.
   *
   * @deprecated give it to the strategy: `FailoverStrategy.autoScalingGroup({ dataVolume })` (the
   * only strategy that takes one). This alias will be removed in the next release.
   * @default - no data volume
   */
  readonly dataVolume?: DataVolumeOptions;

  /**
   * The topic that is told about every failover, a failed failover and both instances being
   * unhealthy. The construct's functions are granted `sns:Publish` and, when the topic's
   * `masterKey` is known, the key's use. With `FailoverStrategy.autoScalingGroup()`, EC2 Auto
   * Scaling also publishes the group's notifications with its service-linked role, so a topic
   * encrypted with a customer managed key needs a key policy statement allowing
   * `kms:GenerateDataKey*` and `kms:Decrypt` to
   * `aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling` (condition
   * `aws:PrincipalArn`): the construct adds it to a `kms.Key` this app defines in the same account,
   * and warns when the key is one it cannot change. For a topic imported without its key
   * (`Topic.fromTopicArn`), grant the functions and the role the key's use in its key policy yourself.
   *
   * @default - a new topic encrypted with its own KMS key and accepting only TLS publishers
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * The customer managed KMS key EBS encrypts this construct's volumes with: the key the account's
   * EBS encryption by default uses (`aws ec2 get-ebs-default-kms-key-id`) when that is not
   * `aws/ebs`, or a key of your choice. The root volumes and the data volume (unless it has an
   * `encryptionKey` of its own) are encrypted with it, and the functions that create or start
   * volumes are granted its use for EBS (`kms:CreateGrant` for AWS resources, `Decrypt`,
   * `DescribeKey`, `GenerateDataKeyWithoutPlaintext`, `ReEncrypt*`, on this key only): the
   * failover function, which starts a stopped standby, and the lifecycle hook function, which
   * creates and restores the data volume. Without it, a customer managed default key leaves them
   * unable to start or create volumes. The key policy must also let the EC2 Auto Scaling
   * service-linked role use the key when `FailoverStrategy.autoScalingGroup()` launches instances.
   *
   * @default - the root volumes and the data volume are encrypted with the account's default EBS
   * key, which must then be `aws/ebs`
   */
  readonly ebsEncryptionKey?: kms.IKey;

  /**
   * Whether the instances have termination protection. Not used by
   * `FailoverStrategy.autoScalingGroup()`: the group must be able to replace its instance.
   *
   * @deprecated give it to the strategy: `FailoverStrategy.standbyInstance({ terminationProtection })`.
   * This alias will be removed in the next release.
   * @default true
   */
  readonly terminationProtection?: boolean;

  /**
   * Whether the construct creates its operator alarms (`operatorAlarms`), sent to the notification
   * topic. The standby strategy's status-check and CPU alarms, which trigger the failover, are
   * created either way.
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * Per-alarm settings of the operator alarms: turn one off, or change its threshold and periods.
   *
   * @default - every alarm with its documented defaults
   */
  readonly alarmSettings?: ElasticIpFailoverAlarmSettings;
}

/**
 * One public EC2 service behind a fixed Elastic IP that keeps answering when its instance or its
 * Availability Zone fails.
 *
 * With the default strategy, `FailoverStrategy.standbyInstance()`, a primary and a standby
 * instance run in public subnets of two Availability Zones from one launch template (IMDSv2,
 * encrypted root volume, Systems Manager access, no key pair). The Elastic IP points at the primary.
 * When the instance holding it stops, terminates, fails a status check or runs its CPU at the
 * threshold, a function starts the other instance if it is stopped, moves the Elastic IP to it,
 * swaps their role tags and notifies the topic.
 *
 * With `FailoverStrategy.autoScalingGroup()`, an Auto Scaling group keeps exactly one instance
 * in one of the zones and replaces it when it fails its EC2 status checks or its zone is lost; a
 * launch lifecycle hook gives each new instance the Elastic IP (and, with its `dataVolume`, the
 * persistent data volume) before it goes InService. Nothing runs idle, but a recovery waits for
 * a new instance to launch and boot.
 *
 * The instances share one security group that admits nothing: open the service's ports to the
 * internet with `allowFromInternet()`, or to chosen peers through `connections`.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 *
 * const userData = ec2.UserData.forLinux();
 * userData.addCommands('dnf install -y nginx', 'systemctl enable --now nginx');
 * const server = new patterns.ElasticIpFailoverInstance(this, 'Server', {
 *   vpc,
 *   userData,
 *   strategy: patterns.FailoverStrategy.standbyInstance({
 *     standbyState: patterns.StandbyState.STOPPED,
 *     cpuThreshold: 95,
 *   }),
 * });
 * server.allowFromInternet(ec2.Port.tcp(80), 'HTTP');
 * new CfnOutput(this, 'PublicIp', { value: server.publicIp });
 */
export class ElasticIpFailoverInstance extends Construct implements ec2.IConnectable {
  /** The VPC the instances run in. */
  public readonly vpc: ec2.IVpc;

  /** The strategy in use. */
  public readonly strategy: FailoverStrategy;

  /** The Elastic IP that stays on a healthy instance. */
  public readonly elasticIp: ec2.CfnEIP;

  /** The Elastic IP's address: what clients and DNS records point at. */
  public readonly publicIp: string;

  /** The Elastic IP's allocation ID (`eipalloc-...`). */
  public readonly allocationId: string;

  /** The security group of the instances: nothing in, HTTPS out (AWS APIs and package repositories). */
  public readonly securityGroup: ec2.SecurityGroup;

  /**
   * The instances' connections (their security group), to let chosen peers in, for example
   * `server.connections.allowFrom(ec2.Peer.ipv4('198.51.100.0/24'), ec2.Port.tcp(22))`. To serve
   * the internet use `allowFromInternet()`: a rule from `0.0.0.0/0` added here gets cdk-nag's
   * `AwsSolutions-EC23` finding.
   */
  public readonly connections: ec2.Connections;

  /** The launch template every instance is launched from. */
  public readonly launchTemplate: ec2.LaunchTemplate;

  /** The topic told about failovers. */
  public readonly notificationTopic: sns.ITopic;

  /**
   * The instance created as primary, which holds the Elastic IP after the first deployment. After
   * a failover (or a rollout that replaces the instance holding it) the roles swap: the instance
   * holding the Elastic IP carries the tag `FailoverRole=primary`.
   *
   * @default - undefined unless the strategy is `FailoverStrategy.standbyInstance()`
   */
  public readonly primaryInstance?: ec2.CfnInstance;

  /**
   * The instance in the other Availability Zone that takes the Elastic IP when the primary fails.
   *
   * @default - undefined unless the strategy is `FailoverStrategy.standbyInstance()`
   */
  public readonly standbyInstance?: ec2.CfnInstance;

  /**
   * The function that moves the Elastic IP: with `standbyInstance()` the failover function
   * (reserved concurrency 1); with `autoScalingGroup()` the lifecycle hook function that gives
   * each new instance the Elastic IP and the data volume, and snapshots the volume at termination.
   */
  public readonly failoverFunction?: lambda.IFunction;

  /**
   * The queue that keeps events the function could not handle after its retries. Alarm on its
   * depth to hear about failovers that did not happen.
   */
  public readonly deadLetterQueue?: sqs.IQueue;

  /**
   * The Auto Scaling group of one instance.
   *
   * @default - undefined unless the strategy is `FailoverStrategy.autoScalingGroup()`
   */
  public readonly autoScalingGroup?: autoscaling.AutoScalingGroup;

  /**
   * The Data Lifecycle Manager policy that snapshots the data volume periodically.
   *
   * @default - undefined unless the Auto Scaling strategy has a `dataVolume`
   */
  public readonly snapshotPolicy?: dlm.CfnLifecyclePolicy;

  /**
   * The AWS Backup plan the data volume is in (the construct's, or the one given), with
   * `dataVolume.backupPlan`.
   *
   * @default - none: the data volume is in no AWS Backup plan
   */
  public readonly dataVolumeBackupPlan?: backup.IBackupPlan;

  /**
   * The backup vault the construct's plan stores the data volume's snapshots in, with
   * `DataVolumeBackupPlan.daily()`.
   *
   * @default - none: no plan of the construct's own
   */
  public readonly dataVolumeBackupVault?: backup.IBackupVault;

  /**
   * The role AWS Backup assumes to snapshot the data volume, with `dataVolume.backupPlan`. Grant it
   * more when the plan copies recovery points to another vault or moves them to cold storage.
   *
   * @default - none: the data volume is in no AWS Backup plan
   */
  public readonly dataVolumeBackupRole?: iam.IRole;

  /**
   * The alarms that trigger a failover: with a standby instance, the status checks and CPU of each
   * instance and the health probe's; with the Auto Scaling strategy, the health probe's only (the
   * group acts on status checks itself), so none without a probe.
   */
  public readonly alarms: cloudwatch.IAlarm[];

  /**
   * The alarms that tell an operator (through `notificationTopic`) that the pair needs attention:
   * function errors, dead-letter messages, slow recovery, abandoned launches (Auto Scaling
   * strategy), both instances unhealthy (standby strategy). Empty with `alarms: false`.
   */
  public readonly operatorAlarms: cloudwatch.IAlarm[];

  private readonly metrics: FailoverMetrics;

  /** Whether the instances' subnets have IPv6 CIDR blocks, so `allowFromInternet()` opens `::/0` too. */
  private readonly subnetsHaveIpv6: boolean;
  private readonly experimentContext: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.ISubnet[];
    readonly ebsEncryptionKey?: kms.IKey;
  };

  /** How many ports with unresolved numbers `allowFromInternet()` has opened (for their ids). */
  private unresolvedInternetPorts = 0;

  constructor(scope: Construct, id: string, props: ElasticIpFailoverInstanceProps) {
    super(scope, id);

    const check = new PropsValidator('ElasticIpFailoverInstance');
    const resolved = resolveProps(props, check);
    validate(resolved, check);
    check.throwIfInvalid();
    this.strategy = resolved.strategy;
    const subnets = resolved.subnets;
    this.subnetsHaveIpv6 = subnets.some(hasIpv6CidrBlock);
    if (props.dataVolume !== undefined) {
      Annotations.of(this).addDeprecation(
        'ElasticIpFailoverInstanceProps.dataVolume',
        'Give the data volume to the strategy instead: FailoverStrategy.autoScalingGroup({ dataVolume })',
      );
    }
    if (props.terminationProtection !== undefined) {
      Annotations.of(this).addDeprecation(
        'ElasticIpFailoverInstanceProps.terminationProtection',
        'Give it to the strategy instead: FailoverStrategy.standbyInstance({ terminationProtection })',
      );
    }

    this.vpc = resolved.vpc;
    const requirements = this.strategy._requirements(resolved.userData);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: resolved.vpc,
      description: 'Elastic IP failover instances: nothing in until opened through connections, HTTPS out',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs and package repositories',
    );
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: resolved.instanceType,
      machineImage: resolved.machineImage,
      userData: requirements.userData,
      // Instances launched by a group get their security group and a public IP (to reach AWS APIs
      // and package repositories until the Elastic IP arrives) from the template.
      ...(requirements.associatePublicIpAddress
        ? { associatePublicIpAddress: true, securityGroup: this.securityGroup }
        : {}),
      ...(requirements.instanceMetadataTags ? { instanceMetadataTags: true } : {}),
      role: createSessionManagerRole(
        this,
        'InstanceRole',
        'Elastic IP failover instances: Systems Manager access only',
      ),
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      instanceInitiatedShutdownBehavior: ec2.InstanceInitiatedShutdownBehavior.STOP,
      blockDevices: [
        {
          deviceName: resolved.rootDeviceName,
          volume: ec2.BlockDeviceVolume.ebs(resolved.rootVolumeSizeGiB, {
            encrypted: true,
            kmsKey: resolved.ebsEncryptionKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
    });

    if (requirements.associatePublicIpAddress) {
      skipCheckov(this.launchTemplate, {
        id: 'CKV_AWS_88',
        comment:
          "The Auto Scaling group's instance runs in a public subnet of a VPC without NAT: the public IPv4 address this launch template gives it is how it reaches Systems Manager and the package repositories over HTTPS while it launches, before the lifecycle hook gives it the Elastic IP, which then takes its place. Nothing reaches it but what its security group admits (no port until allowFromInternet() or connections opens one).",
      });
    }

    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIp', {
      domain: 'vpc',
      tags: [{ key: 'Name', value: this.node.path }],
    });
    this.publicIp = this.elasticIp.attrPublicIp;
    this.allocationId = this.elasticIp.attrAllocationId;

    if (resolved.notificationTopic !== undefined) {
      admitServiceLinkedPublishers(
        this,
        'notificationTopic',
        resolved.notificationTopic,
        requirements.topicPublishers ?? [],
      );
    }
    this.notificationTopic =
      resolved.notificationTopic ??
      createEncryptedTopic(this, 'FailoverNotifications', {
        purpose: 'Elastic IP failover notifications',
        serviceLinkedPublishers: requirements.topicPublishers,
      });

    const bound = this.strategy._bind(this, {
      vpc: resolved.vpc,
      subnets,
      securityGroup: this.securityGroup,
      launchTemplate: this.launchTemplate,
      elasticIp: this.elasticIp,
      notificationTopic: this.notificationTopic,
      ebsEncryptionKey: resolved.ebsEncryptionKey,
    });
    this.primaryInstance = bound.primaryInstance;
    this.standbyInstance = bound.standbyInstance;
    this.failoverFunction = bound.failoverFunction;
    this.deadLetterQueue = bound.deadLetterQueue;
    this.alarms = bound.alarms;
    this.autoScalingGroup = bound.autoScalingGroup;
    this.experimentContext = { vpc: resolved.vpc, subnets, ebsEncryptionKey: resolved.ebsEncryptionKey };
    this.snapshotPolicy = bound.snapshotPolicy;
    this.dataVolumeBackupPlan = bound.dataVolumeBackup?.plan;
    this.dataVolumeBackupVault = bound.dataVolumeBackup?.vault;
    this.dataVolumeBackupRole = bound.dataVolumeBackup?.role;

    this.metrics = new FailoverMetrics(
      this.allocationId,
      this.failoverFunction,
      this.deadLetterQueue,
      dataVolumeWatch(this.strategy._snapshotInterval()),
    );
    const byId = (prefix: string) =>
      bound.alarms.filter(
        (a) => /^(Primary|Standby)(Instance|System)StatusCheckAlarm$/.test(a.node.id) && a.node.id.startsWith(prefix),
      );
    this.operatorAlarms = createOperatorAlarms(this, props, {
      strategy: this.strategy.name,
      topic: this.notificationTopic,
      metrics: this.metrics,
      hasFunction: this.failoverFunction !== undefined,
      hasDeadLetterQueue: this.deadLetterQueue !== undefined,
      primaryStatusChecks: byId('Primary'),
      standbyStatusChecks: byId('Standby'),
    });
  }

  /**
   * Adds fault-injection experiments (AWS FIS) that prove the failover, and a verifier that
   * measures it. Nothing runs on deployment. With `FailoverStrategy.standbyInstance()`:
   *
   * - `StopPrimary`: stops the instance tagged primary when the experiment starts (after a failover
   *   that is the former standby) for `faultDuration`, then starts it again as the standby. Budget:
   *   15 s (75 s with a stopped standby).
   * - `CpuStress`: loads every CPU of the primary to 100% for `faultDuration` (the AWS managed
   *   document AWSFIS-Run-CPU-Stress, which installs stress-ng), to exercise its CPU alarm.
   *
   * With `FailoverStrategy.autoScalingGroup()`:
   *
   * - `TerminateInstance`: terminates the group's instance; the replacement gets the Elastic IP and
   *   the data volume. Budget: 10 minutes with a data volume, 7 without.
   * - `ZoneLost1`, `ZoneLost2`...: one per Availability Zone of the group, in the order of its
   *   subnets: stops the instance if it is in that zone and cuts the zone's subnet off (a network
   *   ACL that denies all traffic) for `faultDuration`. Run the one of the zone the instance is in
   *   (another one fails at once: no instance to stop). Budget: 20 minutes with a data volume, 7
   *   without.
   *
   * Targets are chosen by this construct's tags (the pair's tag, or the group's name); the role may
   * act on no other instance. The operator alarms on the failover itself (function errors, dead
   * letters, time to recovery, abandoned launches) are the stop conditions. The verifier reaches
   * the service through the Elastic IP with `options.probe`, or the strategy's `healthProbe`.
   * With a data volume it also writes a marker to the volume before `TerminateInstance` and
   * `ZoneLost<n>` (Run Command on the instance holding the Elastic IP; not written: the experiment
   * does not start) and reads it on the replacement after the recovery: a marker missing or
   * different fails the run as `data-lost`.
   *
   * @param options the fault's duration, more stop conditions, the budget, the verifier's probe
   */
  public addResilienceExperiments(options: ElasticIpFailoverExperimentOptions = {}): ResilienceExperiments {
    if (this.node.tryFindChild('ResilienceExperiments')) {
      throw new Error(`addResilienceExperiments() was already called on ${this.node.path}: call it once`);
    }
    const facts = this.strategy._experimentFacts();
    const probe = options.probe ?? facts.healthProbe;
    const check = new PropsValidator('ElasticIpFailoverInstance.addResilienceExperiments()');
    if ((options.verifier ?? true) && probe === undefined) {
      check.fail(
        'probe',
        'is needed for the verifier to reach the service through the Elastic IP: give probe (for example HealthProbe.tcp(443)), a healthProbe to the strategy, or verifier: false',
        undefined,
      );
    }
    if (options.probe) options.probe._validate(check, 'probe');
    check.throwIfInvalid();
    const spec = failoverExperiments({
      path: this.node.path,
      facts,
      allocationId: this.allocationId,
      publicIp: this.publicIp,
      vpc: this.experimentContext.vpc,
      subnets: this.experimentContext.subnets,
      groupName: this.autoScalingGroup?.autoScalingGroupName,
      operatorAlarms: this.operatorAlarms,
      notificationTopic: this.notificationTopic,
      ebsEncryptionKey: this.experimentContext.ebsEncryptionKey,
      faultDuration: options.faultDuration ?? Duration.minutes(5),
      probe,
    });
    validateResilienceOptions(
      options,
      'ElasticIpFailoverInstance',
      Math.max(...spec.experiments.map((e) => e.stopConditions.length)),
    );
    return ResilienceExperiments._create(this, spec, options);
  }

  /**
   * Adds this pair's section to a dashboard: the state of its operator alarms, its recovery times
   * and its function's failures.
   * The recovery times the resilience verifier measured follow, when `addResilienceExperiments()`
   * was called before (`MeasuredRecoveryTime` per experiment, with a line at each budget).
   *
   * @param dashboard the dashboard to add to
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    addDashboardSection(dashboard, `Elastic IP failover ${this.node.path}`, this.operatorAlarms, [
      ...dashboardRows(this.metrics, {
        hasFunction: this.failoverFunction !== undefined,
        hasDeadLetterQueue: this.deadLetterQueue !== undefined,
        strategy: this.strategy.name,
      }),
      ...measuredRecoveryRows(this),
    ]);
  }

  /**
   * Errors of the failover function (with `autoScalingGroup()`, the lifecycle hook function):
   * AWS/Lambda `Errors`, the sum per minute unless `props` says otherwise.
   *
   * @param props options for the metric
   */
  public metricFailoverErrors(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.failoverErrors(props);
  }

  /**
   * Messages waiting in the function's dead-letter queue: AWS/SQS
   * `ApproximateNumberOfMessagesVisible`, the maximum per minute unless `props` says otherwise.
   *
   * @param props options for the metric
   */
  public metricDeadLetterMessages(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.deadLetterMessages(props);
  }

  /**
   * Launches the lifecycle hook function abandoned (`AbandonedLaunches`, count), the sum per minute
   * unless `props` says otherwise. Recorded only with `FailoverStrategy.autoScalingGroup()`.
   *
   * @param props options for the metric
   */
  public metricAbandonedLaunches(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.abandonedLaunches(props);
  }

  /**
   * The health probe's verdict (`HealthProbeFailed`: 1 when the service did not answer through the
   * Elastic IP in a minute, 0 when it did), the maximum per minute unless `props` says otherwise.
   * Recorded only when a health probe runs.
   *
   * @param props options for the metric
   */
  public metricHealthProbeFailed(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.healthProbeFailed(props);
  }

  /**
   * How old the newest completed snapshot of the data volume is (`NewestSnapshotAge`, seconds; the
   * age of the volume itself while it has none), recorded every 30 minutes by the data retention
   * function: the data a zone failure would lose now. The maximum per hour unless `props` says
   * otherwise. Only with `FailoverStrategy.autoScalingGroup({ dataVolume })`: throws without a data
   * volume.
   *
   * @param props options for the metric
   */
  public metricNewestSnapshotAge(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.newestSnapshotAge(props);
  }

  /**
   * Opens `port` to the whole internet: the service this construct runs behind its Elastic IP. It
   * adds one ingress rule from `0.0.0.0/0` and, when the instances' subnets have IPv6 CIDR blocks
   * (an `ec2.Vpc` with `ipProtocol: ec2.IpProtocol.DUAL_STACK`), one from `::/0`, each a separate
   * `AWS::EC2::SecurityGroupIngress` of the instances' security group that acknowledges cdk-nag's
   * `AwsSolutions-EC23` with a reason naming the port. Rules added through `connections` are not
   * acknowledged. Calling it again with the same port and protocol changes nothing. The Elastic IP
   * is an IPv4 address; over IPv6 clients reach each instance's own address, which does not move
   * on a failover.
   *
   * @param port the service's TCP or UDP port or port range, e.g. `ec2.Port.tcp(443)`; not all
   * traffic, all ports, or ICMP
   * @param description what the port serves, e.g. `'HTTPS'` (at most 255 characters of letters,
   * digits, spaces and `._-:/()#,@[]+=&;{}!$*`)
   */
  public allowFromInternet(port: ec2.Port, description: string): void {
    const rule = port.toRuleJson() as { ipProtocol: string; fromPort?: number; toPort?: number };
    const check = new PropsValidator('ElasticIpFailoverInstance.allowFromInternet');
    const protocol = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp' }[rule.ipProtocol];
    if (protocol === undefined) {
      check.fail('port', 'must be a TCP or UDP port or port range', port.toString());
    } else if (
      !Token.isUnresolved(rule.fromPort) &&
      !Token.isUnresolved(rule.toPort) &&
      (rule.fromPort ?? 0) <= 1 &&
      (rule.toPort ?? 65535) >= 65535
    ) {
      check.fail('port', "must name the service's ports, not every port", port.toString());
    }
    if (
      !Token.isUnresolved(description) &&
      (description.length < 1 ||
        description.length > 255 ||
        !/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/.test(description))
    ) {
      check.fail(
        'description',
        'must be 1 to 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*',
        description,
      );
    }
    check.throwIfInvalid();
    const ipProtocol = protocol!;

    const family = ipProtocol === 'tcp' ? 'Tcp' : 'Udp';
    const resolvedPorts = !Token.isUnresolved(rule.fromPort) && !Token.isUnresolved(rule.toPort);
    const single = rule.fromPort === rule.toPort;
    const name = resolvedPorts
      ? `${family}${single ? rule.fromPort : `${rule.fromPort}To${rule.toPort}`}`
      : `${family}Port${++this.unresolvedInternetPorts}`;
    const portText = resolvedPorts
      ? `${ipProtocol.toUpperCase()} ${single ? `port ${rule.fromPort}` : `ports ${rule.fromPort}-${rule.toPort}`}`
      : `the ${ipProtocol.toUpperCase()} port given as a deploy-time value`;
    const sources: { id: string; label: string; cidrIp?: string; cidrIpv6?: string }[] = [
      { id: 'Ipv4', label: 'IPv4', cidrIp: '0.0.0.0/0' },
      ...(this.subnetsHaveIpv6 ? [{ id: 'Ipv6', label: 'IPv6', cidrIpv6: '::/0' }] : []),
    ];
    for (const source of sources) {
      const id = `FromInternet${name}${source.id}`;
      if (this.securityGroup.node.tryFindChild(id) !== undefined) continue;
      const ingress = new ec2.CfnSecurityGroupIngress(this.securityGroup, id, {
        groupId: this.securityGroup.securityGroupId,
        ipProtocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        cidrIp: source.cidrIp,
        cidrIpv6: source.cidrIpv6,
        description,
      });
      acknowledge(ingress, {
        id: 'AwsSolutions-EC23',
        reason: `${portText} (${description}) from any ${source.label} address is the public service this construct runs behind its Elastic IP, opened on purpose with allowFromInternet()`,
      });
    }
  }

  /**
   * How long each failover took, from the failover function's start to the Elastic IP being
   * associated with the other instance (milliseconds). Recorded by the function once per failover
   * (with `autoScalingGroup()`, once per launch: the data volume and the Elastic IP given to the
   * new instance); the metric is the maximum over 5 minutes unless `props` says otherwise.
   *
   * @param props options for the metric
   */
  public metricFailoverDuration(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.failoverDuration(props);
  }

  /**
   * How long each failover took from the triggering event (the state change, or the alarm's state
   * change; with `autoScalingGroup()`, the launch lifecycle action of the replacement) to the
   * Elastic IP being associated with the other instance (milliseconds): detection and recovery
   * together (with `autoScalingGroup()`, the group's own detection and the launch are not included). The maximum over 5 minutes unless `props` says otherwise.
   *
   * @param props options for the metric
   */
  public metricTimeToRecovery(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metrics.timeToRecovery(props);
  }
}

/**
 * The props of an {@link ElasticIpFailoverInstance} with every default applied and the deprecated
 * construct-level props folded into the strategy: the constructor builds from these alone. The
 * notification topic stays unset when the construct creates one.
 */
interface ResolvedProps {
  readonly vpc: ec2.IVpc;
  /** The public subnets the instances can run in, one per Availability Zone. */
  readonly subnets: ec2.ISubnet[];
  readonly strategy: FailoverStrategy;
  readonly instanceType: ec2.InstanceType;
  readonly machineImage: ec2.IMachineImage;
  readonly rootDeviceName: string;
  readonly rootVolumeSizeGiB: number;
  readonly userData?: ec2.UserData;
  readonly notificationTopic?: sns.ITopic;
  readonly ebsEncryptionKey?: kms.IKey;
  readonly alarms?: boolean;
  readonly alarmSettings?: ElasticIpFailoverAlarmSettings;
}

/** Settles the props; a deprecated prop that conflicts with the strategy is recorded in `check`. */
function resolveProps(props: ElasticIpFailoverInstanceProps, check: PropsValidator): ResolvedProps {
  return {
    vpc: props.vpc,
    subnets: publicSubnetPerZone(props.vpc),
    strategy: (props.strategy ?? FailoverStrategy.standbyInstance())._withDeprecatedProps(
      { dataVolume: props.dataVolume, terminationProtection: props.terminationProtection },
      check,
    ),
    instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
    machineImage: props.machineImage ?? ec2.MachineImage.latestAmazonLinux2023(),
    rootDeviceName: props.rootDeviceName ?? '/dev/xvda',
    rootVolumeSizeGiB: props.rootVolumeSizeGiB ?? 8,
    userData: props.userData,
    notificationTopic: props.notificationTopic,
    ebsEncryptionKey: props.ebsEncryptionKey,
    alarms: props.alarms,
    alarmSettings: props.alarmSettings,
  };
}

/** Records every problem with the settled props, the strategy's options included. */
function validate(props: ResolvedProps, check: PropsValidator): void {
  if (props.subnets.length < 2) {
    check.fail(
      'vpc',
      props.strategy.name === 'autoScalingGroup'
        ? 'must have public subnets in at least 2 Availability Zones (FailoverStrategy.autoScalingGroup() runs one instance and launches its replacement in another zone when its zone is lost)'
        : 'must have public subnets in at least 2 Availability Zones (FailoverStrategy.standbyInstance() runs the primary and the standby in two zones behind one Elastic IP)',
      `${props.subnets.length} zone(s) with public subnets`,
    );
  }
  check.integerInRange('rootVolumeSizeGiB', props.rootVolumeSizeGiB, 1, 16384);
  props.strategy._validate(props.userData, check);
  validateMonitoring(props, props.strategy.name, dataVolumeWatch(props.strategy._snapshotInterval()), check);
}

/** The VPC's public subnets, the first of each Availability Zone (unresolved zones count as distinct). */
function publicSubnetPerZone(vpc: ec2.IVpc): ec2.ISubnet[] {
  const seen = new Set<string>();
  const result: ec2.ISubnet[] = [];
  vpc.publicSubnets.forEach((subnet, i) => {
    const zone = Token.isUnresolved(subnet.availabilityZone) ? `unresolved-${i}` : subnet.availabilityZone;
    if (seen.has(zone)) return;
    seen.add(zone);
    result.push(subnet);
  });
  return result;
}

/** Whether the subnet is one this app defines with an IPv6 CIDR block (imported ones are not known). */
function hasIpv6CidrBlock(subnet: ec2.ISubnet): boolean {
  const cfn = subnet.node.defaultChild;
  return cfn instanceof ec2.CfnSubnet && (cfn.ipv6CidrBlock !== undefined || cfn.ipv6Native === true);
}
