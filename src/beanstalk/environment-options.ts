import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DeploymentPolicy, EnvironmentPreset, EnvironmentTier, PlatformUpdateLevel } from './options';
import { BeanstalkPlatform } from './platform';
import { AlarmSetting } from '../common/alarm-setting';
import { IDetachableDatabase } from '../database';

/**
 * The alarms of a {@link BeanstalkEnvironment} (each environment of a
 * {@link BeanstalkEnvironmentPair}), one setting per alarm. Each alarm notifies the environment's
 * `notificationTopic` when it fires and when it clears.
 */
export interface BeanstalkEnvironmentAlarmSettings {
  /**
   * Enhanced health's `EnvironmentHealth` (namespace `AWS/ElasticBeanstalk`, maximum per minute),
   * whose values are 0 Ok, 1 Info, 5 Unknown, 10 No data, 15 Warning, 20 Degraded, 25 Severe. The
   * alarm fires when the value is at or above the threshold for `evaluationPeriods` minutes.
   * Threshold: a status value, a whole number from 1 to 25; default 20 (Degraded: a high number
   * of failed requests or instances, which Warning's 15 reaches during every deployment), 5 minutes.
   *
   * @default - on, threshold 20, 5 periods of 1 minute
   */
  readonly environmentHealth?: AlarmSetting;

  /**
   * Web server tier only: the percentage of requests that ended with a 5xx status
   * (`ApplicationRequests5xx` / `ApplicationRequestsTotal`, environment level, each minute; 0
   * without requests). Threshold: a percentage from 0.1 to 100; default 5 (well above the noise
   * of a healthy application, well below an outage), 5 minutes.
   *
   * @default - on for the web server tier, threshold 5, 5 periods of 1 minute
   */
  readonly serverErrorRate?: AlarmSetting;

  /**
   * Worker tier only: the worker queue's `ApproximateAgeOfOldestMessage` (maximum per minute).
   * Threshold: seconds, a whole number from 60 to 1209600 (14 days); default 600 (twice the
   * worker daemon's 300-second visibility timeout: a message that waited that long is not being
   * worked on), 5 minutes.
   *
   * @default - on for the worker tier, threshold 600, 5 periods of 1 minute
   */
  readonly queueAge?: AlarmSetting;

  /**
   * Worker tier only: the dead-letter queue's `ApproximateNumberOfMessagesVisible` (maximum per
   * minute). Threshold: messages, a whole number from 1 to 100000; default 1 (every message there
   * failed 5 times and waits for someone), 1 minute.
   *
   * @default - on for the worker tier, threshold 1, 1 period of 1 minute
   */
  readonly deadLetterMessages?: AlarmSetting;
}

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

  /**
   * Whether the environment has its alarms (see {@link BeanstalkEnvironmentAlarmSettings}). Turn
   * them off when your own monitoring watches the environment; a pair's CNAME swap then has no
   * alarms to watch after the swap.
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * The threshold and periods of each alarm, or one alarm off.
   *
   * @default - every alarm of the tier with its documented default
   */
  readonly alarmSettings?: BeanstalkEnvironmentAlarmSettings;

  /**
   * Where the alarms send their notifications (one topic for both environments of a pair). A
   * topic you give must let CloudWatch alarms publish (`cloudwatch.amazonaws.com`, and its KMS
   * key if encrypted).
   *
   * @default - a new topic encrypted with its own KMS key that admits this account's alarms
   */
  readonly notificationTopic?: sns.ITopic;
}
