import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createSessionManagerRole } from '../common/instance-role';
import { addDashboardSection, ConstructAlarms } from '../common/monitoring';
import { createEncryptedTopic } from '../common/notification-topic';
import { PropsValidator } from '../common/validation';
import { IDetachableDatabase } from '../database';
import { BeanstalkApplication } from './application';
import { defaultEnvironmentName, validateCnamePrefix, validateEnvironmentOptions, validateName } from './checks';
import { ResolvedEnvironmentOptions, resolveEnvironmentOptions } from './environment-defaults';
import { BeanstalkEnvironmentOptions } from './environment-options';
import {
  applicationEnvironmentSettings,
  databaseSettings,
  deploymentSettings,
  environmentTypeSettings,
  healthReportingSettings,
  instanceSettings,
  loadBalancerSettings,
  logsSettings,
  managedUpdatesSettings,
  vpcSettings,
  workerQueueSettings,
} from './environment-settings';
import {
  BEANSTALK_ALARM_RANGES,
  BeanstalkEnvironmentMetrics,
  beanstalkAlarmSpecs,
  beanstalkDashboardRows,
  WEB_CONFIG_DOCUMENT,
} from './monitoring';
import { OptionSettings } from './option-settings';
import { EnvironmentTier } from './options';
import { SourceBundle } from './source-bundle';
import { createBeanstalkVpc } from './vpc';
import { checkBeanstalkVpc } from './vpc-checks';
import { acknowledge, nagArn, nagName, skipCheckov } from '../common/acknowledge';

/**
 * Properties for a {@link BeanstalkEnvironment}.
 */
export interface BeanstalkEnvironmentProps extends BeanstalkEnvironmentOptions {
  /** The application the environment belongs to. */
  readonly application: BeanstalkApplication;

  /**
   * The code the environment runs, deployed as a new application version of `application`.
   *
   * @default - none: Elastic Beanstalk runs its sample application
   */
  readonly sourceBundle?: SourceBundle;

  /**
   * The name of the environment (4 to 40 letters, digits and hyphens, unique in the account and
   * region). Changing it replaces the environment.
   *
   * @default - a name derived from the construct path
   */
  readonly environmentName?: string;

  /**
   * The prefix of the environment's Elastic Beanstalk domain name
   * (`<prefix>.<region>.elasticbeanstalk.com`, unique in the region): 4 to 63 letters, digits and
   * hyphens, not starting or ending with a hyphen (one DNS label). Changing it replaces the
   * environment.
   *
   * @default - chosen by Elastic Beanstalk
   */
  readonly cnamePrefix?: string;

  /**
   * A KMS key to encrypt the worker's queue and its dead-letter queue with (SSE-KMS), for the
   * worker tier only. The instance role may decrypt with it (the worker daemon reads the queue).
   * Every producer then needs `kms:GenerateDataKey` and `kms:Decrypt` on the key as well as
   * `sqs:SendMessage` (`queue.grantSendMessages(producer)` grants both), and an AWS service that
   * sends to the queue (an SNS subscription, an EventBridge rule, S3 notifications) needs a key
   * policy statement for its service principal. A customer managed key costs $1 a month (and $1
   * more for each rotated key material) plus $0.03 per 10,000 requests beyond the free tier; SQS
   * calls KMS about once per 5 minutes per producer and consumer, not per message. Setting or
   * changing it updates the queues in place.
   *
   * @default - SQS-managed encryption (SSE-SQS): producers need only `sqs:SendMessage`
   */
  readonly workerQueueEncryptionKey?: kms.IKey;
}

/** {@link BeanstalkEnvironmentProps} with every default applied. */
interface ResolvedBeanstalkEnvironmentProps extends ResolvedEnvironmentOptions {
  readonly application: BeanstalkApplication;
  readonly sourceBundle?: SourceBundle;
  readonly environmentName: string;
  readonly cnamePrefix?: string;
  readonly workerQueueEncryptionKey?: kms.IKey;
  readonly serviceRole: iam.IRole;
  readonly alarms: boolean;
}

