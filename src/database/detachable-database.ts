import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { DatabaseBackupPlan } from './database-backup-plan';
import {
  DATABASE_ALARM_RANGES,
  DatabaseMetrics,
  createEventSubscription,
  databaseAlarmSpecs,
  databaseDashboardRows,
} from './monitoring';
import { acknowledge, nagArn, skipCheckov } from '../common/acknowledge';
import { AlarmSetting } from '../common/alarm-setting';
import { ConstructAlarms, addDashboardSection } from '../common/monitoring';
import { createEncryptedTopic } from '../common/notification-topic';
import { PropsValidator } from '../common/validation';
import { MAX_STOP_CONDITIONS, validateResilienceOptions } from '../resilience/experiment-spec';
import { measuredRecoveryRows, ResilienceExperiments } from '../resilience/experiments';
import { ResilienceExperimentOptions } from '../resilience/options';

/**
 * Properties for a {@link DetachableDatabase}.
 */
export interface DetachableDatabaseProps {
  /**
   * The VPC the database runs in. It needs private subnets (isolated, or with egress) in at least
   * two Availability Zones.
   */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets the database (and its subnet group) use. They must be private: public subnets
   * are rejected.
   *
   * @default - the VPC's isolated subnets if it has any, else its private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The database engine: MySQL or PostgreSQL, with a full version (for example
   * `rds.MysqlEngineVersion.VER_8_4_7` or `rds.PostgresEngineVersion.VER_17_6`). A major-only
   * version such as `VER_8_0` renders `'8.0'`, which CloudFormation Validate rejects.
   *
   * @default - MySQL 8.4.7
   */
  readonly engine?: rds.IInstanceEngine;

  /**
   * The instance class of the database.
   *
   * @default t3.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The storage allocated at creation, in GiB (20 to 65536). With `snapshotIdentifier` it must be
   * at least the snapshot's size.
   *
   * @default 20 (with `snapshotIdentifier`: the snapshot's size)
   */
  readonly allocatedStorage?: number;

  /**
   * The size storage autoscaling may grow to, in GiB. RDS needs it at least 10% above
   * `allocatedStorage`; set it equal to `allocatedStorage` to turn storage autoscaling off.
   *
   * With `snapshotIdentifier` and no `allocatedStorage` the snapshot's size is unknown here, so
   * storage autoscaling stays off unless this is set (at least 10% above the snapshot's size).
   *
   * @default - 100, or twice `allocatedStorage` when that is larger (at most 65536); with
   * `snapshotIdentifier` and no `allocatedStorage`, none (storage autoscaling off)
   */
  readonly maxAllocatedStorage?: number;

  /**
   * Whether RDS keeps a synchronous standby in a second Availability Zone and fails over to it.
   *
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * The port the database listens on (1150 to 65535).
   *
   * The default is one above the engine's well-known port (3306 for MySQL, 5432 for PostgreSQL),
   * which cdk-nag AwsSolutions-RDS11 flags. Applications read the port from
   * `connectionEnvironment()` (`DB_PORT`) or the secret, so they need not know it.
   *
   * @default - 3307 for MySQL, 5433 for PostgreSQL
   */
  readonly port?: number;

  /**
   * The name of a database to create in the instance. Not allowed with `snapshotIdentifier`: a
   * restored instance holds the databases of the snapshot.
   *
   * @default - no database is created (PostgreSQL still has `postgres`)
   */
  readonly databaseName?: string;

  /**
   * The master user's name. With `snapshotIdentifier` it is required and must be the master user
   * of the snapshot (a restore keeps it; only the password is replaced), so that the generated
   * secret names the right user. An Elastic Beanstalk-created database uses the value of its
   * `aws:rds:dbinstance/DBUser` option (default `ebroot`).
   *
   * @default 'dbadmin' (required with `snapshotIdentifier`)
   */
  readonly masterUsername?: string;

  /**
   * What happens to the instance when it leaves the stack (resource removed, stack deleted) or
   * is replaced: `SNAPSHOT` takes a final snapshot, `RETAIN` keeps it running. `DESTROY` is only
   * allowed with `deletionProtection: false`. Applies to both `DeletionPolicy` and
   * `UpdateReplacePolicy`.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether RDS refuses to delete the instance until this is turned off.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * How long automated backups are kept (1 to 35 days, in whole days). RDS restores the instance
   * to any point in time within it, and keeps these backups when the instance is deleted (until
   * they expire).
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * Puts the instance in an AWS Backup plan as well: `DatabaseBackupPlan.daily()` creates a plan
   * of daily snapshots kept 35 days (or `retention`) in a vault of the construct's own;
   * `DatabaseBackupPlan.fromBackupPlan(plan)` adds the instance to a plan of yours. The instance
   * is selected by ARN, through a role allowed to snapshot this instance only.
   *
   * The snapshots are billed as backup storage per GB-month (incremental after the first, so
   * about the data changed between snapshots); see the AWS Backup pricing page for the price.
   * On a Multi-AZ MySQL or PostgreSQL instance a snapshot is taken from the standby; on a
   * Single-AZ instance it suspends I/O briefly (seconds to minutes).
   *
   * Adding it to an existing deployment creates the plan's resources and leaves the instance as
   * it is.
   *
   * @default - not in an AWS Backup plan: the automated backups of `backupRetention` and the final
   * snapshot of `removalPolicy` protect the data
   */
  readonly backupPlan?: DatabaseBackupPlan;

  /**
   * Restore the instance from this DB snapshot (name, or ARN for a shared snapshot), for example
   * the final snapshot of an Elastic Beanstalk-coupled database. Requires `masterUsername`; not
   * allowed with `databaseName`. `engine` must be the snapshot's engine and version. The
   * snapshot's storage encryption is kept: copy an unencrypted snapshot with a KMS key before
   * restoring it to get encrypted storage.
   *
   * Keep this property on every later deployment: removing or changing it makes CloudFormation
   * replace the instance with a new one.
   *
   * @default - a new, empty instance
   */
  readonly snapshotIdentifier?: string;

  /**
   * Whether IAM database authentication is enabled: database users created for it (MySQL: with
   * the `AWSAuthenticationPlugin`; PostgreSQL: granted `rds_iam`) log in with short-lived IAM
   * tokens instead of a password (grant with `instance.grantConnect()`). Password logins, the
   * master user's included, keep working either way. AWS suggests it for applications that open
   * fewer than 200 new connections per second.
   *
   * Turning it on or off modifies the instance in place.
   *
   * @default true
   */
  readonly iamAuthentication?: boolean;

  /**
   * How often Secrets Manager rotates the master password.
   *
   * @default Duration.days(30)
   */
  readonly secretRotationInterval?: Duration;

  /**
   * A Secrets Manager interface endpoint the rotation function calls. Only needed when the VPC has
   * no private subnets with egress and already has a Secrets Manager endpoint with private DNS (a
   * second endpoint with private DNS for the same service cannot be created in that VPC). It must
   * have private DNS enabled: the function calls the standard name, `secretsmanager.<region>.amazonaws.com`.
   *
   * @default - the rotation function runs in private subnets with egress and reaches Secrets
   * Manager through NAT; in a VPC without them (which needs DNS support and DNS host names on), a
   * Secrets Manager endpoint with private DNS is created in the database's subnets
   */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;

  /**
   * Whether the construct creates its CloudWatch alarms (CPU, free storage, free memory,
   * connections; see `alarmSettings`), each sending its ALARM and OK notifications to
   * `notificationTopic`. Turn them off when your own monitoring watches the instance.
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
  readonly alarmSettings?: DetachableDatabaseAlarmSettings;

  /**
   * Whether RDS sends the instance's events to `notificationTopic` (an RDS event subscription for
   * this instance): restarts and shutdowns, Multi-AZ failovers, failures (storage autoscaling's
   * included), storage 90% used, offline maintenance, storage at 80% of `maxAllocatedStorage`,
   * stops and starts, and recoveries (the categories `availability`, `failover`, `failure`,
   * `low storage`, `maintenance`, `notification`, `recovery`). Adding or removing it leaves the
   * instance as it is.
   *
   * @default true
   */
  readonly eventNotifications?: boolean;

  /**
   * The topic the alarms and the RDS events are sent to. A topic of your own needs, in its topic
   * policy, `sns:Publish` for `cloudwatch.amazonaws.com` and `events.rds.amazonaws.com` (SNS's
   * default topic policy allows this account's services to publish; a policy of your own must say
   * so), and, when it is encrypted with a customer managed key, `kms:GenerateDataKey*` and
   * `kms:Decrypt` for both services in the key policy. The construct adds the RDS statement to a
   * `kms.Key` this app defines in the same account; it never changes the topic policy of your
   * topic. RDS does not publish to FIFO topics.
   *
   * @default - a new topic encrypted with its own KMS key, accepting only TLS publishers and
   * letting this account's alarms and this instance's events publish; none when `alarms` and
   * `eventNotifications` are both off
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * The alarms of a {@link DetachableDatabase}: each one on by default, with the threshold (in the
 * unit named) and evaluation periods documented here.
 */
