import { ArnFormat, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createSessionManagerRole } from '../common/instance-role';
import { PropsValidator } from '../common/validation';
import { IDetachableDatabase } from '../database';
import { BeanstalkApplication } from './application';
import { defaultEnvironmentName, validateEnvironmentOptions, validateName } from './checks';
import { OptionSettings } from './option-settings';
import { DeploymentPolicy, EnvironmentPreset, EnvironmentTier, PlatformUpdateLevel } from './options';
import { BeanstalkPlatform } from './platform';
import { SourceBundle } from './source-bundle';
import { createBeanstalkVpc, validateBeanstalkVpc } from './vpc';
import { acknowledge, nagArn, nagName } from '../common/acknowledge';

/** The TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only. */
const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/**
 * Settings shared by a {@link BeanstalkEnvironment} and both environments of a
 * {@link BeanstalkEnvironmentPair}.
 */
export interface BeanstalkEnvironmentOptions {
  /**
   * The platform the environment runs on. Prefer `BeanstalkPlatform.latest(branchName)` or
   * `fromPlatformArn`: an ARN change updates the environment in place, a solution stack name
   * change replaces it.
   */
  readonly platform: BeanstalkPlatform;

  /**
   * The VPC to run in. The `highAvailability` preset needs private subnets with egress (for the
   * instances) and, for the web server tier, public subnets (for the load balancer) in at least
   * two Availability Zones; `singleInstance` needs a public subnet.
   *
   * @default - a new VPC over 2 Availability Zones with VPC flow logs: public and private subnets
   * with one NAT gateway per zone for `highAvailability`, public subnets only for `singleInstance`
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The shape of the environment.
   *
   * @default EnvironmentPreset.highAvailability()
   */
  readonly preset?: EnvironmentPreset;

  /**
   * How new versions and configuration reach the instances.
   *
   * @default - `DeploymentPolicy.allAtOnce()` for `singleInstance`, `DeploymentPolicy.immutable()` for `highAvailability`
   */
  readonly deploymentPolicy?: DeploymentPolicy;

  /**
   * The tier. A worker gets its own encrypted, SSL-only SQS queue with a dead-letter queue.
   * Changing the tier replaces the environment.
   *
   * @default EnvironmentTier.WEB_SERVER
   */
  readonly tier?: EnvironmentTier;

  /**
   * The EC2 instance type.
   *
   * @default t3.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * A certificate for HTTPS on port 443 of the load balancer (with a TLS 1.3/1.2 policy); port 80
   * is then turned off. Needs the `highAvailability` preset and the web server tier.
   *
   * @default - HTTP on port 80
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The path the load balancer requests to decide whether an instance is healthy
   * (`highAvailability` web server only).
   *
   * @default '/'
   */
  readonly healthCheckPath?: string;

  /**
   * A database the application uses, kept outside the environment's lifecycle. The environment's
   * security group is allowed on its port, its connection settings (`DB_HOST`, `DB_PORT`,
   * `DB_NAME`, `DB_SECRET_ARN`) become environment variables, its secret is passed through the
   * `aws:elasticbeanstalk:application:environmentsecrets` namespace as `DB_SECRET` (the secret ARN,
   * resolved by Elastic Beanstalk on the instance: never plain text in the template), and the
   * instances may read the secret.
   *
   * @default - no database
   */
  readonly database?: IDetachableDatabase;

  /**
   * Environment variables of the application (`aws:elasticbeanstalk:application:environment`).
   * Never put secrets here: they are visible in the template and the console.
   *
   * @default - none (beyond the database's settings)
   */
  readonly environmentVariables?: { [name: string]: string };

  /**
   * How long the instance and health logs streamed to CloudWatch Logs are kept. One of 1, 3, 5, 7,
   * 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827 or 3653 days.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * When managed platform updates start each week, in UTC, as `Day:HH:MM` (e.g. `Sun:03:00`).
   *
   * @default 'Sun:03:00'
   */
  readonly maintenanceWindowStart?: string;