function resolveBeanstalkEnvironmentProps(
  scope: Construct,
  props: BeanstalkEnvironmentProps,
): ResolvedBeanstalkEnvironmentProps {
  return {
    ...props,
    ...resolveEnvironmentOptions(props),
    environmentName: props.environmentName ?? defaultEnvironmentName(scope),
    serviceRole: props.serviceRole ?? props.application.serviceRole,
    alarms: props.alarms ?? true,
  };
}

/** Throws one error naming every problem with the props, the VPC's included. */
function validateBeanstalkEnvironmentProps(props: ResolvedBeanstalkEnvironmentProps): void {
  const check = new PropsValidator('BeanstalkEnvironment');
  validateEnvironmentOptions(check, props);
  validateName(check, 'environmentName', props.environmentName);
  validateCnamePrefix(check, 'cnamePrefix', props.cnamePrefix);
  if (props.workerQueueEncryptionKey !== undefined && props.tier !== EnvironmentTier.WORKER) {
    check.fail(
      'workerQueueEncryptionKey',
      'is only for the worker tier (tier: EnvironmentTier.WORKER), whose queues it encrypts',
      'a key with tier EnvironmentTier.WEB_SERVER',
    );
  }
  validateAlarmSettings(check, props.alarms, props.tier, props.alarmSettings);
  // A VPC the environment creates is built to hold it; only a given one is checked.
  if (props.vpc) checkBeanstalkVpc(check, props.vpc, props.preset, props.tier);
  check.throwIfInvalid();
}

/**
 * Checks the alarm settings against the alarms of the tier (the 5xx rate is the web server's, the
 * queue alarms the worker's).
 */
export function validateAlarmSettings(
  check: PropsValidator,
  enabled: boolean,
  tier: EnvironmentTier,
  settings: object | undefined,
): void {
  const worker = tier === EnvironmentTier.WORKER;
  const ofTier = new Set(
    worker ? ['environmentHealth', 'queueAge', 'deadLetterMessages'] : ['environmentHealth', 'serverErrorRate'],
  );
  ConstructAlarms.validate(
    check,
    { enabledProp: 'alarms', enabled, settingsProp: 'alarmSettings', settings },
    BEANSTALK_ALARM_RANGES.filter((r) => ofTier.has(r.setting)),
  );
}

/**
 * One Elastic Beanstalk environment with secure defaults, every setting written as a literal
 * option setting on the `AWS::ElasticBeanstalk::Environment` (so checks such as cdk-nag see them):
 * its own instance profile and least-privilege instance role, IMDSv1 off, gp3 root volume,
 * enhanced health, managed platform updates in a weekly window with instance refresh, instance and
 * health logs streamed to CloudWatch Logs with retention (kept after termination), rotated logs
 * published to S3, its own security groups, and HTTPS when a certificate is given.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * const app = new patterns.BeanstalkApplication(this, 'App');
 * const dev = new patterns.BeanstalkEnvironment(this, 'Dev', {
 *   application: app,
 *   platform: patterns.BeanstalkPlatform.latest('Node.js 22 running on 64bit Amazon Linux 2023'),
 *   preset: patterns.EnvironmentPreset.singleInstance(),
 *   sourceBundle: patterns.SourceBundle.fromAsset('app'),
 *   vpc,
 *   environmentVariables: { STAGE: 'dev' },
 * });
 * new CfnOutput(this, 'DevUrl', { value: dev.url });
 */
export class BeanstalkEnvironment extends Construct implements ec2.IConnectable {
  /** The environment resource. */
  public readonly cfnEnvironment: elasticbeanstalk.CfnEnvironment;

  /** The name of the environment. */
  public readonly environmentName: string;

  /** The application the environment belongs to. */
  public readonly application: BeanstalkApplication;

  /**
   * The application version the environment runs.
   *
   * @default - none: the sample application
   */
  public readonly applicationVersion?: elasticbeanstalk.CfnApplicationVersion;

  /** The VPC the environment runs in. */
  public readonly vpc: ec2.IVpc;

  /** The role of the instances (through `instanceProfile`). */
  public readonly instanceRole: iam.Role;

  /** The instance profile of the instances. */
  public readonly instanceProfile: iam.InstanceProfile;

  /** The service role Elastic Beanstalk uses for the environment. */
  public readonly serviceRole: iam.IRole;