export interface DetachableDatabaseAlarmSettings {
  /**
   * CPU: `CPUUtilization` (Average over 5 minutes) at or above `threshold` percent for
   * `evaluationPeriods` periods. Threshold from 1 to 100.
   *
   * @default - 80% for 3 periods (15 minutes)
   */
  readonly cpuUtilization?: AlarmSetting;

  /**
   * Free storage: `FreeStorageSpace` (Minimum over 5 minutes) below `threshold` GiB for
   * `evaluationPeriods` periods. Threshold from 0.1 to 65536 GiB. Storage autoscaling adds storage
   * when less than 10% is free, so with it on the alarm shows that autoscaling failed, is in its
   * 6-hour cooling-off, or reached `maxAllocatedStorage`; the event subscription warns earlier,
   * when storage reaches 80% of the maximum.
   *
   * @default - 10% of `allocatedStorage` without storage autoscaling, 5% with it (of 20 GiB when
   * the size is not known here: a restore without `allocatedStorage`), for 2 periods (10 minutes)
   */
  readonly freeStorageSpace?: AlarmSetting;

  /**
   * Free memory: `FreeableMemory` (Minimum over 5 minutes, the MemAvailable of the instance) below
   * `threshold` MiB for `evaluationPeriods` periods. Threshold from 1 to 4194304 MiB.
   *
   * @default - 10% of the instance class's memory for the t3, t4g, m5, m6g, m6i, m7g, m7i, r5,
   * r6g, r6i, r7g and r7i classes up to 32 GiB, 256 MiB for other classes; 3 periods (15 minutes)
   */
  readonly freeableMemory?: AlarmSetting;

  /**
   * Connections: `DatabaseConnections` (Maximum over 1 minute) at or above `threshold` connections
   * for `evaluationPeriods` minutes. Threshold a whole number from 1 to 100000.
   *
   * The default is 80% of the engine's default `max_connections` for the instance class (MySQL
   * `{DBInstanceClassMemory/12582880}`, PostgreSQL `LEAST({DBInstanceClassMemory/9531392},5000)`),
   * computed from 75% of the class memory for the classes listed under `freeableMemory` (RDS
   * reserves part of that memory and publishes no exact figure, so the estimate stays below the real
   * limit). For any other class set the threshold
   * (for example 80% of `SHOW max_connections`): without it the alarm is not created and synthesis
   * warns. When you set `max_connections` in `parameterGroup`, synthesis fails until you set the
   * threshold too.
   *
   * @default - 80% of the default max_connections of the instance class (estimated from 75% of its
   *   memory, below what RDS reserves), for 5 periods (5 minutes)
   */
  readonly databaseConnections?: AlarmSetting;
}

/**
 * How to find a database created elsewhere, for {@link DetachableDatabase.fromExisting}.
 */
export interface DetachableDatabaseAttributes {
  /** The instance identifier (`DBInstanceIdentifier`), for example `awseb-e-abc123-stack-awsebrdsdatabase-xyz`. */
  readonly instanceIdentifier: string;

  /** The instance's endpoint address (host name). */
  readonly endpointAddress: string;

  /** The port the instance listens on. */
  readonly port: number;

  /**
   * The security groups attached to the instance. `allowConnectionsFrom()` adds ingress rules to
   * them, so import them mutable (the default of `ec2.SecurityGroup.fromSecurityGroupId`).
   */
  readonly securityGroups: ec2.ISecurityGroup[];

  /**
   * The engine of the instance.
   *
   * @default - unknown
   */
  readonly engine?: rds.IInstanceEngine;

  /**
   * The secret that holds the credentials, if there is one.
   *
   * @default - none: `connectionEnvironment()` has no `DB_SECRET_ARN` and `grantSecretRead()` throws
   */
  readonly secret?: secretsmanager.ISecret;

  /**
   * The name of the application's database in the instance (`ebdb` for an Elastic Beanstalk-created one).
   *
   * @default - unknown: `connectionEnvironment()` has no `DB_NAME`
   */
  readonly databaseName?: string;

  /**
   * The instance's resource id (`DbiResourceId`), needed for `instance.grantConnect()`.
   *
   * @default - unknown
   */
  readonly instanceResourceId?: string;

  /**
   * The VPC the instance runs in, so that environments given this database can check they run in
   * it too.
   *
   * @default - unknown: not checked
   */
  readonly vpc?: ec2.IVpc;
}

/**
 * A database applications connect to, whether a {@link DetachableDatabase} owns it or it was
 * adopted with {@link DetachableDatabase.fromExisting}.
 */
export interface IDetachableDatabase extends ec2.IConnectable, IConstruct {
  /** The RDS instance. */
  readonly instance: rds.IDatabaseInstance;

  /** The host name applications connect to. */
  readonly endpointAddress: string;

  /** The port applications connect to. */
  readonly port: number;

  /**
   * The application's database in the instance, when known.
   *
   * @default - unknown
   */
  readonly databaseName?: string;

  /**
   * The VPC the instance runs in, when known. Constructs that connect to the database by security
   * group (a `BeanstalkEnvironment` given `database`) check that they run in it.
   *
   * @default - unknown
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Opens the database port to the security groups of `other`, and nothing else: never a CIDR
   * range. When `other` is in another stack, the ingress rule is created in that stack, so the
   * consumer depends on the database and never the other way round.
   */
  allowConnectionsFrom(other: ec2.IConnectable): void;

  /**
   * The non-secret connection settings, for environment variables of an Elastic Beanstalk
   * environment, a container or user data: `DB_HOST`, `DB_PORT`, `DB_NAME` (when known) and
   * `DB_SECRET_ARN` (when there is a secret). The password is never included: read it from the
   * secret.
   */
  connectionEnvironment(): { [key: string]: string };

  /**
   * Allows `grantee` to read the credentials secret (and decrypt it with its key). Throws when the
   * database has no secret.
   */
  grantSecretRead(grantee: iam.IGrantable): iam.Grant;
}

/**
 * An RDS database whose lifecycle is independent of any environment that uses it.
 *
 * The instance is protected from deletion, leaves a final snapshot when it is removed or
 * replaced, keeps 7 days of backups, runs Multi-AZ in private subnets, encrypts its storage with
 * its own KMS key, enforces TLS through its parameter group, exports its logs to CloudWatch Logs,
 * and keeps its master credentials in a KMS-encrypted Secrets Manager secret rotated every 30 days.
 *
 * What is logged: MySQL exports its error log, its slow query log and an audit log (the MariaDB
 * Audit Plugin, in an option group of the construct's own, on the MySQL versions RDS offers it for:
 * 8.4, 8.0.28 and later, 5.7) of connections and disconnections, DDL statements (`CREATE`,
 * `ALTER`, ...) and DCL statements (`GRANT`, `REVOKE`, ...). The general log, which records every
 * statement with its values, is not switched on. PostgreSQL exports its `postgresql` and `upgrade`
 * logs. RDS creates the log groups (`/aws/rds/instance/<id>/<log>`). On an existing MySQL
 * instance, the first deployment with the audit log adds the option group in place (no
 * replacement, no restart); AWS recommends adding the audit plugin during a maintenance window or
 * at low load, as doing so might cause an outage.
 *
 * Enhanced Monitoring samples the instance's operating system every 60 seconds through a role the
 * construct creates (allowed to write to the `RDSOSMetrics` log group only). RDS itself charges
 * nothing for it: it is billed as CloudWatch Logs ingestion and storage of `RDSOSMetrics` (kept 30
 * days unless the log group's retention is changed), beyond the CloudWatch Logs free tier.
 *
 * IAM database authentication is on, beside password logins: database users created for it log
 * in with IAM tokens (`iamAuthentication: false` turns it off). Backups: RDS automated backups
 * with point-in-time recovery for `backupRetention`, kept after deletion until they expire, and
 * a final snapshot; `backupPlan` adds daily snapshots in an AWS Backup plan (the construct's or
 * yours).
 *
 * Monitoring: four CloudWatch alarms (CPU, free storage, free memory, connections near the
 * engine's `max_connections`; `alarmSettings`, `alarms: false`) and an RDS event subscription
 * (failovers, failures, low storage, restarts, recoveries; `eventNotifications: false`) notify
 * `notificationTopic`, an encrypted topic of the construct's own unless you give one; the
 * `metric*()` methods return the metrics the alarms watch and `addToDashboard()` adds them to a
 * dashboard. None of it changes the instance: adding it to an existing deployment creates the
 * alarms, the topic, its key and the subscription only.
 *
 * Applications are let in with `allowConnectionsFrom()`, which works across stacks without making
 * the database's stack depend on theirs, and configured with `connectionEnvironment()`. A
 * database created elsewhere (for example by an Elastic Beanstalk environment) is adopted with
 * `DetachableDatabase.fromExisting()`, or restored from its snapshot with `snapshotIdentifier`.
 *
 * @example
 * declare const webApp: HighlyAvailableWebApp;
 *
 * const db = new patterns.DetachableDatabase(this, 'Inventory', {
 *   vpc: webApp.vpc,
 *   engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_7 }),
 *   databaseName: 'inventory',
 *   backupRetention: Duration.days(14),
 *   removalPolicy: RemovalPolicy.SNAPSHOT,
 * });
 * // The engine port (3307 by default) from the web tier's security group only.
 * db.allowConnectionsFrom(webApp);
 * // The instances may read the credentials; DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN go to their environment.
 * db.grantSecretRead(webApp.autoScalingGroup);
 * const settings = db.connectionEnvironment();
 * new CfnOutput(this, 'DbHost', { value: settings.DB_HOST });
 */
