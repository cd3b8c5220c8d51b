import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DeploymentPolicy, EnvironmentPreset, EnvironmentTier, PlatformUpdateLevel } from './options';
import { BeanstalkPlatform } from './platform';
import { IDetachableDatabase } from '../database';

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