  /** The instances' security group. */
  public readonly securityGroup: ec2.SecurityGroup;

  /**
   * The load balancer's security group.
   *
   * @default - none: a single instance or a worker has no load balancer
   */
  public readonly loadBalancerSecurityGroup?: ec2.SecurityGroup;

  /**
   * The queue a worker environment processes.
   *
   * @default - none: web server tier
   */
  public readonly queue?: sqs.Queue;

  /**
   * Where messages go that the worker failed to process 5 times.
   *
   * @default - none: web server tier
   */
  public readonly deadLetterQueue?: sqs.Queue;

  /** The instances' connections (their security group, default port 80). */
  public readonly connections: ec2.Connections;

  /** Whether the environment is load balanced. */
  public readonly loadBalanced: boolean;

  /** The tier of the environment. */
  public readonly tier: EnvironmentTier;

  /** Whether the environment serves HTTPS (a certificate was given). */
  public readonly https: boolean;

  /**
   * The endpoint CloudFormation reports: the load balancer's DNS name, or the single instance's
   * IP address.
   */
  public readonly endpointUrl: string;

  /**
   * The URL of `endpointUrl` (`http://`, or `https://` with a certificate). With a certificate,
   * use a domain name the certificate covers instead.
   */
  public readonly url: string;

  /** Where the environment's alarms send their notifications. */
  public readonly notificationTopic: sns.ITopic;

  /**
   * The environment's alarms: health and, for the web server tier, the 5xx rate; for the worker
   * tier, the queue's age and the dead-letter queue's depth.
   */
  public readonly alarms: cloudwatch.IAlarm[];

  private readonly metrics: BeanstalkEnvironmentMetrics;