export class DetachableDatabase extends Construct implements IDetachableDatabase {
  /**
   * Adopts a database created elsewhere (for example by an Elastic Beanstalk environment) to
   * connect to and allow access to, without owning it: nothing of the instance is created,
   * changed or deleted by this stack, except the ingress rules `allowConnectionsFrom()` adds.
   */
  public static fromExisting(scope: Construct, id: string, attrs: DetachableDatabaseAttributes): IDetachableDatabase {
    return new ExistingDatabase(scope, id, attrs);
  }

  /** The RDS instance (a `rds.DatabaseInstance`, or a `rds.DatabaseInstanceFromSnapshot` with `snapshotIdentifier`). */
  public readonly instance: rds.IDatabaseInstance;

  /**
   * The Secrets Manager secret with the master credentials (`username`, `password`, `host`,
   * `port`, `engine`, `dbname`), encrypted with `encryptionKey` and rotated automatically.
   */
  public readonly secret: secretsmanager.ISecret;

  /**
   * The customer managed KMS key (rotated yearly, retained on deletion) that encrypts the secret
   * and, for a new instance, its storage.
   */
  public readonly encryptionKey: kms.IKey;

  /** The parameter group that enforces TLS and turns on the exported logs. */
  public readonly parameterGroup: rds.IParameterGroup;

  /** The database's security group: the database port in from allowed security groups only, nothing out. */
  public readonly securityGroup: ec2.ISecurityGroup;

  /**
   * The database's connections (its security group, default port `port`). Across stacks, prefer
   * `allowConnectionsFrom(consumer)` or `consumer.connections.allowToDefaultPort(db)`:
   * `db.connections.allowDefaultPortFrom(consumer)` puts the rule in the database's stack and
   * makes it depend on the consumer's stack.
   */
  public readonly connections: ec2.Connections;

  /** The engine of the database. */
  public readonly engine: rds.IInstanceEngine;

  /** The host name applications connect to. */
  public readonly endpointAddress: string;

  /**
   * The port applications connect to. A number (the configured port, not a token), so it can be
   * used in security group rules and environment variables alike.
   */
  public readonly port: number;

  /**
   * The database created in the instance (`databaseName`).
   *
   * @default - none
   */
  public readonly databaseName?: string;

  /**
   * The VPC the instance runs in (optional only because `IDetachableDatabase.vpc` is).
   *
   * @default - always set: the `vpc` prop
   */
  public readonly vpc?: ec2.IVpc;

  /**
   * The AWS Backup plan the instance is in (the construct's, or the one given), with `backupPlan`.
   *
   * @default - none: the instance is in no AWS Backup plan
   */
  public readonly awsBackupPlan?: backup.IBackupPlan;

  /**
   * The backup vault the construct's plan stores the snapshots in, with `DatabaseBackupPlan.daily()`.
   *
   * @default - none: no plan of the construct's own
   */
  public readonly awsBackupVault?: backup.IBackupVault;

  /**
   * The role AWS Backup assumes to snapshot the instance, with `backupPlan`. Grant it more when the
   * plan copies recovery points to another vault, or, with `snapshotIdentifier`, when the
   * snapshot's storage key is a customer managed key other than `encryptionKey`.
   *
   * @default - none: the instance is in no AWS Backup plan
   */
  public readonly awsBackupRole?: iam.IRole;

  /**
   * The topic the alarms and the RDS events are sent to: `notificationTopic`, or the construct's.
   *
   * @default - none when `alarms` and `eventNotifications` are both off and no topic was given
   */
  public readonly notificationTopic?: sns.ITopic;

  /** The CloudWatch alarms the construct created, in the order of `alarmSettings` (none with `alarms: false`). */
  public readonly alarms: cloudwatch.IAlarm[];

  /**
   * The RDS event subscription that sends the instance's events to `notificationTopic`.
   *
   * @default - none with `eventNotifications: false`
   */
  public readonly eventSubscription?: rds.CfnEventSubscription;

