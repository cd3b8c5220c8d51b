// The monitoring of a DetachableDatabase in one place: its metrics (statistic and period chosen
// once), the alarms built from them, the dashboard widgets that show the same metrics, and the RDS
// event subscription that sends the instance's failovers, failures and low-storage events to the
// same topic as the alarms.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmSpec } from '../common/monitoring';

/** The CloudWatch namespace of RDS metrics. */
const NAMESPACE = 'AWS/RDS';

/** RDS event notifications: the service that publishes an event subscription's messages. */
export const RDS_EVENTS_SERVICE = 'events.rds.amazonaws.com';

/** Bytes in a GiB and in a MiB: the alarms compare storage in GiB and memory in MiB. */
const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;

/**
 * The DB instance event categories the subscription sends (RDS User Guide, "Amazon RDS event
 * categories and event messages", DB instance events): restarts and shutdowns (`availability`,
 * including the storage-full shutdown RDS-EVENT-0221), Multi-AZ failovers (`failover`), failures,
 * storage autoscaling failures and reaching the maximum (`failure`, RDS-EVENT-0223/0224), storage
 * 90% used (`low storage`, RDS-EVENT-0089), offline maintenance (`maintenance`), storage 80% of the
 * autoscaling maximum, stops and starts (`notification`, RDS-EVENT-0225, 0087, 0088), and
 * recoveries (`recovery`, RDS-EVENT-0020/0021/0052/0053). Backups, configuration changes, creation
 * and deletion are left out: they follow deployments and are not incidents.
 */
export const DATABASE_EVENT_CATEGORIES = [
  'availability',
  'failover',
  'failure',
  'low storage',
  'maintenance',
  'notification',
  'recovery',
];

/** The engine as the monitoring sees it: it sets the default `max_connections`. */
export type MonitoredEngine = 'mysql' | 'postgres';

/**
 * Memory (GiB) of the DB instance classes whose default `max_connections` the construct computes.
 * The classes of the families below, as in the RDS User Guide's "Hardware specifications for DB
 * instance classes"; larger classes are left out (their MySQL default would exceed 5000, where the
 * documented formulas differ between sources), as are classes not listed.
 */
const BURSTABLE_GIB: Record<string, number> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };
const GENERAL_GIB: Record<string, number> = { large: 8, xlarge: 16, '2xlarge': 32 };
const MEMORY_GIB: Record<string, number> = { large: 16, xlarge: 32 };
const CLASS_MEMORY_GIB: Record<string, Record<string, number>> = {
  t3: BURSTABLE_GIB,
  t4g: BURSTABLE_GIB,
  m5: GENERAL_GIB,
  m6g: GENERAL_GIB,
  m6i: GENERAL_GIB,
  m7g: GENERAL_GIB,
  m7i: GENERAL_GIB,
  r5: MEMORY_GIB,
  r6g: MEMORY_GIB,
  r6i: MEMORY_GIB,
  r7g: MEMORY_GIB,
  r7i: MEMORY_GIB,
};

/** The memory of an instance class in GiB, when it is one of the classes above. */
export function instanceClassMemoryGib(instanceType: ec2.InstanceType): number | undefined {
  const [family, size] = instanceType.toString().split('.');
  return CLASS_MEMORY_GIB[family]?.[size];
}

/**
 * The engine's default `max_connections` on RDS for an instance class, from its memory: MySQL
 * `{DBInstanceClassMemory/12582880}`, PostgreSQL `LEAST({DBInstanceClassMemory/9531392},5000)`
 * (RDS User Guide, "Maximum number of database connections"; AWS Prescriptive Guidance for
 * PostgreSQL). `DBInstanceClassMemory` is the class memory less what RDS reserves for the
 * operating system and its own processes, and RDS does not publish it per class: the estimate
 * takes {@link ASSUMED_CLASS_MEMORY_SHARE} of the nominal memory, so that it stays below the real
 * limit on the smallest classes too, where that reservation is the largest share. Undefined for a
 * class not in the table.
 */
export function defaultMaxConnections(engine: MonitoredEngine, instanceType: ec2.InstanceType): number | undefined {
  const gib = instanceClassMemoryGib(instanceType);
  if (gib === undefined) return undefined;
  const bytes = gib * GIB * ASSUMED_CLASS_MEMORY_SHARE;
  return engine === 'postgres' ? Math.min(Math.floor(bytes / 9531392), 5000) : Math.floor(bytes / 12582880);
}

