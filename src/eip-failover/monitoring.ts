// The operator's view of an Elastic IP failover pair: the metrics its alarms and its dashboard read,
// the alarm specifications (sent to the notification topic, unlike the status-check and CPU alarms
// of the standby strategy, which invoke the failover function), and the dashboard's widgets.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SNAPSHOT_INTERVAL } from './auto-scaling-group';
import {
  ABANDONED_LAUNCHES_METRIC,
  DATA_VOLUME_TAG,
  FAILOVER_DURATION_METRIC,
  HEALTH_PROBE_FAILED_METRIC,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
  NEWEST_SNAPSHOT_AGE_METRIC,
  TIME_TO_RECOVERY_METRIC,
} from './contract';
import { AlarmSetting } from '../common/alarm-setting';
import { AlarmSpec, ConstructAlarms, alarmName } from '../common/monitoring';
import { PropsValidator } from '../common/validation';

/** The period of the error, dead-letter and abandoned-launch alarms. */
export const OPERATOR_ALARM_PERIOD = Duration.minutes(1);
/** The period of the time-to-recovery alarm (and the statistic's window on the dashboard). */
export const RECOVERY_PERIOD = Duration.minutes(5);
/** Default time-to-recovery threshold, seconds. */
export const DEFAULT_TIME_TO_RECOVERY_SECONDS = 300;
/**
 * The period of the snapshot age alarm: the data retention function records the age every 30
 * minutes (RETENTION_SCHEDULE), so each period holds two readings, and a late run or a late log
 * never leaves one empty (which counts as breaching). At most 100 evaluation periods make 100
 * hours, within the 7 days CloudWatch allows an alarm with a period of an hour or more.
 */
export const SNAPSHOT_AGE_PERIOD = Duration.hours(1);
/** The highest snapshot age threshold accepted: 30 days, in seconds. */
const MAX_SNAPSHOT_AGE_SECONDS = Duration.days(30).toSeconds();

/** The setting keys, as `alarmSettings` spells them. */
export const SETTING = {
  failoverErrors: 'failoverErrors',
  deadLetterMessages: 'deadLetterMessages',
  timeToRecovery: 'timeToRecovery',
  abandonedLaunches: 'abandonedLaunches',
  bothUnhealthy: 'bothUnhealthy',
  snapshotAge: 'snapshotAge',
} as const;

/** What the snapshot age alarm knows of a data volume. */
export interface DataVolumeWatch {
  /** How often Data Lifecycle Manager snapshots it (`dataVolume.snapshotInterval`, or its default). */
  readonly snapshotInterval: Duration;
}

/**
 * The watch of a data volume whose snapshot interval is `snapshotInterval` (the default interval
 * when it is a token: the threshold must be a number at synthesis); none without a data volume.
 */
export function dataVolumeWatch(snapshotInterval: Duration | undefined): DataVolumeWatch | undefined {
  if (snapshotInterval === undefined) return undefined;
  return { snapshotInterval: snapshotInterval.isUnresolved() ? DEFAULT_SNAPSHOT_INTERVAL : snapshotInterval };
}

/** The snapshot age threshold when the setting gives none: twice the snapshot interval, in seconds. */
export function defaultSnapshotAgeThreshold(watch: DataVolumeWatch): number {
  return 2 * watch.snapshotInterval.toSeconds();
}

/** The snapshot age thresholds accepted: from one snapshot interval to 30 days, in whole seconds. */
function snapshotAgeRange(watch: DataVolumeWatch | undefined): [number, number] {
  const interval = (watch?.snapshotInterval ?? DEFAULT_SNAPSHOT_INTERVAL).toSeconds();
  return [interval, MAX_SNAPSHOT_AGE_SECONDS];
}

/** What validation needs of each threshold alarm (the composite `bothUnhealthy` has no threshold). */
const LIMITS: Pick<AlarmSpec, 'setting' | 'thresholdRange' | 'wholeThreshold'>[] = [
  // snapshotAge is added by validateMonitoring: its range depends on the snapshot interval.
  { setting: SETTING.failoverErrors, thresholdRange: [1, 1000], wholeThreshold: true },
  { setting: SETTING.deadLetterMessages, thresholdRange: [1, 1000], wholeThreshold: true },
  { setting: SETTING.timeToRecovery, thresholdRange: [10, 3600] },
  { setting: SETTING.abandonedLaunches, thresholdRange: [1, 100], wholeThreshold: true },
  // Accepted so `enabled: false` passes; a threshold or periods is refused below.
  { setting: SETTING.bothUnhealthy, thresholdRange: [0, 0], wholeThreshold: true },
];