  private readonly metrics: DatabaseMetrics;
  private readonly constructAlarms?: ConstructAlarms;
  private readonly multiAz: boolean;
  private readonly subnets: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: DetachableDatabaseProps) {
    super(scope, id);

    const resolved = resolveProps(props);
    validate(props, resolved);

    this.engine = resolved.engine;
    this.port = resolved.port;
    this.databaseName = resolved.databaseName;
    this.vpc = resolved.vpc;

    // The construct ids below ('Key', 'ParameterGroup', 'SecurityGroup', 'Secret', 'Instance') make the logical
    // ids of the stateful resources: a test pins them, because a change would replace the database.
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the storage and credentials of the database ${this.node.path}`,
      enableKeyRotation: true,
      // Snapshots and retained secrets outlive the stack and need the key to be read.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.encryptionKey = key;

    this.parameterGroup = new rds.ParameterGroup(this, 'ParameterGroup', {
      engine: resolved.engine,
      // A constant description: changing it would replace the parameter group.
      description: `DetachableDatabase: TLS-only ${resolved.flavour} connections`,
      // MySQL: every exported log stream is switched on and written to files, which is what RDS
      // publishes to CloudWatch Logs (log_output = FILE); the audit log is switched on by the
      // option group. The general log (every statement) is not switched on, so it is not exported
      // either.
      parameters:
        resolved.flavour === 'postgres'
          ? { 'rds.force_ssl': '1' }
          : { require_secure_transport: '1', slow_query_log: '1', log_output: 'FILE' },
    });

    // Applied to an existing instance without a restart (auditing starts once the option group is
    // active), although AWS warns that adding the plugin to a running instance might cause an
    // outage: see the class documentation.
    const optionGroup = resolved.auditLog ? createAuditLogOptionGroup(this, resolved.engine) : undefined;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: resolved.vpc,
      description: 'Database: the database port in from allowed security groups only',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(resolved.port),
    });

    // The secret is created here rather than by the instance: aws-cdk-lib's generated secret gets a
    // logical id built from its full construct path (stage and stack ids included) plus a hash of the
    // password rules, which would move if the stack were put into a Stage or a default changed.
    const secret = new rds.DatabaseSecret(this, 'Secret', {
      username: resolved.masterUsername,
      encryptionKey: key,
      excludeCharacters: PASSWORD_EXCLUDE_CHARACTERS,
    });
    // It holds the password of a retained instance or of its final snapshot: it is kept with them.
    secret.applyRemovalPolicy(
      resolved.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    );
    const common: rds.DatabaseInstanceSourceProps = {
      engine: resolved.engine,
      instanceType: resolved.instanceType,
      vpc: resolved.vpc,
      vpcSubnets: resolved.vpcSubnets,
      securityGroups: [this.securityGroup],
      port: resolved.port,
      multiAz: resolved.multiAz,
      publiclyAccessible: false,
      storageType: rds.StorageType.GP3,
      allocatedStorage: resolved.allocatedStorage,
      maxAllocatedStorage:
        resolved.maxAllocatedStorage !== resolved.allocatedStorage ? resolved.maxAllocatedStorage : undefined,
      parameterGroup: this.parameterGroup,
      optionGroup,
      cloudwatchLogsExports: resolved.cloudwatchLogsExports,
      monitoringInterval: ENHANCED_MONITORING_INTERVAL,
      monitoringRole: createEnhancedMonitoringRole(this),
      iamAuthentication: resolved.iamAuthentication,
      backupRetention: resolved.backupRetention,
      deleteAutomatedBackups: false,
      copyTagsToSnapshot: true,
      deletionProtection: resolved.deletionProtection,
      removalPolicy: resolved.removalPolicy,
    };

    let instance: rds.DatabaseInstance | rds.DatabaseInstanceFromSnapshot;
    if (resolved.snapshotIdentifier !== undefined) {
      instance = new rds.DatabaseInstanceFromSnapshot(this, 'Instance', {
        ...common,
        snapshotIdentifier: resolved.snapshotIdentifier,
        // A restore keeps the snapshot's master user; its password is replaced by the secret's.
        credentials: rds.SnapshotCredentials.fromSecret(secret),
      });
      if (resolved.allocatedStorage === undefined) {
        // aws-cdk-lib writes 100 GiB when none is given; a restore takes the snapshot's size instead.
        (instance.node.defaultChild as rds.CfnDBInstance).addPropertyDeletionOverride('AllocatedStorage');
      }
      acknowledge(instance, {
        id: 'AwsSolutions-RDS2',
        reason: `This instance is restored from snapshot ${resolved.snapshotIdentifier} and keeps that snapshot's storage encryption, which CloudFormation cannot change on restore; encrypt an unencrypted snapshot by copying it with a KMS key before restoring it.`,
      });
    } else {
      instance = new rds.DatabaseInstance(this, 'Instance', {
        ...common,
        databaseName: resolved.databaseName,
        credentials: rds.Credentials.fromSecret(secret, resolved.masterUsername),
        storageEncrypted: true,
        storageEncryptionKey: key,
      });
    }
    acknowledgeUnexportedLogs(instance, resolved);
    if (!resolved.iamAuthentication) {
      skipCheckov(instance, {
        id: 'CKV_AWS_161',
        comment:
          'IAM database authentication is off on this instance because iamAuthentication is false; applications log in with the master credentials of its rotated Secrets Manager secret. Leave iamAuthentication at its default (true) to allow IAM token logins.',
      });
    }
    if (resolved.backupPlan !== undefined) {
      const bound = resolved.backupPlan._bind(this, { instance, encryptionKey: key });
      this.awsBackupPlan = bound.plan;
      this.awsBackupVault = bound.vault;
      this.awsBackupRole = bound.role;
    } else {
      acknowledgeNoBackupPlan(instance, resolved);
    }
    this.instance = instance;
    this.multiAz = resolved.multiAz;
    this.subnets = resolved.vpcSubnets;
    // The attached secret: it also holds the host, port, engine and instance identifier.
    this.secret = instance.secret!;
    this.endpointAddress = instance.dbInstanceEndpointAddress;

    this.addRotation(instance, resolved);

    this.metrics = new DatabaseMetrics(instance);
    const ownTopic = resolved.notificationTopic === undefined && (resolved.alarms || resolved.eventNotifications);
    this.notificationTopic = ownTopic
      ? createEncryptedTopic(this, 'NotificationTopic', { purpose: 'Database alarms and events' })
      : resolved.notificationTopic;
    if (resolved.alarms && this.notificationTopic !== undefined) {
      this.constructAlarms = this.addAlarms(this.notificationTopic, resolved);
    }
    this.alarms = this.constructAlarms?.alarms ?? [];
    if (resolved.eventNotifications && this.notificationTopic !== undefined) {
      this.eventSubscription = createEventSubscription(this, { instance, topic: this.notificationTopic, ownTopic });
    }
  }

  /** CPU utilization (percent), average over 5 minutes: the metric of the CPU alarm. */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.cpuUtilization(props);
  }

  /** Free storage (bytes), minimum over 5 minutes: the free storage alarm compares it in GiB. */
  public metricFreeStorageSpace(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.freeStorageSpace(props);
  }

  /** Available memory (bytes), minimum over 5 minutes: the free memory alarm compares it in MiB. */
  public metricFreeableMemory(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.freeableMemory(props);
  }

  /** Open connections (count), maximum over 1 minute: the metric of the connections alarm. */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.databaseConnections(props);
  }

  /** Seconds per read I/O, average over 1 minute (on the dashboard; no alarm). */
  public metricReadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.readLatency(props);
  }

  /** Seconds per write I/O, average over 1 minute (on the dashboard; no alarm). */
  public metricWriteLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.writeLatency(props);
  }

  /**
   * Adds the database's section to a dashboard: the state of its alarms, then CPU, connections and
   * free memory, then free storage and read and write latency, each graph with its alarm's
   * threshold.
   * The recovery times the resilience verifier measured follow, when `addResilienceExperiments()`
   * was called before (`MeasuredRecoveryTime` per experiment, with a line at each budget).
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    addDashboardSection(dashboard, `Database ${this.node.path}`, this.alarms, [
      ...databaseDashboardRows(this.metrics, (setting) => this.constructAlarms?.get(setting)),
      ...measuredRecoveryRows(this),
    ]);
  }

  /**
   * Adds fault-injection experiments (AWS FIS) that prove the database's recovery, and a verifier
   * that measures it. Nothing runs on deployment.
   *
   * - `RebootWithFailover`: reboots the instance; with Multi-AZ, through a failover to the standby
   *   (`forceFailover`), which the README says takes one to two minutes. The role may reboot this
   *   instance only.
   *
   * The database's alarms are the stop conditions. The verifier, a state machine, starts the
   * experiment and connects to the endpoint by TCP every 5 seconds from a function in the
   * database's subnets (its security group is allowed in on the database port), measures the time
   * to detect and to recover, publishes `MeasuredRecoveryTime` and notifies `notificationTopic`.
   * Its budget is 2 minutes with Multi-AZ, 5 minutes without.
   *
   * @param options the fault's duration, more stop conditions, the budget, and whether to verify
   */
  public addResilienceExperiments(options: ResilienceExperimentOptions = {}): ResilienceExperiments {
    if (this.node.tryFindChild('ResilienceExperiments')) {
      throw new Error(`addResilienceExperiments() was already called on ${this.node.path}: call it once`);
    }
    const stopConditions = this.alarms.slice(0, MAX_STOP_CONDITIONS);
    validateResilienceOptions(options, 'DetachableDatabase', stopConditions.length);
    const instanceArn = this.instance.instanceArn;
    const vpc = this.vpc;
    return ResilienceExperiments._create(
      this,
      {
        constructName: 'DetachableDatabase',
        experiments: [
          {
            name: 'RebootWithFailover',
            description: this.multiAz
              ? `Reboots ${this.node.path} through a Multi-AZ failover: the standby becomes the primary`
              : `Reboots ${this.node.path} (single-AZ: no standby to fail over to)`,
            targets: {
              Database: { resourceType: 'aws:rds:db', resourceArns: [instanceArn], selectionMode: 'ALL' },
            },
            actions: {
              Reboot: {
                actionId: 'aws:rds:reboot-db-instances',
                parameters: { forceFailover: String(this.multiAz) },
                targets: { DBInstances: 'Database' },
              },
            },
            stopConditions,
            budget: this.multiAz ? Duration.minutes(2) : Duration.minutes(5),
          },
        ],
        permissions: (role) => {
          role.addToPrincipalPolicy(
            new iam.PolicyStatement({
              sid: 'RebootThisInstance',
              actions: ['rds:RebootDBInstance'],
              resources: [instanceArn],
            }),
          );
          role.addToPrincipalPolicy(
            new iam.PolicyStatement({
              sid: 'ResolveTheTarget',
              actions: ['rds:DescribeDBInstances', 'tag:GetResources'],
              resources: ['*'],
            }),
          );
        },
        notificationTopic: this.notificationTopic,
        probe: vpc
          ? {
              protocol: 'tcp',
              host: this.endpointAddress,
              port: this.port,
              what: 'the database endpoint',
              vpc: {
                vpc,
                subnets: this.subnets,
                allow: (group) => this.allowConnectionsFrom(group),
              },
            }
          : undefined,
      },
      options,
    );
  }

  /**
   * Opens `port` to the security groups of `other`, and nothing else: never a CIDR range. When
   * `other` is in another stack, the ingress rule is created in that stack, so the consumer
   * depends on the database and never the other way round. When `other`'s group restricts
   * outbound traffic, it is also allowed out to the database.
   */
  public allowConnectionsFrom(other: ec2.IConnectable): void {
    allowPortFrom(this.connections, this.port, other, this.node.path, this.vpc);
  }

  /**
   * The non-secret connection settings: `DB_HOST` (the endpoint address), `DB_PORT`, `DB_NAME`
   * (only with `databaseName`) and `DB_SECRET_ARN` (the secret with the username and password).
   */
  public connectionEnvironment(): { [key: string]: string } {
    return connectionSettings(this.endpointAddress, this.port, this.databaseName, this.secret);
  }

  /**
   * Allows `grantee` to read the credentials secret and decrypt it with `encryptionKey`. Both
   * permissions go into the grantee's own policy (never the key policy), so a grantee in another
   * stack does not make the database's stack depend on it.
   */
  public grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.secret.secretArn],
    });
    const decrypt = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
    });
    return read.combine(decrypt);
  }

  /**
   * The alarms, to `topic`. The connections alarm needs the engine's `max_connections`: without a
   * threshold from the user it is computed for the instance classes the construct knows, skipped
   * with a warning for the others, and refused at synthesis when `parameterGroup` was given a
   * `max_connections` of its own.
   */
  private addAlarms(topic: sns.ITopic, resolved: ResolvedDetachableDatabaseProps): ConstructAlarms {
    const settings = resolved.alarmSettings;
    const alarms = new ConstructAlarms(this, { topic, enabled: true, settingsProp: 'alarmSettings', settings });
    const connections = settings?.databaseConnections;
    const specs = databaseAlarmSpecs(this.metrics, {
      engine: resolved.flavour,
      instanceType: resolved.instanceType,
      allocatedStorage:
        resolved.allocatedStorage !== undefined && !Token.isUnresolved(resolved.allocatedStorage)
          ? resolved.allocatedStorage
          : undefined,
      storageAutoscaling:
        resolved.maxAllocatedStorage !== undefined && resolved.maxAllocatedStorage !== resolved.allocatedStorage,
      connectionsThreshold: connections?.threshold,
    });
    for (const spec of specs) alarms.add(spec);
    if (connections?.enabled !== false && connections?.threshold === undefined) {
      if (alarms.get('databaseConnections') === undefined) {
        Annotations.of(this).addWarningV2(
          'cdk-ha-patterns:databaseConnectionsThreshold',
          `No DatabaseConnections alarm: the default max_connections of ${resolved.instanceType} is not known to DetachableDatabase. ` +
            'Set alarmSettings.databaseConnections.threshold (for example 80% of SHOW max_connections), or enabled: false to silence this.',
        );
      } else {
        this.node.addValidation({ validate: () => refuseOwnMaxConnections(this.parameterGroup) });
      }
    }
    return alarms;
  }

  /**
   * Single-user rotation of the master password by the Secrets Manager rotation function (a
   * Serverless Application Repository application in this VPC). The function needs the database
   * port and the Secrets Manager API: it runs in private subnets with egress when the VPC has
   * them, else it calls a Secrets Manager interface endpoint.
   */
  private addRotation(
    instance: rds.DatabaseInstance | rds.DatabaseInstanceFromSnapshot,
    resolved: ResolvedDetachableDatabaseProps,
  ): void {
    const { vpc, vpcSubnets: dbSubnets } = resolved;
    const securityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc,
      description: 'Secret rotation function: the database port and HTTPS to Secrets Manager out, nothing in',
      allowAllOutbound: false,
    });
    let endpoint = resolved.secretsManagerEndpoint;
    let rotationSubnets: ec2.SubnetSelection;
    if (resolved.rotationThroughNat) {
      rotationSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Secrets Manager through NAT');
    } else {
      rotationSubnets = dbSubnets;
      if (endpoint === undefined) {
        const endpointSecurityGroup = new ec2.SecurityGroup(this, 'SecretsManagerEndpointSecurityGroup', {
          vpc,
          description: 'Secrets Manager endpoint for the secret rotation function: HTTPS in from it only',
          allowAllOutbound: false,
        });
        endpoint = new ec2.InterfaceVpcEndpoint(this, 'SecretsManagerEndpoint', {
          vpc,
          service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
          subnets: dbSubnets,
          securityGroups: [endpointSecurityGroup],
          open: false,
          // Private DNS makes the standard Secrets Manager name (secretsmanager.<region>.amazonaws.com),
          // which the rotation function calls, resolve to this endpoint inside the VPC. (An endpoint's
          // own DNS names are vpce-<id>-<suffix>.secretsmanager.<region>.vpce.amazonaws.com; the
          // vpce-<id>.secretsmanager.<region>.amazonaws.com name aws-cdk-lib derives when given an
          // endpoint does not exist, so no endpoint is handed to the rotation below.)
          privateDnsEnabled: true,
        });
      }
      endpoint.connections.allowDefaultPortFrom(securityGroup, 'Secret rotation function to Secrets Manager');
    }
    instance.addRotationSingleUser({
      excludeCharacters: PASSWORD_EXCLUDE_CHARACTERS,
      automaticallyAfter: resolved.secretRotationInterval,
      vpcSubnets: rotationSubnets,
      securityGroup,
    });
    showPortToChecks(this.securityGroup, securityGroup, resolved.port);
  }
}