/**
 * The share of the nominal class memory taken as `DBInstanceClassMemory`: an underestimate, so the
 * alarm fires before the real limit, never after it.
 */
export const ASSUMED_CLASS_MEMORY_SHARE = 0.75;

/** The share of the default `max_connections` the connections alarm fires at. */
export const CONNECTIONS_LIMIT_SHARE = 0.8;

/**
 * The metrics of one DB instance, each with its statistic and period: the alarms, the dashboard
 * and the construct's `metric*()` methods all read them from here.
 */
export class DatabaseMetrics {
  constructor(private readonly instance: rds.IDatabaseInstance) {}

  /**
   * A metric of the instance in `AWS/RDS`, by its `DBInstanceIdentifier` dimension. The metrics an
   * alarm reads carry no label, so that the alarm names the metric directly.
   */
  public metric(
    metricName: string,
    defaults: cloudwatch.MetricOptions,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName,
      dimensionsMap: { DBInstanceIdentifier: this.instance.instanceIdentifier },
      ...defaults,
      ...props,
    });
  }

  /** `CPUUtilization` (percent), average over 5 minutes. */
  public cpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CPUUtilization', { statistic: 'Average', period: Duration.minutes(5) }, props);
  }

  /** `FreeStorageSpace` (bytes), minimum over 5 minutes. */
  public freeStorageSpace(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FreeStorageSpace', { statistic: 'Minimum', period: Duration.minutes(5) }, props);
  }

  /** `FreeableMemory` (bytes; MemAvailable of /proc/meminfo on MySQL and PostgreSQL), minimum over 5 minutes. */
  public freeableMemory(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FreeableMemory', { statistic: 'Minimum', period: Duration.minutes(5) }, props);
  }

  /** `DatabaseConnections` (count), maximum over 1 minute. */
  public databaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnections', { statistic: 'Maximum', period: Duration.minutes(1) }, props);
  }

  /** `ReadLatency` (seconds per read I/O), average over 1 minute. */
  public readLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ReadLatency', { statistic: 'Average', period: Duration.minutes(1), label: 'Read (s)' }, props);
  }

  /** `WriteLatency` (seconds per write I/O), average over 1 minute. */
  public writeLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(
      'WriteLatency',
      { statistic: 'Average', period: Duration.minutes(1), label: 'Write (s)' },
      props,
    );
  }

  /** Free storage in GiB (`FreeStorageSpace` / 2^30), the unit of the free storage alarm. */
  public freeStorageGib(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `freeBytes / ${GIB}`,
      usingMetrics: { freeBytes: this.freeStorageSpace() },
      label: 'Free storage (GiB)',
      period: Duration.minutes(5),
    });
  }

  /** Freeable memory in MiB (`FreeableMemory` / 2^20), the unit of the free memory alarm. */
  public freeableMemoryMib(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `freeBytes / ${MIB}`,
      usingMetrics: { freeBytes: this.freeableMemory() },
      label: 'Freeable memory (MiB)',
      period: Duration.minutes(5),
    });
  }
}

/** The alarms' settings keys with the thresholds they accept, for `ConstructAlarms.validate`. */
export const DATABASE_ALARM_RANGES: Pick<AlarmSpec, 'setting' | 'thresholdRange' | 'wholeThreshold'>[] = [
  { setting: 'cpuUtilization', thresholdRange: [1, 100] },
  { setting: 'freeStorageSpace', thresholdRange: [0.1, 65536] },
  { setting: 'freeableMemory', thresholdRange: [1, 4194304] },
  { setting: 'databaseConnections', thresholdRange: [1, 100000], wholeThreshold: true },
];

/** What the alarm specifications depend on beyond the metrics. */
export interface DatabaseAlarmContext {
  readonly engine: MonitoredEngine;
  readonly instanceType: ec2.InstanceType;
  /** The storage allocated at creation (GiB); unset or a token when not known here. */
  readonly allocatedStorage?: number;
  /** Whether storage autoscaling is on (a maximum above the allocated storage). */
  readonly storageAutoscaling: boolean;
  /** The connections threshold the user set, if any (it replaces the computed default). */
  readonly connectionsThreshold?: number;
}