  constructor(scope: Construct, id: string, props: BeanstalkEnvironmentProps) {
    super(scope, id);

    const resolved = resolveBeanstalkEnvironmentProps(this, props);
    validateBeanstalkEnvironmentProps(resolved);

    const { preset, tier } = resolved;
    this.application = resolved.application;
    this.environmentName = resolved.environmentName;
    this.loadBalanced = preset.loadBalanced;
    this.tier = tier;
    this.https = resolved.certificate !== undefined;
    this.serviceRole = resolved.serviceRole;
    const webServer = tier === EnvironmentTier.WEB_SERVER;
    const withLoadBalancer = preset.loadBalanced && webServer;

    this.vpc = resolved.vpc ?? createBeanstalkVpc(this, 'Vpc', preset.loadBalanced, webServer);

    // Security groups: internet -> load balancer (listener port) -> instances (80); a single web
    // instance is reached directly; a worker is reached by nobody.
    this.securityGroup = this.createInstanceSecurityGroup(webServer && !preset.loadBalanced);
    if (withLoadBalancer) this.loadBalancerSecurityGroup = this.createLoadBalancerSecurityGroup();
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(80) });

    if (!webServer) {
      const queues = createWorkerQueues(this, resolved.workerQueueEncryptionKey);
      this.deadLetterQueue = queues.deadLetterQueue;
      this.queue = queues.queue;
    }

    // Roles: the instances' (least privilege, through an instance profile) and the service's.
    this.instanceRole = createSessionManagerRole(
      this,
      'InstanceRole',
      `Elastic Beanstalk instances of ${this.node.path}: Session Manager, logs, health, their own source bundle`,
    );
    this.grantInstanceBasics(resolved.environmentName);
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.instanceRole });

    if (resolved.sourceBundle) this.applicationVersion = this.createApplicationVersion(resolved.sourceBundle);
    if (this.queue) this.grantWorkerQueue(this.queue, resolved.workerQueueEncryptionKey);
    const connection = resolved.database ? this.connectDatabase(resolved.database) : undefined;

    // Option settings, all literal on the environment, in this order; the escape hatch applies last.
    const settings = new OptionSettings();
    for (const setting of [
      ...environmentTypeSettings(preset, this.serviceRole, withLoadBalancer),
      ...instanceSettings(preset, this.instanceProfile, this.securityGroup, resolved.instanceType),
      ...vpcSettings(this.vpc, preset, withLoadBalancer),
      ...loadBalancerSettings(this.loadBalancerSecurityGroup, resolved.healthCheckPath, resolved.certificate),
      ...healthReportingSettings(webServer ? WEB_CONFIG_DOCUMENT : undefined),
      ...managedUpdatesSettings(resolved.maintenanceWindowStart, resolved.updateLevel),
      ...logsSettings(resolved.logRetention),
      ...deploymentSettings(resolved.deploymentPolicy),
      ...workerQueueSettings(this.queue),
      ...databaseSettings(connection),
      ...applicationEnvironmentSettings(resolved.environmentVariables),
      ...resolved.optionSettings,
    ]) {
      settings.add(setting);
    }

    const platform = resolved.platform.bind(this, tier);
    this.cfnEnvironment = new elasticbeanstalk.CfnEnvironment(this, 'Resource', {
      applicationName: resolved.application.applicationName,
      environmentName: resolved.environmentName,
      cnamePrefix: resolved.cnamePrefix,
      description: `${this.node.path} (${preset.loadBalanced ? 'load balanced' : 'single instance'}, ${tier})`,
      platformArn: platform.platformArn,
      solutionStackName: platform.solutionStackName,
      tier: webServer ? { name: 'WebServer', type: 'Standard' } : { name: 'Worker', type: 'SQS/HTTP' },
      versionLabel: this.applicationVersion?.ref,
      optionSettings: settings.render(),
    });
    // The instances need their permissions from the first boot: create the role's policy first.
    this.cfnEnvironment.node.addDependency(this.instanceRole);

    this.endpointUrl = this.cfnEnvironment.attrEndpointUrl;
    this.url = `${this.https ? 'https' : 'http'}://${this.endpointUrl}`;

    // Alarms to the topic, from the same metrics as the dashboard.
    this.metrics = new BeanstalkEnvironmentMetrics(this.environmentName, this.queue, this.deadLetterQueue);
    this.notificationTopic =
      resolved.notificationTopic ??
      createEncryptedTopic(this, 'NotificationTopic', { purpose: 'Elastic Beanstalk environment alarms' });
    const alarms = new ConstructAlarms(this, {
      topic: this.notificationTopic,
      enabled: resolved.alarms,
      settingsProp: 'alarmSettings',
      settings: resolved.alarmSettings,
    });
    for (const spec of beanstalkAlarmSpecs(this.metrics, !webServer)) alarms.add(spec);
    this.alarms = alarms.alarms;
  }

  /**
   * Enhanced health's `EnvironmentHealth` (0 Ok, 1 Info, 5 Unknown, 10 No data, 15 Warning, 20
   * Degraded, 25 Severe), maximum over 1 minute. Published by enhanced health at no charge.
   */
  public metricEnvironmentHealth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.environmentHealth(props);
  }

  /**
   * The percentage of requests that ended with a 5xx status each minute (`ApplicationRequests5xx`
   * / `ApplicationRequestsTotal`, 0 without requests). Web server tier only: the environment's
   * enhanced health config document publishes both metrics (CloudWatch custom metrics).
   */
  public metricServerErrorRate(): cloudwatch.IMetric {
    if (this.tier !== EnvironmentTier.WEB_SERVER) {
      throw new Error(
        'metricServerErrorRate() is for the web server tier: a worker environment serves no HTTP clients',
      );
    }
    return this.metrics.serverErrorRate();
  }

  /** Worker tier only: the worker queue's `ApproximateAgeOfOldestMessage` (seconds), maximum over 1 minute. */
  public metricQueueAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.queueAge(props);
  }

  /** Worker tier only: the dead-letter queue's `ApproximateNumberOfMessagesVisible`, maximum over 1 minute. */
  public metricDeadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.deadLetterMessages(props);
  }

  /**
   * Adds the environment's section to a dashboard: its alarms' state, then its health beside the
   * 5xx rate (web server) or the queue's age and the dead letters (worker).
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    this.addDashboardSectionTitled(dashboard, this.node.path);
  }

  /** @internal the section with the title the pair gives (its slot). */
  public _addToDashboard(dashboard: cloudwatch.Dashboard, title: string): void {
    this.addDashboardSectionTitled(dashboard, title);
  }

  private addDashboardSectionTitled(dashboard: cloudwatch.Dashboard, title: string): void {
    addDashboardSection(
      dashboard,
      title,
      this.alarms,
      beanstalkDashboardRows(this.metrics, this.tier === EnvironmentTier.WORKER),
    );
  }

  /** The instances' security group: HTTPS out; port 80 in from anywhere only for a single web instance. */
  private createInstanceSecurityGroup(openToClients: boolean): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: `Elastic Beanstalk instances of ${this.node.path}: HTTPS out; in only from the load balancer (or the internet for a single web instance)`,
      allowAllOutbound: false,
    });
    group.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to Elastic Beanstalk, S3, CloudWatch, SQS and package repositories',
    );
    if (openToClients) {
      group.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'Clients of the single instance on port 80');
      acknowledge(group, {
        id: 'AwsSolutions-EC23',
        reason:
          'A single-instance web environment has no load balancer: its one instance serves clients directly on port 80 and admits nothing else.',
      });
      skipCheckov(group, {
        id: 'CKV_AWS_260',
        comment:
          'The one instance of a single-instance web environment serves its clients directly, on port 80 (there is no load balancer to listen for it), and admits nothing else. HTTPS needs a load balancer: use EnvironmentPreset.highAvailability() with certificate (HTTPS on 443, port 80 off).',
      });
    }
    return group;
  }

  /** The load balancer's security group: its listener port in from anywhere, port 80 out to the instances. */
  private createLoadBalancerSecurityGroup(): ec2.SecurityGroup {
    const listenerPort = this.https ? 443 : 80;
    const group = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: `Load balancer of ${this.node.path}: port ${listenerPort} in from anywhere, port 80 out to the instances`,
      allowAllOutbound: false,
    });
    group.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(listenerPort), `Clients on port ${listenerPort}`);
    group.connections.allowTo(this.securityGroup, ec2.Port.tcp(80), 'Load balancer to instances');
    acknowledge(group, {
      id: 'AwsSolutions-EC23',
      reason: `The security group of an internet-facing load balancer admits the internet on its one listener port (${listenerPort}); the instances admit only this group.`,
    });
    if (!this.https) {
      skipCheckov(group, {
        id: 'CKV_AWS_260',
        comment:
          "The security group of an internet-facing load balancer whose one listener is HTTP on port 80 (no certificate given): that port must be open to the load balancer's clients, and the instances admit only this group. Give certificate to serve HTTPS on 443 instead: port 80 is then turned off and closed here.",
      });
    }
    return group;
  }

  /** The application version of the source bundle, which the instances may read. */
  private createApplicationVersion(sourceBundle: SourceBundle): elasticbeanstalk.CfnApplicationVersion {
    const bundle = sourceBundle.bind(this);
    const version = new elasticbeanstalk.CfnApplicationVersion(this, 'Version', {
      applicationName: this.application.applicationName,
      description: `Source bundle of ${this.node.path}`,
      sourceBundle: { s3Bucket: bundle.bucket.bucketName, s3Key: bundle.key },
    });
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSourceBundle',
        actions: ['s3:GetObject'],
        resources: [bundle.bucket.arnForObjects(bundle.key)],
      }),
    );
    return version;
  }

  /**
   * Lets the worker daemon (sqsd) on the instances process the queue (and decrypt its messages,
   * with a key) and publish its metrics.
   */
  private grantWorkerQueue(queue: sqs.IQueue, key: kms.IKey | undefined): void {
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ProcessWorkerQueue',
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        resources: [queue.queueArn],
      }),
    );
    // A consumer of a queue encrypted with a customer managed key needs kms:Decrypt on it (Amazon
    // SQS Developer Guide, "Key management").
    key?.grantDecrypt(this.instanceRole);
    // The worker daemon (sqsd) publishes its own CloudWatch metrics, as the AWS managed
    // AWSElasticBeanstalkWorkerTier instance policy allows. PutMetricData has no resource-level
    // permissions, so it is a policy of its own and its acknowledgement names only that (a new id: it
    // was an inline policy, and CloudFormation refuses to change a resource's type).
    const workerMetrics = new iam.ManagedPolicy(this, 'WorkerDaemonMetricsManagedPolicy', {
      description: 'Lets the worker daemon (sqsd) publish its CloudWatch metrics',
      roles: [this.instanceRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'PublishWorkerDaemonMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(workerMetrics, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The worker daemon publishes its CloudWatch metrics with cloudwatch:PutMetricData, which supports no resource-level permissions; this policy grants that action alone.',
    });
  }

  /** What every Elastic Beanstalk instance needs: stream its logs, publish rotated logs, report health. */
  private grantInstanceBasics(environmentName: string): void {
    const stack = Stack.of(this);
    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/aws/elasticbeanstalk/${environmentName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StreamLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [logGroups],
      }),
    );
    const beanstalkBucket = `arn:${stack.partition}:s3:::elasticbeanstalk-${stack.region}-${stack.account}`;
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishLogsToBeanstalkBucket',
        actions: ['s3:PutObject'],
        resources: [`${beanstalkBucket}/resources/environments/logs/*`],
      }),
    );
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBeanstalkEnvironmentFiles',
        actions: ['s3:GetObject'],
        resources: [`${beanstalkBucket}/resources/environments/*`],
      }),
    );
    const applicationName = this.application.applicationName;
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReportEnhancedHealth',
        actions: ['elasticbeanstalk:PutInstanceStatistics'],
        resources: [
          stack.formatArn({ service: 'elasticbeanstalk', resource: 'application', resourceName: applicationName }),
          stack.formatArn({
            service: 'elasticbeanstalk',
            resource: 'environment',
            resourceName: `${applicationName}/${environmentName}`,
          }),
        ],
      }),
    );
    acknowledge(
      this.instanceRole,
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'logs', `log-group:/aws/elasticbeanstalk/${environmentName}/*`)}]`,
        reason:
          "Elastic Beanstalk names the environment's log groups (one per log file) and their streams (one per instance) at run time; the grant is limited to this environment's /aws/elasticbeanstalk/<name>/ groups.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::elasticbeanstalk-${nagName(stack.region, 'AWS::Region')}-${nagName(stack.account, 'AWS::AccountId')}/resources/environments/logs/*]`,
        reason:
          "The instances publish rotated logs (LogPublicationControl) to Elastic Beanstalk's own bucket under keys named by environment and instance id, unknown before launch; only PutObject under the logs prefix is granted.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::elasticbeanstalk-${nagName(stack.region, 'AWS::Region')}-${nagName(stack.account, 'AWS::AccountId')}/resources/environments/*]`,
        reason:
          "Elastic Beanstalk keeps each environment's files (configuration, platform extensions) in its own bucket under a prefix named by the environment id, unknown before creation; only GetObject under resources/environments/ is granted.",
      },
    );
  }

  /**
   * Allows the instances on the database's port and to read its secret; returns its connection
   * settings.
   */
  private connectDatabase(database: IDetachableDatabase): { [name: string]: string } {
    database.allowConnectionsFrom(this);
    const connection = database.connectionEnvironment();
    if (connection.DB_SECRET_ARN !== undefined) database.grantSecretRead(this.instanceRole);
    return connection;
  }
}

/**
 * The worker's queue, encrypted and SSL-only, with a dead-letter queue for messages that keep
 * failing: both with SSE-KMS under `key` when given, else SSE-SQS (acknowledged to checkov).
 */
function createWorkerQueues(scope: Construct, key?: kms.IKey): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const encryption = key
    ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED };
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    ...encryption,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    ...encryption,
    enforceSSL: true,
    // The worker daemon's default visibility timeout (300 s), so a message is not redelivered while in progress.
    visibilityTimeout: Duration.seconds(300),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
  });
  if (!key) {
    const comment =
      "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled: true), which this check does not read (it looks only for KmsMasterKeyId). A customer managed key is not the default because every producer of the worker's queue would then need kms:GenerateDataKey and kms:Decrypt on it, and every AWS service sending to it a key policy statement: give workerQueueEncryptionKey to encrypt both queues with your key.";
    skipCheckov(queue, { id: 'CKV_AWS_27', comment });
    skipCheckov(deadLetterQueue, { id: 'CKV_AWS_27', comment });
  }
  return { queue, deadLetterQueue };
}