/** A database created elsewhere: connect to it and allow access to it, but never create, change or delete it. */
class ExistingDatabase extends Construct implements IDetachableDatabase {
  public readonly instance: rds.IDatabaseInstance;
  public readonly endpointAddress: string;
  public readonly port: number;
  public readonly databaseName?: string;
  public readonly vpc?: ec2.IVpc;
  public readonly connections: ec2.Connections;
  private readonly secret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, attrs: DetachableDatabaseAttributes) {
    super(scope, id);
    const check = new PropsValidator('DetachableDatabase.fromExisting');
    check.port('port', attrs.port);
    if (attrs.securityGroups.length === 0) {
      check.fail('securityGroups', 'must name at least one security group of the instance', attrs.securityGroups);
    }
    check.throwIfInvalid();

    this.instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, 'Instance', {
      instanceIdentifier: attrs.instanceIdentifier,
      instanceEndpointAddress: attrs.endpointAddress,
      port: attrs.port,
      securityGroups: attrs.securityGroups,
      engine: attrs.engine,
      instanceResourceId: attrs.instanceResourceId,
    });
    this.endpointAddress = attrs.endpointAddress;
    this.port = attrs.port;
    this.databaseName = attrs.databaseName;
    this.vpc = attrs.vpc;
    this.secret = attrs.secret;
    this.connections = new ec2.Connections({
      securityGroups: attrs.securityGroups,
      defaultPort: ec2.Port.tcp(attrs.port),
    });
  }

  public allowConnectionsFrom(other: ec2.IConnectable): void {
    allowPortFrom(this.connections, this.port, other, this.node.path, this.vpc);
  }

  public connectionEnvironment(): { [key: string]: string } {
    return connectionSettings(this.endpointAddress, this.port, this.databaseName, this.secret);
  }

  public grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    if (this.secret === undefined) {
      throw new Error(
        `grantSecretRead() needs a secret: pass attrs.secret to DetachableDatabase.fromExisting() for ${this.node.path}, received none`,
      );
    }
    return this.secret.grantRead(grantee);
  }
}

/**
 * Characters generated passwords never contain (those that break connection strings and shells).
 * Written out rather than taken from aws-cdk-lib's default because the secret's logical id is
 * derived from them: if the default changed in a release, the secret would be replaced.
 */
const PASSWORD_EXCLUDE_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/**
 * How often Enhanced Monitoring samples the operating system: the longest interval RDS offers, so
 * the fewest `RDSOSMetrics` events (CloudWatch Logs ingestion is what it costs).
 */
const ENHANCED_MONITORING_INTERVAL = Duration.seconds(60);

/** The log group RDS writes Enhanced Monitoring metrics to, in the instance's account and region. */
const ENHANCED_MONITORING_LOG_GROUP = 'RDSOSMetrics';

/**
 * What the MySQL audit log records: connections (failed ones included) and disconnections, DDL
 * (`CREATE`, `ALTER`, `DROP`...) and DCL (`GRANT`, `REVOKE`...). Not `QUERY` or `QUERY_DML`, which
 * record every statement as the general log would.
 */
const MYSQL_AUDIT_EVENTS = 'CONNECT,QUERY_DDL,QUERY_DCL';