/** The storage RDS allocates at least (GiB): the free storage default when the size is unknown. */
const MIN_ALLOCATED_GIB = 20;
/** The freeable memory threshold (MiB) when the class's memory is not known here. */
const UNKNOWN_CLASS_MEMORY_MIB = 256;

/**
 * The default free storage threshold in GiB: 10% of the allocated storage without storage
 * autoscaling (RDS itself sends the `low storage` event at 90% used), 5% with it (autoscaling adds
 * storage once less than 10% is free, so below 5% it has failed, is in its 6-hour cooling-off, or
 * has reached the maximum). Rounded to 0.1 GiB; the 20 GiB minimum stands in for an unknown size.
 */
export function defaultFreeStorageGib(allocatedStorage: number | undefined, storageAutoscaling: boolean): number {
  const known = allocatedStorage !== undefined && Number.isFinite(allocatedStorage) && allocatedStorage > 0;
  const size = known ? allocatedStorage : MIN_ALLOCATED_GIB;
  return Math.max(0.1, Math.round(size * (storageAutoscaling ? 0.05 : 0.1) * 10) / 10);
}

/** The default freeable memory threshold in MiB: 10% of the class's memory, else 256 MiB. */
export function defaultFreeableMemoryMib(instanceType: ec2.InstanceType): number {
  const gib = instanceClassMemoryGib(instanceType);
  return gib === undefined ? UNKNOWN_CLASS_MEMORY_MIB : Math.round(gib * 1024 * 0.1);
}

/**
 * The alarm specifications of a database. The connections alarm is left out when the user set no
 * threshold and the default `max_connections` of the instance class is not known here.
 */
export function databaseAlarmSpecs(metrics: DatabaseMetrics, context: DatabaseAlarmContext): AlarmSpec[] {
  const specs: AlarmSpec[] = [
    {
      id: 'CpuUtilization',
      setting: 'cpuUtilization',
      metric: metrics.cpuUtilization(),
      threshold: 80,
      thresholdRange: [1, 100],
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'The database CPU averaged at least {threshold}% for {periods} periods of 5 minutes: queries queue and latency grows. ' +
        'Find the expensive statements (the MySQL slow query log, PostgreSQL pg_stat_statements), add indexes or caching, or move to a larger instance class.',
    },
    {
      id: 'FreeStorageSpace',
      setting: 'freeStorageSpace',
      metric: metrics.freeStorageGib(),
      threshold: defaultFreeStorageGib(context.allocatedStorage, context.storageAutoscaling),
      thresholdRange: [0.1, 65536],
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'The database has had less than {threshold} GiB of free storage for {periods} periods of 5 minutes' +
        (context.storageAutoscaling
          ? ' although storage autoscaling is on (it has failed, is cooling off, or reached maxAllocatedStorage)'
          : '') +
        ': a full volume stops the database. Delete or archive data, or raise allocatedStorage' +
        (context.storageAutoscaling ? ' or maxAllocatedStorage' : '') +
        ' (RDS grows storage in place; it can then not grow again for 6 hours).',
    },
    {
      id: 'FreeableMemory',
      setting: 'freeableMemory',
      metric: metrics.freeableMemoryMib(),
      threshold: defaultFreeableMemoryMib(context.instanceType),
      thresholdRange: [1, 4194304],
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'The database has had less than {threshold} MiB of available memory for {periods} periods of 5 minutes: it swaps, and runs out of memory next. ' +
        'Reduce connections (each holds its own buffers) or per-session buffers, or move to an instance class with more memory.',
    },
  ];
  const limit = defaultMaxConnections(context.engine, context.instanceType);
  const connections =
    context.connectionsThreshold ?? (limit === undefined ? undefined : Math.floor(limit * CONNECTIONS_LIMIT_SHARE));
  if (connections !== undefined) {
    specs.push({
      id: 'DatabaseConnections',
      setting: 'databaseConnections',
      metric: metrics.databaseConnections(),
      threshold: connections,
      thresholdRange: [1, 100000],
      wholeThreshold: true,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'The database has held at least {threshold} connections for {periods} minutes' +
        (limit !== undefined && context.connectionsThreshold === undefined
          ? ` (80% of ${limit}, the default max_connections of ${context.instanceType} for ${context.engine} estimated from 75% of its memory)`
          : '') +
        ': new connections are refused once max_connections is reached. Look for connection leaks and idle sessions, ' +
        'cap the application pools (or add RDS Proxy), or move to a larger instance class.',
    });
  }
  return specs;
}