/** The alarm props as the construct received them. */
export interface MonitoringProps {
  readonly alarms?: boolean;
  readonly alarmSettings?: object;
}

/** Records every problem with `alarms` and `alarmSettings`. */
export function validateMonitoring(
  props: MonitoringProps,
  strategy: string,
  dataVolume: DataVolumeWatch | undefined,
  check: PropsValidator,
): void {
  const settings = props.alarmSettings as Record<string, AlarmSetting | undefined> | undefined;
  ConstructAlarms.validate(
    check,
    { enabledProp: 'alarms', enabled: props.alarms ?? true, settingsProp: 'alarmSettings', settings },
    [...LIMITS, { setting: SETTING.snapshotAge, thresholdRange: snapshotAgeRange(dataVolume), wholeThreshold: true }],
  );
  if (!(props.alarms ?? true)) return;
  const both = settings?.[SETTING.bothUnhealthy];
  if (both?.threshold !== undefined || both?.evaluationPeriods !== undefined) {
    check.fail(
      'alarmSettings.bothUnhealthy',
      'takes only enabled: it is a composite of the status-check alarms, which have their own timing',
      both,
    );
  }
  const only: Record<string, string> = {
    [SETTING.bothUnhealthy]: 'standbyInstance',
    [SETTING.abandonedLaunches]: 'autoScalingGroup',
  };
  for (const [key, owner] of Object.entries(only)) {
    if (settings?.[key] !== undefined && strategy !== owner) {
      check.fail(`alarmSettings.${key}`, `is only used with FailoverStrategy.${owner}()`, key);
    }
  }
  if (settings?.[SETTING.snapshotAge] !== undefined && dataVolume === undefined) {
    check.fail(
      `alarmSettings.${SETTING.snapshotAge}`,
      'is only used with a data volume: FailoverStrategy.autoScalingGroup({ dataVolume })',
      SETTING.snapshotAge,
    );
  }
}

/** A metric the failover and lifecycle hook functions record by allocation ID. */
export function pairMetric(
  allocationId: string,
  metricName: string,
  statistic: string,
  unit: cloudwatch.Unit,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { [METRIC_DIMENSION]: allocationId },
    statistic,
    unit,
    ...props,
  });
}

/** The metrics of one pair, each with the statistic and period its alarm uses unless told otherwise. */
export class FailoverMetrics {
  constructor(
    private readonly allocationId: string,
    private readonly fn?: lambda.IFunction,
    private readonly deadLetterQueue?: sqs.IQueue,
    /** The pair's data volume, when it has one. */
    public readonly dataVolume?: DataVolumeWatch,
  ) {}

  public failoverDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pairMetric(
      this.allocationId,
      FAILOVER_DURATION_METRIC,
      cloudwatch.Stats.MAXIMUM,
      cloudwatch.Unit.MILLISECONDS,
      props,
    );
  }

  public timeToRecovery(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pairMetric(
      this.allocationId,
      TIME_TO_RECOVERY_METRIC,
      cloudwatch.Stats.MAXIMUM,
      cloudwatch.Unit.MILLISECONDS,
      props,
    );
  }

  public abandonedLaunches(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pairMetric(this.allocationId, ABANDONED_LAUNCHES_METRIC, cloudwatch.Stats.SUM, cloudwatch.Unit.COUNT, {
      period: OPERATOR_ALARM_PERIOD,
      ...props,
    });
  }

  public healthProbeFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pairMetric(this.allocationId, HEALTH_PROBE_FAILED_METRIC, cloudwatch.Stats.MAXIMUM, cloudwatch.Unit.COUNT, {
      period: Duration.minutes(1),
      ...props,
    });
  }

  /**
   * How old the newest completed snapshot of the data volume is (`NewestSnapshotAge`, seconds,
   * Maximum per hour), recorded by the data retention function; requires a data volume.
   */
  public newestSnapshotAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (this.dataVolume === undefined) {
      throw new Error(
        'This Elastic IP failover pair has no data volume (FailoverStrategy.autoScalingGroup({ dataVolume })): nothing records NewestSnapshotAge',
      );
    }
    return pairMetric(
      this.allocationId,
      NEWEST_SNAPSHOT_AGE_METRIC,
      cloudwatch.Stats.MAXIMUM,
      cloudwatch.Unit.SECONDS,
      { period: SNAPSHOT_AGE_PERIOD, ...props },
    );
  }

  /** AWS/Lambda `Errors` (Sum) of the function; requires one. */
  public failoverErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireFunction().metricErrors({
      period: OPERATOR_ALARM_PERIOD,
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /** AWS/SQS `ApproximateNumberOfMessagesVisible` (Maximum) of the dead-letter queue; requires one. */
  public deadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (this.deadLetterQueue === undefined) throw new Error('This Elastic IP failover pair has no dead-letter queue');
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: OPERATOR_ALARM_PERIOD,
      statistic: cloudwatch.Stats.MAXIMUM,
      ...props,
    });
  }

  private requireFunction(): lambda.IFunction {
    if (this.fn === undefined) throw new Error('This Elastic IP failover pair has no failover function');
    return this.fn;
  }
}