/** The cdk-nag compliance packs that report `RDSLoggingEnabled` findings, by rule-id prefix. */
const LOGGING_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/**
 * Whether RDS offers the MariaDB Audit Plugin (option `MARIADB_AUDIT_PLUGIN`) for this MySQL
 * version: every 8.4 version, 8.0.28 and later 8.0 versions, every 5.7 version. Anything else
 * (an older 8.0, a version RDS adds later) gets no option group rather than one RDS would refuse.
 */
function supportsMariaDbAuditPlugin(engine: rds.IInstanceEngine): boolean {
  const version = engine.engineVersion?.fullVersion;
  if (version === undefined || Token.isUnresolved(version)) return false;
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (major === 8 && minor === 4) return true;
  if (major === 8 && minor === 0) return patch >= 28;
  return major === 5 && minor === 7;
}

/**
 * The option group that switches on the MySQL audit log. Its description is a constant (changing
 * it would replace the group), and it is retained: RDS keeps a final snapshot, and automated
 * backups after the instance is deleted, associated with the option group, and refuses to delete an
 * option group they use.
 */
function createAuditLogOptionGroup(scope: Construct, engine: rds.IInstanceEngine): rds.IOptionGroup {
  const optionGroup = new rds.OptionGroup(scope, 'OptionGroup', {
    engine,
    description: 'DetachableDatabase: MySQL audit log (MariaDB Audit Plugin)',
    configurations: [{ name: 'MARIADB_AUDIT_PLUGIN', settings: { SERVER_AUDIT_EVENTS: MYSQL_AUDIT_EVENTS } }],
  });
  optionGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return optionGroup;
}

/**
 * The role RDS assumes to publish Enhanced Monitoring metrics: the statements of the AWS managed
 * policy `AmazonRDSEnhancedMonitoringRole` (create the log group and set its retention; create,
 * write, describe and read its streams), narrowed from every `RDS*` log group in every region and
 * account to `RDSOSMetrics` in this stack's, in a customer managed policy of its own. The trust
 * policy admits the monitoring service for instances of this account only (`aws:SourceAccount`,
 * which the RDS User Guide recommends against the confused deputy problem).
 */
function createEnhancedMonitoringRole(scope: Construct): iam.IRole {
  const stack = Stack.of(scope);
  const logGroup = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: ENHANCED_MONITORING_LOG_GROUP,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const policy = new iam.ManagedPolicy(scope, 'MonitoringPolicy', {
    description: `RDS Enhanced Monitoring: writes OS metrics to the ${ENHANCED_MONITORING_LOG_GROUP} log group only`,
    statements: [
      new iam.PolicyStatement({
        sid: 'CreateAndManageTheLogGroup',
        actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
        // CloudWatch Logs names a log group in IAM both without and with a trailing :*.
        resources: [logGroup, `${logGroup}:*`],
      }),
      new iam.PolicyStatement({
        sid: 'CreateAndManageItsLogStreams',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
        resources: [`${logGroup}:log-stream:*`],
      }),
    ],
  });
  const streams = 'one per instance, named by RDS when monitoring starts';
  acknowledge(
    policy,
    {
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'logs', `log-group:${ENHANCED_MONITORING_LOG_GROUP}:*`)}]`,
      reason: `The ${ENHANCED_MONITORING_LOG_GROUP} log group in its :* form, as CloudWatch Logs names a log group to IAM for most actions; only CreateLogGroup and PutRetentionPolicy are granted on it.`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'logs', `log-group:${ENHANCED_MONITORING_LOG_GROUP}:log-stream:*`)}]`,
      reason: `Enhanced Monitoring writes to streams of the ${ENHANCED_MONITORING_LOG_GROUP} log group (${streams}); the grant is limited to that group's streams.`,
    },
  );
  return new iam.Role(scope, 'MonitoringRole', {
    description: `RDS Enhanced Monitoring: publishes OS metrics to the ${ENHANCED_MONITORING_LOG_GROUP} log group`,
    assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    managedPolicies: [policy],
  });
}

/**
 * Acknowledges, on the instance only, the `RDSLoggingEnabled` findings for the MySQL logs that are
 * not exported: the general log always (every statement with its values), the audit log on the
 * versions RDS offers no audit plugin for.
 */
function acknowledgeUnexportedLogs(instance: IConstruct, v: ResolvedDetachableDatabaseProps): void {
  if (v.flavour !== 'mysql') return;
  const generalReason =
    'The MySQL general log records every statement with its values (credentials and personal data included) and grows with the query rate. ' +
    'Exported instead: the audit log of connections, DDL and DCL statements' +
    (v.auditLog ? '' : ' where the engine version has the audit plugin') +
    ', the error log and the slow query log.';
  for (const pack of LOGGING_PACKS) {
    acknowledge(instance, { id: `${pack}-RDSLoggingEnabled[LogExport::general]`, reason: generalReason });
    if (!v.auditLog) {
      acknowledge(instance, {
        id: `${pack}-RDSLoggingEnabled[LogExport::audit]`,
        reason: `RDS offers the MariaDB Audit Plugin for MySQL 8.4, 8.0.28 and later, and 5.7, not for ${v.engine.engineVersion?.fullVersion}; the error and slow query logs are exported. Upgrade the engine to have the audit log exported.`,
      });
    }
  }
}

/** The cdk-nag compliance packs that report `RDSInBackupPlan` findings, by rule-id prefix. */
const BACKUP_PLAN_PACKS = ['NIST.800.53.R5', 'HIPAA.Security'];

/**
 * Acknowledges, on the instance only, that it is in no AWS Backup plan (`RDSInBackupPlan`): what
 * protects its data instead, and the prop that adds the plan.
 */
function acknowledgeNoBackupPlan(instance: IConstruct, v: ResolvedDetachableDatabaseProps): void {
  const retention = v.backupRetention.isUnresolved()
    ? 'for the configured backupRetention'
    : `for ${v.backupRetention.toHumanString()} (backupRetention)`;
  const finalSnapshot =
    v.removalPolicy === RemovalPolicy.SNAPSHOT
      ? ', and a final snapshot is taken when the instance is deleted or replaced (removalPolicy: SNAPSHOT)'
      : '';
  const reason =
    `RDS automated backups protect this instance: kept ${retention} with point-in-time recovery, and kept after the instance is deleted until they expire${finalSnapshot}. ` +
    'It is in no AWS Backup plan by choice; set backupPlan (DatabaseBackupPlan.daily() or DatabaseBackupPlan.fromBackupPlan(plan)) to add one.';
  for (const pack of BACKUP_PLAN_PACKS) {
    acknowledge(instance, { id: `${pack}-RDSInBackupPlan`, reason });
  }
}

/**
 * The rule that lets the secret rotation function into the database's security group reads the
 * port from the instance (`Fn::GetAtt` `Endpoint.Port`, aws-cdk-lib's rotation takes it from the
 * instance's connections), which rule checks over the construct tree (cdk-nag EC2RestrictedSSH,
 * EC2RestrictedCommonPorts) cannot evaluate. The instance listens on the configured port, so the
 * rule's construct carries that number; the template keeps reading it from the instance. Writing
 * the number into the template would change the rule (its FromPort and ToPort, and its logical id)
 * and so replace it: CloudFormation would create the identical rule, which EC2 already has, before
 * deleting the old resource, and that deletion revokes the rule the function needs.
 */
function showPortToChecks(databaseGroup: ec2.ISecurityGroup, rotationGroup: ec2.ISecurityGroup, port: number): void {
  for (const child of databaseGroup.node.children) {
    if (
      child instanceof ec2.CfnSecurityGroupIngress &&
      child.sourceSecurityGroupId === rotationGroup.securityGroupId &&
      Token.isUnresolved(child.fromPort)
    ) {
      const [fromPort, toPort] = [child.fromPort, child.toPort];
      child.fromPort = port;
      child.toPort = port;
      child.addPropertyOverride('FromPort', fromPort);
      child.addPropertyOverride('ToPort', toPort);
    }
  }
}

/**
 * The connections alarm's default threshold assumes the engine's default `max_connections`: a
 * synthesis error when the construct's parameter group was given one of its own
 * (`parameterGroup.addParameter('max_connections', ...)`).
 */
function refuseOwnMaxConnections(parameterGroup: rds.IParameterGroup): string[] {
  const cfn = parameterGroup.node.defaultChild;
  if (!(cfn instanceof rds.CfnDBParameterGroup)) return [];
  const parameters = Stack.of(parameterGroup).resolve(cfn.parameters) as Record<string, unknown> | undefined;
  if (parameters === undefined || !('max_connections' in parameters)) return [];
  return [
    `DetachableDatabase: parameterGroup sets max_connections (${JSON.stringify(parameters.max_connections)}), so the DatabaseConnections alarm's default threshold (80% of the engine's default max_connections) does not apply: ` +
      'set alarmSettings.databaseConnections.threshold (for example 80% of your max_connections), or enabled: false',
  ];
}