  /**
   * How far managed platform updates may move the platform version.
   *
   * @default PlatformUpdateLevel.MINOR
   */
  readonly updateLevel?: PlatformUpdateLevel;

  /**
   * The service role Elastic Beanstalk uses for the environment.
   *
   * @default - the application's service role
   */
  readonly serviceRole?: iam.IRole;

  /**
   * Extra option settings, applied after (and overriding, for the same namespace and option name)
   * every setting this construct makes. The escape hatch for what the props do not cover.
   *
   * @default - none
   */
  readonly optionSettings?: elasticbeanstalk.CfnEnvironment.OptionSettingProperty[];
}

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
   * (`<prefix>.<region>.elasticbeanstalk.com`, unique in the region). Changing it replaces the
   * environment.
   *
   * @default - chosen by Elastic Beanstalk
   */
  readonly cnamePrefix?: string;
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

  constructor(scope: Construct, id: string, props: BeanstalkEnvironmentProps) {
    super(scope, id);

    const preset = props.preset ?? EnvironmentPreset.highAvailability();
    const tier = props.tier ?? EnvironmentTier.WEB_SERVER;
    const deploymentPolicy = props.deploymentPolicy ?? defaultDeploymentPolicy(preset);
    const environmentName = props.environmentName ?? defaultEnvironmentName(this);
    const check = new PropsValidator('BeanstalkEnvironment');
    validateEnvironmentOptions(check, props);
    validateName(check, 'environmentName', environmentName);
    check.throwIfInvalid();

    this.application = props.application;
    this.environmentName = environmentName;
    this.loadBalanced = preset.loadBalanced;
    this.tier = tier;
    this.https = props.certificate !== undefined;
    const webServer = tier === EnvironmentTier.WEB_SERVER;
    const withLoadBalancer = preset.loadBalanced && webServer;

    this.vpc = props.vpc ?? createBeanstalkVpc(this, 'Vpc', preset.loadBalanced);
    validateBeanstalkVpc('BeanstalkEnvironment', this.vpc, preset, tier);
    const instanceSubnets = this.vpc.selectSubnets({
      subnetType: preset.loadBalanced ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
    });

    // Security groups: internet -> load balancer (listener port) -> instances (80); a single web
    // instance is reached directly; a worker is reached by nobody.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: `Elastic Beanstalk instances of ${this.node.path}: HTTPS out; in only from the load balancer (or the internet for a single web instance)`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to Elastic Beanstalk, S3, CloudWatch, SQS and package repositories',
    );
    if (withLoadBalancer) {
      const listenerPort = this.https ? 443 : 80;
      this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
        vpc: this.vpc,
        description: `Load balancer of ${this.node.path}: port ${listenerPort} in from anywhere, port 80 out to the instances`,
        allowAllOutbound: false,
      });
      this.loadBalancerSecurityGroup.addIngressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(listenerPort),
        `Clients on port ${listenerPort}`,
      );
      this.loadBalancerSecurityGroup.connections.allowTo(
        this.securityGroup,
        ec2.Port.tcp(80),
        'Load balancer to instances',
      );
      acknowledge(this.loadBalancerSecurityGroup, {
        id: 'AwsSolutions-EC23',
        reason: `The security group of an internet-facing load balancer admits the internet on its one listener port (${listenerPort}); the instances admit only this group.`,
      });
    } else if (webServer) {
      this.securityGroup.addIngressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(80),
        'Clients of the single instance on port 80',
      );
      acknowledge(this.securityGroup, {
        id: 'AwsSolutions-EC23',
        reason:
          'A single-instance web environment has no load balancer: its one instance serves clients directly on port 80 and admits nothing else.',
      });
    }
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(80) });

    // Worker queue: encrypted, SSL-only, with a dead-letter queue for messages that keep failing.
    if (!webServer) {
      this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      this.queue = new sqs.Queue(this, 'Queue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The worker daemon's default visibility timeout (300 s), so a message is not redelivered while in progress.
        visibilityTimeout: Duration.seconds(300),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      });
    }

    // Roles: the instances' (least privilege, through an instance profile) and the service's.
    this.serviceRole = props.serviceRole ?? props.application.serviceRole;
    this.instanceRole = createSessionManagerRole(
      this,
      'InstanceRole',
      `Elastic Beanstalk instances of ${this.node.path}: Session Manager, logs, health, their own source bundle`,
    );
    this.grantInstanceBasics(environmentName);
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.instanceRole });

    // The application version.
    if (props.sourceBundle) {
      const bundle = props.sourceBundle.bind(this);
      this.applicationVersion = new elasticbeanstalk.CfnApplicationVersion(this, 'Version', {
        applicationName: props.application.applicationName,
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
    }

    // Option settings, all literal on the environment.
    const settings = new OptionSettings();
    const env = 'aws:elasticbeanstalk:environment';
    settings.set(env, 'EnvironmentType', preset.loadBalanced ? 'LoadBalanced' : 'SingleInstance');
    settings.set(env, 'ServiceRole', this.serviceRole.roleArn);
    if (withLoadBalancer) settings.set(env, 'LoadBalancerType', 'application');

    const launch = 'aws:autoscaling:launchconfiguration';
    settings.set(launch, 'IamInstanceProfile', this.instanceProfile.instanceProfileArn);
    settings.set(launch, 'DisableIMDSv1', 'true');
    settings.set(launch, 'RootVolumeType', 'gp3');
    settings.set(launch, 'SecurityGroups', this.securityGroup.securityGroupId);
    settings.set(launch, 'DisableDefaultEC2SecurityGroup', 'true');
    settings.set(
      'aws:ec2:instances',
      'InstanceTypes',
      (props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO)).toString(),
    );
    if (preset.loadBalanced) {
      settings.set('aws:autoscaling:asg', 'MinSize', String(preset.minInstances));
      settings.set('aws:autoscaling:asg', 'MaxSize', String(preset.maxInstances));
    }

    const vpc = 'aws:ec2:vpc';
    settings.set(vpc, 'VPCId', this.vpc.vpcId);
    settings.set(vpc, 'Subnets', Fn.join(',', instanceSubnets.subnetIds));
    settings.set(vpc, 'AssociatePublicIpAddress', preset.loadBalanced ? 'false' : 'true');
    if (withLoadBalancer) {
      settings.set(
        vpc,
        'ELBSubnets',
        Fn.join(',', this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC }).subnetIds),
      );
      settings.set(vpc, 'ELBScheme', 'public');
      const lbSg = this.loadBalancerSecurityGroup!.securityGroupId;
      settings.set('aws:elbv2:loadbalancer', 'SecurityGroups', lbSg);
      settings.set('aws:elbv2:loadbalancer', 'ManagedSecurityGroup', lbSg);
      settings.set('aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath', props.healthCheckPath ?? '/');
      if (props.certificate) {
        settings.set('aws:elbv2:listener:443', 'Protocol', 'HTTPS');
        settings.set('aws:elbv2:listener:443', 'SSLCertificateArns', props.certificate.certificateArn);
        settings.set('aws:elbv2:listener:443', 'SSLPolicy', SSL_POLICY);
        settings.set('aws:elbv2:listener:default', 'ListenerEnabled', 'false');
      }
    }

    settings.set('aws:elasticbeanstalk:healthreporting:system', 'SystemType', 'enhanced');
    settings.set('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', 'true');
    settings.set(
      'aws:elasticbeanstalk:managedactions',
      'PreferredStartTime',
      props.maintenanceWindowStart ?? 'Sun:03:00',
    );
    settings.set(
      'aws:elasticbeanstalk:managedactions:platformupdate',
      'UpdateLevel',
      props.updateLevel ?? PlatformUpdateLevel.MINOR,
    );
    settings.set('aws:elasticbeanstalk:managedactions:platformupdate', 'InstanceRefreshEnabled', 'true');

    const retention = String(props.logRetention ?? logs.RetentionDays.ONE_YEAR);
    settings.set('aws:elasticbeanstalk:cloudwatch:logs', 'StreamLogs', 'true');
    settings.set('aws:elasticbeanstalk:cloudwatch:logs', 'DeleteOnTerminate', 'false');
    settings.set('aws:elasticbeanstalk:cloudwatch:logs', 'RetentionInDays', retention);
    settings.set('aws:elasticbeanstalk:cloudwatch:logs:health', 'HealthStreamingEnabled', 'true');
    settings.set('aws:elasticbeanstalk:cloudwatch:logs:health', 'DeleteOnTerminate', 'false');
    settings.set('aws:elasticbeanstalk:cloudwatch:logs:health', 'RetentionInDays', retention);
    settings.set('aws:elasticbeanstalk:hostmanager', 'LogPublicationControl', 'true');

    const command = 'aws:elasticbeanstalk:command';
    settings.set(command, 'DeploymentPolicy', deploymentPolicy.policy);
    if (deploymentPolicy.batch) {
      settings.set(command, 'BatchSizeType', deploymentPolicy.batch.sizeType);
      settings.set(command, 'BatchSize', String(deploymentPolicy.batch.value));
    }
    if (deploymentPolicy.newVersionPercent !== undefined) {
      settings.set(
        'aws:elasticbeanstalk:trafficsplitting',
        'NewVersionPercent',
        String(deploymentPolicy.newVersionPercent),
      );
      settings.set(
        'aws:elasticbeanstalk:trafficsplitting',
        'EvaluationTime',
        String(deploymentPolicy.evaluationTime!.toMinutes()),
      );
    }

    if (this.queue) {
      settings.set('aws:elasticbeanstalk:sqsd', 'WorkerQueueURL', this.queue.queueUrl);
      settings.set('aws:elasticbeanstalk:sqsd', 'HttpPath', '/');
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
          resources: [this.queue.queueArn],
        }),
      );
      // The worker daemon (sqsd) publishes its own CloudWatch metrics, as the AWS managed
      // AWSElasticBeanstalkWorkerTier instance policy allows. PutMetricData has no resource-level
      // permissions, so it is a policy of its own and its acknowledgement names only that.
      const workerMetrics = new iam.Policy(this, 'WorkerDaemonMetrics', {
        statements: [
          new iam.PolicyStatement({
            sid: 'PublishWorkerDaemonMetrics',
            actions: ['cloudwatch:PutMetricData'],
            resources: ['*'],
          }),
        ],
      });
      this.instanceRole.attachInlinePolicy(workerMetrics);
      acknowledge(workerMetrics, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The worker daemon publishes its CloudWatch metrics with cloudwatch:PutMetricData, which supports no resource-level permissions; this policy grants that action alone.',
      });
    }

    if (props.database) this.connectDatabase(props.database, settings);
    for (const [name, value] of Object.entries(props.environmentVariables ?? {})) {
      settings.set('aws:elasticbeanstalk:application:environment', name, value);
    }
    for (const setting of props.optionSettings ?? []) settings.add(setting);

    const platform = props.platform.bind(this, tier);
    this.cfnEnvironment = new elasticbeanstalk.CfnEnvironment(this, 'Resource', {
      applicationName: props.application.applicationName,
      environmentName,
      cnamePrefix: props.cnamePrefix,
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

  private connectDatabase(database: IDetachableDatabase, settings: OptionSettings): void {
    database.allowConnectionsFrom(this);
    const connection = database.connectionEnvironment();
    for (const [name, value] of Object.entries(connection)) {
      settings.set('aws:elasticbeanstalk:application:environment', name, value);
    }
    if (connection.DB_SECRET_ARN !== undefined) {
      // Elastic Beanstalk resolves the secret on the instance; the template holds only its ARN.
      settings.set('aws:elasticbeanstalk:application:environmentsecrets', 'DB_SECRET', connection.DB_SECRET_ARN);
      database.grantSecretRead(this.instanceRole);
    }
  }
}

/** Immutable for a load-balanced environment (full capacity, quick rollback); all at once for one instance. */
function defaultDeploymentPolicy(preset: EnvironmentPreset): DeploymentPolicy {
  return preset.loadBalanced ? DeploymentPolicy.immutable() : DeploymentPolicy.allAtOnce();
}