/** What the operator alarms watch. */
export interface OperatorAlarmsContext {
  readonly strategy: string;
  readonly topic: sns.ITopic;
  readonly metrics: FailoverMetrics;
  readonly hasFunction: boolean;
  readonly hasDeadLetterQueue: boolean;
  /** The status-check alarms of the primary and of the standby (standby strategy). */
  readonly primaryStatusChecks: cloudwatch.IAlarm[];
  readonly standbyStatusChecks: cloudwatch.IAlarm[];
}

/** Creates the operator alarms (all to the topic) and returns them. */
export function createOperatorAlarms(
  scope: Construct,
  props: MonitoringProps,
  context: OperatorAlarmsContext,
): cloudwatch.IAlarm[] {
  const enabled = props.alarms ?? true;
  const settings = props.alarmSettings as Record<string, AlarmSetting | undefined> | undefined;
  const alarms = new ConstructAlarms(scope, {
    topic: context.topic,
    enabled,
    settingsProp: 'alarmSettings',
    settings,
  });
  const fnName = context.strategy === 'autoScalingGroup' ? 'lifecycle hook function' : 'failover function';
  if (context.hasFunction) {
    alarms.add({
      id: 'FailoverErrorsAlarm',
      setting: SETTING.failoverErrors,
      metric: context.metrics.failoverErrors(),
      threshold: 1,
      thresholdRange: [1, 1000],
      wholeThreshold: true,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description: `The ${fnName} failed at least {threshold} time(s) a minute for {periods} minute(s): the Elastic IP may not have moved. Read the function's log, check which instance holds the Elastic IP, and move it by hand if it is on an unhealthy one.`,
    });
  }
  if (context.hasDeadLetterQueue) {
    alarms.add({
      id: 'DeadLetterMessagesAlarm',
      setting: SETTING.deadLetterMessages,
      metric: context.metrics.deadLetterMessages(),
      threshold: 1,
      thresholdRange: [1, 1000],
      wholeThreshold: true,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description: `At least {threshold} event(s) the ${fnName} gave up on after its retries wait in its dead-letter queue: a failover or launch did not happen. Read the message and the function's log, put the Elastic IP on a healthy instance, then delete the message.`,
    });
  }
  alarms.add({
    id: 'TimeToRecoveryAlarm',
    setting: SETTING.timeToRecovery,
    metric: new cloudwatch.MathExpression({
      expression: 'ttr / 1000',
      usingMetrics: { ttr: context.metrics.timeToRecovery({ period: RECOVERY_PERIOD }) },
      label: 'Time to recovery (seconds)',
      period: RECOVERY_PERIOD,
    }),
    threshold: DEFAULT_TIME_TO_RECOVERY_SECONDS,
    thresholdRange: [10, 3600],
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      'A recovery took more than {threshold} seconds from the failure being reported to the Elastic IP moving: clients were cut off that long. Read the function log for the slow step (starting a stopped standby, restoring the data volume) and consider a running standby.',
  });
  if (context.strategy === 'autoScalingGroup') {
    alarms.add({
      id: 'AbandonedLaunchesAlarm',
      setting: SETTING.abandonedLaunches,
      metric: context.metrics.abandonedLaunches(),
      threshold: 1,
      thresholdRange: [1, 100],
      wholeThreshold: true,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'At least {threshold} launch(es) a minute were abandoned: a new instance could not be given the Elastic IP or the data volume and the group terminated it. Read the lifecycle hook function log and the notification; repeated abandons mean no instance serves.',
    });
  }
  const dataVolume = context.metrics.dataVolume;
  if (dataVolume !== undefined) {
    const interval = dataVolume.snapshotInterval.toHumanString();
    alarms.add({
      id: 'SnapshotAgeAlarm',
      setting: SETTING.snapshotAge,
      metric: context.metrics.newestSnapshotAge(),
      threshold: defaultSnapshotAgeThreshold(dataVolume),
      thresholdRange: snapshotAgeRange(dataVolume),
      wholeThreshold: true,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No reading means the data retention function did not run (or could not list the volumes):
      // the volume is then unwatched, and its snapshots unexpired, which needs looking at too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description: `The data volume has had no completed snapshot for more than {threshold} seconds (Data Lifecycle Manager should take one every ${interval}), for {periods} hour(s), or the data retention function that measures it recorded nothing (it did not run, or could not list the volumes): a zone failure now would lose everything written since. Check that the Data Lifecycle Manager policy (snapshotPolicy) is ENABLED and not in error, that the volume exists and is in use, and the retention function's log; take a snapshot of the volume by hand, with its ${DATA_VOLUME_TAG} tag, until the policy works again. Right after the first deployment it may be in ALARM until the function first runs (within 30 minutes).`,
    });
  }
  const created: cloudwatch.IAlarm[] = [...alarms.alarms];
  const both = settings?.[SETTING.bothUnhealthy];
  if (
    enabled &&
    both?.enabled !== false &&
    context.primaryStatusChecks.length > 0 &&
    context.standbyStatusChecks.length > 0
  ) {
    const composite = new cloudwatch.CompositeAlarm(scope, 'BothUnhealthyAlarm', {
      compositeAlarmName: alarmName(scope, 'BothUnhealthyAlarm'),
      alarmDescription:
        'A status check of the primary and one of the standby fail at the same time: no instance can take the Elastic IP, the service is down. Look at both instances (EC2 console, system log), reboot or stop and start them; the failover function moves the Elastic IP to the first that recovers.',
      alarmRule: cloudwatch.AlarmRule.allOf(
        cloudwatch.AlarmRule.anyOf(...context.primaryStatusChecks),
        cloudwatch.AlarmRule.anyOf(...context.standbyStatusChecks),
      ),
    });
    const action = new cloudwatchActions.SnsAction(context.topic);
    composite.addAlarmAction(action);
    composite.addOkAction(action);
    created.push(composite);
  }
  return created;
}