type EngineFlavour = 'mysql' | 'postgres';

function engineFlavour(engine: rds.IInstanceEngine): EngineFlavour {
  return engine.engineType === 'postgres' ? 'postgres' : 'mysql';
}

/**
 * Opens `port` on the database's security groups to the security groups of `other`. The ingress
 * rule is added as a "remote" rule: when `other`'s group is in another stack, CDK creates the
 * `AWS::EC2::SecurityGroupIngress` in that stack (importing the database group's id), so only the
 * consumer depends on the database. An egress rule is added to `other`'s group when it restricts
 * outbound traffic.
 */
function allowPortFrom(
  target: ec2.Connections,
  port: number,
  other: ec2.IConnectable,
  databasePath: string,
  databaseVpc: ec2.IVpc | undefined,
): void {
  // A security group rule names a group of another VPC only across a peering connection, which a
  // VPC a construct creates never has: refuse a consumer (a HighlyAvailableWebApp, a
  // BeanstalkEnvironment...) that shows it runs in another VPC, rather than fail at deployment.
  const otherVpc = (other as { vpc?: unknown }).vpc;
  if (
    databaseVpc !== undefined &&
    isVpc(otherVpc) &&
    otherVpc !== databaseVpc &&
    otherVpc.vpcId !== databaseVpc.vpcId
  ) {
    throw new Error(
      `allowConnectionsFrom() on ${databasePath}: other must run in the database's VPC (${databaseVpc.node.path}): its security groups cannot be named across unpeered VPCs; build it with vpc: the database's VPC. Received one in ${otherVpc.node.path}`,
    );
  }
  const sources = other.connections.securityGroups;
  if (sources.length === 0) {
    throw new Error(
      `allowConnectionsFrom() on ${databasePath} opens the database to security groups only: other must have at least one security group, received one with none (a CIDR peer is not allowed)`,
    );
  }
  for (const source of sources) {
    for (const group of target.securityGroups) refuseDependencyCycle(group, source, databasePath, databaseVpc);
  }
  const connection = ec2.Port.tcp(port);
  for (const source of sources) {
    for (const group of target.securityGroups) {
      group.addIngressRule(source, connection, `From ${source.node.path} to the database`, true);
      if (!source.allowAllOutbound) {
        source.addEgressRule(group, connection, `To the database ${databasePath}`);
      }
    }
  }
}

/**
 * The rule that lets `source` in lives in `source`'s stack and names the database's group, so that
 * stack depends on the database's. When the database's stack already depends on `source`'s (it
 * runs in a VPC that stack creates, or was told to with `addDependency`), the two stacks would
 * depend on each other and CloudFormation could deploy neither: refuse it here, saying how to lay
 * the stacks out, rather than fail with a DependencyCycle at synthesis.
 */
function refuseDependencyCycle(
  group: ec2.ISecurityGroup,
  source: ec2.ISecurityGroup,
  databasePath: string,
  databaseVpc: ec2.IVpc | undefined,
): void {
  const databaseStack = Stack.of(group);
  const sourceStack = Stack.of(source);
  if (databaseStack === sourceStack) return;
  const vpcInSourceStack =
    databaseVpc !== undefined && Stack.of(databaseVpc) === sourceStack && Token.isUnresolved(databaseVpc.vpcId);
  if (!vpcInSourceStack && !databaseStack.dependencies.includes(sourceStack)) return;
  const why = vpcInSourceStack
    ? `the database's stack (${databaseStack.node.path}) runs in the VPC ${databaseVpc!.node.path} of the stack ${sourceStack.node.path}`
    : `the database's stack (${databaseStack.node.path}) was made to depend on the stack ${sourceStack.node.path}`;
  throw new Error(
    `allowConnectionsFrom() on ${databasePath} would make the stacks ${databaseStack.node.path} and ${sourceStack.node.path} depend on each other: ${why}, ` +
      `and the rule letting ${source.node.path} in is created in ${sourceStack.node.path} naming the database's security group. ` +
      "Create the VPC in its own stack (or in the database's) and pass it to both: " +
      "new DetachableDatabase(dataStack, 'Db', { vpc }) and new HighlyAvailableWebApp(webStack, 'Web', { vpc })",
  );
}

function isVpc(value: unknown): value is ec2.IVpc {
  return typeof value === 'object' && value !== null && 'vpcId' in value && 'node' in value;
}

function connectionSettings(
  host: string,
  port: number,
  databaseName: string | undefined,
  secret: secretsmanager.ISecret | undefined,
): { [key: string]: string } {
  const settings: { [key: string]: string } = {
    DB_HOST: host,
    DB_PORT: Tokenization.stringifyNumber(port),
  };
  if (databaseName !== undefined) settings.DB_NAME = databaseName;
  if (secret !== undefined) settings.DB_SECRET_ARN = secret.secretArn;
  return settings;
}

function defaultMaxAllocatedStorage(allocatedStorage: number): number {
  if (Token.isUnresolved(allocatedStorage)) return 100;
  const max = Math.min(65536, Math.max(100, 2 * allocatedStorage));
  // Too close to the ceiling to leave RDS its 10% headroom: no autoscaling.
  return max >= Math.ceil((allocatedStorage * 11) / 10) ? max : allocatedStorage;
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  if (vpc.isolatedSubnets.length > 0) return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
}

/**
 * The props of a {@link DetachableDatabase} with every default applied: the constructor builds
 * from these alone.
 */
interface ResolvedDetachableDatabaseProps {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly engine: rds.IInstanceEngine;
  readonly flavour: EngineFlavour;
  readonly instanceType: ec2.InstanceType;
  /** Unset with `snapshotIdentifier` and no `allocatedStorage`: the snapshot's size. */
  readonly allocatedStorage?: number;
  /** Equal to `allocatedStorage` (or unset) turns storage autoscaling off. */
  readonly maxAllocatedStorage?: number;
  readonly multiAz: boolean;
  readonly port: number;
  readonly databaseName?: string;
  readonly masterUsername: string;
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  readonly backupRetention: Duration;
  /** Unset: the instance is in no AWS Backup plan. */
  readonly backupPlan?: DatabaseBackupPlan;
  /** Unset for a new, empty instance. */
  readonly snapshotIdentifier?: string;
  readonly iamAuthentication: boolean;
  readonly secretRotationInterval: Duration;
  /** The given endpoint; unset when the construct creates one (or needs none). */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** Whether the MySQL audit log is switched on (an option group with the MariaDB Audit Plugin). */
  readonly auditLog: boolean;
  /** The logs RDS publishes to CloudWatch Logs. */
  readonly cloudwatchLogsExports: string[];
  /**
   * Whether the rotation function reaches Secrets Manager through NAT (no endpoint given and the
   * VPC has private subnets with egress); otherwise through an interface endpoint.
   */
  readonly rotationThroughNat: boolean;
  readonly alarms: boolean;
  /** Unset: every alarm with its default. */
  readonly alarmSettings?: DetachableDatabaseAlarmSettings;
  readonly eventNotifications: boolean;
  /** The given topic; unset when the construct creates one (or needs none). */
  readonly notificationTopic?: sns.ITopic;
}

function resolveProps(props: DetachableDatabaseProps): ResolvedDetachableDatabaseProps {
  const engine = props.engine ?? rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_7 });
  const flavour = engineFlavour(engine);
  const auditLog = flavour === 'mysql' && supportsMariaDbAuditPlugin(engine);
  // A restore takes the snapshot's storage size unless told otherwise.
  const allocatedStorage = props.allocatedStorage ?? (props.snapshotIdentifier !== undefined ? undefined : 20);
  return {
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets ?? defaultSubnets(props.vpc),
    engine,
    flavour,
    instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
    allocatedStorage,
    maxAllocatedStorage:
      props.maxAllocatedStorage ??
      (allocatedStorage === undefined ? undefined : defaultMaxAllocatedStorage(allocatedStorage)),
    multiAz: props.multiAz ?? true,
    port: props.port ?? (flavour === 'postgres' ? 5433 : 3307),
    databaseName: props.databaseName,
    masterUsername: props.masterUsername ?? 'dbadmin',
    removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
    deletionProtection: props.deletionProtection ?? true,
    backupRetention: props.backupRetention ?? Duration.days(7),
    backupPlan: props.backupPlan,
    snapshotIdentifier: props.snapshotIdentifier,
    iamAuthentication: props.iamAuthentication ?? true,
    secretRotationInterval: props.secretRotationInterval ?? Duration.days(30),
    secretsManagerEndpoint: props.secretsManagerEndpoint,
    rotationThroughNat: props.secretsManagerEndpoint === undefined && props.vpc.privateSubnets.length > 0,
    alarms: props.alarms ?? true,
    alarmSettings: props.alarmSettings,
    eventNotifications: props.eventNotifications ?? true,
    notificationTopic: props.notificationTopic,
    auditLog,
    cloudwatchLogsExports:
      flavour === 'postgres' ? ['postgresql', 'upgrade'] : ['error', 'slowquery', ...(auditLog ? ['audit'] : [])],
  };
}