/**
 * The dashboard rows of a database: CPU, connections and free memory; free storage and I/O
 * latency. Each graph shows its alarm's threshold when the alarm exists.
 */
export function databaseDashboardRows(
  metrics: DatabaseMetrics,
  alarmOf: (setting: string) => cloudwatch.Alarm | undefined,
): cloudwatch.IWidget[][] {
  const annotations = (setting: string): cloudwatch.HorizontalAnnotation[] => {
    const alarm = alarmOf(setting);
    return alarm === undefined ? [] : [alarm.toAnnotation()];
  };
  const graph = (title: string, width: number, left: cloudwatch.IMetric[], setting?: string) =>
    new cloudwatch.GraphWidget({
      title,
      width,
      height: 6,
      left,
      leftAnnotations: setting === undefined ? undefined : annotations(setting),
    });
  return [
    [
      graph('CPU (%)', 8, [metrics.cpuUtilization()], 'cpuUtilization'),
      graph('Connections', 8, [metrics.databaseConnections()], 'databaseConnections'),
      graph('Freeable memory (MiB)', 8, [metrics.freeableMemoryMib()], 'freeableMemory'),
    ],
    [
      graph('Free storage (GiB)', 12, [metrics.freeStorageGib()], 'freeStorageSpace'),
      graph('I/O latency (s)', 12, [metrics.readLatency(), metrics.writeLatency()]),
    ],
  ];
}

/** Options for {@link createEventSubscription}. */
export interface EventSubscriptionOptions {
  readonly instance: rds.IDatabaseInstance;
  readonly topic: sns.ITopic;
  /** Whether the construct created the topic (and its key), so it may add to their policies. */
  readonly ownTopic: boolean;
}

/**
 * Subscribes the topic to the instance's events (`AWS::RDS::EventSubscription`, source type
 * `db-instance`, this instance only). A topic the construct created gets a topic policy statement
 * letting RDS publish for this instance only (`aws:SourceAccount` and `aws:SourceArn`, as the RDS
 * User Guide's "Granting permissions to publish notifications to an Amazon SNS topic" shows) and
 * a key policy statement letting RDS encrypt the messages (`kms:GenerateDataKey*`, `kms:Decrypt`),
 * limited by `aws:SourceAccount` only: whether RDS passes the source ARN on its KMS calls is not
 * documented, and a condition it does not meet would drop every notification.
 *
 * The topic policy of a topic the user gave is left alone (a new policy would replace the
 * topic's own, whose default lets this account's RDS publish); a key this app defines in this
 * stack's account gets the key statement.
 */
export function createEventSubscription(scope: Construct, options: EventSubscriptionOptions): rds.CfnEventSubscription {
  const { instance, topic, ownTopic } = options;
  const stack = Stack.of(scope);
  const account = { 'aws:SourceAccount': stack.account };
  if (ownTopic) {
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowPublishByRdsEvents',
        principals: [new iam.ServicePrincipal(RDS_EVENTS_SERVICE)],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: account, ArnLike: { 'aws:SourceArn': instance.instanceArn } },
      }),
    );
  }
  const key = topic.masterKey;
  if (key !== undefined && (ownTopic || (key instanceof kms.Key && Stack.of(key).account === stack.account))) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRdsEventsToEncrypt',
        principals: [new iam.ServicePrincipal(RDS_EVENTS_SERVICE)],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: account },
      }),
    );
  }
  const subscription = new rds.CfnEventSubscription(scope, 'Events', {
    snsTopicArn: topic.topicArn,
    sourceType: 'db-instance',
    sourceIds: [instance.instanceIdentifier],
    eventCategories: DATABASE_EVENT_CATEGORIES,
    enabled: true,
  });
  // The topic and key policies come first, so that RDS may publish from the first event on.
  if (ownTopic) subscription.node.addDependency(topic);
  return subscription;
}