/** The dashboard rows of one pair (with a data volume, a second row: the age of its newest snapshot). */
export function dashboardRows(
  metrics: FailoverMetrics,
  options: { hasFunction: boolean; hasDeadLetterQueue: boolean; strategy: string },
): cloudwatch.IWidget[][] {
  const first: cloudwatch.IWidget[] = [
    new cloudwatch.GraphWidget({
      title: 'Recovery (ms)',
      width: options.hasFunction ? 12 : 24,
      height: 6,
      left: [
        metrics.timeToRecovery({ period: RECOVERY_PERIOD }),
        metrics.failoverDuration({ period: RECOVERY_PERIOD }),
      ],
    }),
  ];
  if (options.hasFunction) {
    const left = [metrics.failoverErrors()];
    if (options.strategy === 'autoScalingGroup') left.push(metrics.abandonedLaunches());
    first.push(
      new cloudwatch.GraphWidget({
        title: 'Failures',
        width: 12,
        height: 6,
        left,
        right: options.hasDeadLetterQueue ? [metrics.deadLetterMessages()] : [],
      }),
    );
  }
  if (metrics.dataVolume === undefined) return [first];
  const second: cloudwatch.IWidget[] = [
    new cloudwatch.GraphWidget({
      title: 'Newest data volume snapshot age (s)',
      width: 24,
      height: 6,
      left: [metrics.newestSnapshotAge()],
      leftAnnotations: [
        {
          value: defaultSnapshotAgeThreshold(metrics.dataVolume),
          label: `2 × snapshot interval (${metrics.dataVolume.snapshotInterval.toHumanString()})`,
        },
      ],
    }),
  ];
  return [first, second];
}