/**
 * Every check of the props, the VPC, its subnets and the Secrets Manager endpoint included,
 * reported in one error. `props` is read only to tell whether `masterUsername` was set at all;
 * every value checked is settled.
 */
function validate(props: DetachableDatabaseProps, v: ResolvedDetachableDatabaseProps): void {
  const check = new PropsValidator('DetachableDatabase');
  if (v.engine.engineType !== 'mysql' && v.engine.engineType !== 'postgres') {
    check.fail(
      'engine',
      'must be MySQL or PostgreSQL (rds.DatabaseInstanceEngine.mysql() or .postgres())',
      v.engine.engineType,
    );
  } else if (v.engine.parameterGroupFamily === undefined) {
    check.fail(
      'engine',
      'must name a full engine version (e.g. rds.MysqlEngineVersion.VER_8_4_7) so the TLS parameter group has a family',
      `${v.engine.engineType} without a version`,
    );
  }
  check.integerInRange('port', v.port, 1150, 65535);
  check.integerInRange('allocatedStorage', v.allocatedStorage, 20, 65536);
  check.integerInRange('maxAllocatedStorage', v.maxAllocatedStorage, 20, 65536);
  if (
    v.allocatedStorage !== undefined &&
    v.maxAllocatedStorage !== undefined &&
    !Token.isUnresolved(v.allocatedStorage) &&
    !Token.isUnresolved(v.maxAllocatedStorage) &&
    v.maxAllocatedStorage !== v.allocatedStorage &&
    v.maxAllocatedStorage < Math.ceil((v.allocatedStorage * 11) / 10)
  ) {
    check.fail(
      'maxAllocatedStorage',
      `must be at least 10% above allocatedStorage (${v.allocatedStorage} GiB), i.e. >= ${Math.ceil((v.allocatedStorage * 11) / 10)}, or equal to it to turn storage autoscaling off`,
      v.maxAllocatedStorage,
    );
  }
  if (v.removalPolicy === RemovalPolicy.DESTROY && v.deletionProtection) {
    check.fail(
      'removalPolicy',
      'must be SNAPSHOT or RETAIN while deletionProtection is on (DESTROY needs deletionProtection: false)',
      'RemovalPolicy.DESTROY',
    );
  }
  if (!v.backupRetention.isUnresolved()) {
    const days = v.backupRetention.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 35) {
      check.fail('backupRetention', 'must be a whole number of days from 1 to 35', v.backupRetention.toHumanString());
    }
  }
  v.backupPlan?._validate(check);
  if (!v.secretRotationInterval.isUnresolved()) {
    const days = v.secretRotationInterval.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 1000) {
      check.fail(
        'secretRotationInterval',
        'must be a whole number of days from 1 to 1000',
        v.secretRotationInterval.toHumanString(),
      );
    }
  }
  if (v.snapshotIdentifier !== undefined) {
    if (v.databaseName !== undefined) {
      check.fail(
        'databaseName',
        'must not be set with snapshotIdentifier: a restored instance holds the databases of the snapshot and creates none',
        v.databaseName,
      );
    }
    if (props.masterUsername === undefined) {
      check.fail(
        'masterUsername',
        "is required with snapshotIdentifier: it must be the snapshot's master user, which a restore keeps (for an Elastic Beanstalk database, its DBUser option, default 'ebroot')",
        'undefined',
      );
    }
    if (!Token.isUnresolved(v.snapshotIdentifier) && v.snapshotIdentifier.trim() === '') {
      check.fail('snapshotIdentifier', 'must be a snapshot name or ARN', v.snapshotIdentifier);
    }
  }
  if (!Token.isUnresolved(v.masterUsername) && !/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(v.masterUsername)) {
    check.fail(
      'masterUsername',
      'must be 1 to 16 letters, digits or underscores, starting with a letter',
      v.masterUsername,
    );
  }
  if (v.databaseName !== undefined && !Token.isUnresolved(v.databaseName)) {
    const max = v.flavour === 'postgres' ? 63 : 64;
    if (!new RegExp(`^[A-Za-z][A-Za-z0-9_]{0,${max - 1}}$`).test(v.databaseName)) {
      check.fail(
        'databaseName',
        `must be 1 to ${max} letters, digits or underscores, starting with a letter`,
        v.databaseName,
      );
    }
  }
  ConstructAlarms.validate(
    check,
    { enabledProp: 'alarms', enabled: v.alarms, settingsProp: 'alarmSettings', settings: v.alarmSettings },
    DATABASE_ALARM_RANGES,
  );
  if (v.eventNotifications && v.notificationTopic?.fifo === true) {
    check.fail(
      'notificationTopic',
      'must be a standard topic with eventNotifications on: RDS does not publish events to FIFO topics (set eventNotifications: false to use this one for alarms only)',
      'a FIFO topic',
    );
  }
  checkSubnets(check, v.vpc, v.vpcSubnets);
  if (!v.rotationThroughNat) {
    checkRotationThroughEndpoint(check, v.vpc, v.secretsManagerEndpoint);
  }
  check.throwIfInvalid();
}

/**
 * Without egress, the rotation function calls the standard Secrets Manager name, which resolves to
 * an interface endpoint only through the endpoint's private DNS, and that needs the VPC's DNS
 * support and DNS host names. Checked where the construct can see them (a VPC or endpoint defined
 * in this app); an imported VPC or endpoint must meet them as documented.
 */
function checkRotationThroughEndpoint(
  check: PropsValidator,
  vpc: ec2.IVpc,
  endpoint: ec2.IInterfaceVpcEndpoint | undefined,
): void {
  const cfnVpc = vpc instanceof ec2.Vpc ? (vpc.node.defaultChild as ec2.CfnVPC) : undefined;
  if (cfnVpc && (cfnVpc.enableDnsHostnames === false || cfnVpc.enableDnsSupport === false)) {
    check.fail(
      'vpc',
      'must have enableDnsSupport and enableDnsHostnames on when it has no private subnets with egress: the secret rotation function reaches Secrets Manager through an interface endpoint with private DNS',
      `enableDnsSupport: ${cfnVpc.enableDnsSupport}, enableDnsHostnames: ${cfnVpc.enableDnsHostnames}`,
    );
  }
  const cfnEndpoint =
    endpoint instanceof ec2.InterfaceVpcEndpoint ? (endpoint.node.defaultChild as ec2.CfnVPCEndpoint) : undefined;
  if (cfnEndpoint && cfnEndpoint.privateDnsEnabled === false) {
    check.fail(
      'secretsManagerEndpoint',
      'must have privateDnsEnabled: true: the secret rotation function calls the standard Secrets Manager name, which resolves to the endpoint only through its private DNS',
      'an endpoint with privateDnsEnabled: false',
    );
  }
}

function checkSubnets(check: PropsValidator, vpc: ec2.IVpc, selection: ec2.SubnetSelection): void {
  let subnets: ec2.ISubnet[];
  try {
    subnets = vpc.selectSubnets(selection).subnets;
  } catch (e) {
    // Nothing was selected, so there is nothing more to check of the selection.
    check.fail(
      'vpcSubnets',
      'must select private or isolated subnets of vpc',
      `a selection that fails: ${(e as Error).message}`,
    );
    return;
  }
  const publicIds = new Set(vpc.publicSubnets.map((s) => s.subnetId));
  const publicSelected = subnets.filter((s) => publicIds.has(s.subnetId));
  if (publicSelected.length > 0) {
    check.fail(
      'vpcSubnets',
      'must select private or isolated subnets only (the database is never reachable from the internet)',
      `${publicSelected.length} public subnet(s)`,
    );
  }
  const zones = new Set(subnets.map((s) => s.availabilityZone));
  if (zones.size < 2) {
    check.fail(
      'vpcSubnets',
      'must span at least 2 Availability Zones (an RDS subnet group requires it)',
      `${zones.size} zone(s)`,
    );
  }
}
