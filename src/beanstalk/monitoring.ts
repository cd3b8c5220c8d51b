// The monitoring of a BeanstalkEnvironment in one place: its metrics (statistic and period chosen
// once), the alarms built from them, the dashboard widgets that show the same metrics, and the
// enhanced health configuration document that makes Elastic Beanstalk publish the request metrics
// the 5xx alarm reads. Not exported from the package.
//
// Elastic Beanstalk Developer Guide, "Publishing Amazon CloudWatch custom metrics for an
// environment": enhanced health publishes `EnvironmentHealth` (free) on its own; every other
// metric (here `ApplicationRequests5xx` and `ApplicationRequestsTotal`, environment level) must be
// listed in the `aws:elasticbeanstalk:healthreporting:system` `ConfigDocument` (60 seconds is the
// only interval) and is billed as a CloudWatch custom metric. `EnvironmentHealth` maps the seven
// statuses to 0 OK, 1 Info, 5 Unknown, 10 No data, 15 Warning, 20 Degraded, 25 Severe.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AlarmSpec } from '../common/monitoring';

/** The CloudWatch namespace of Elastic Beanstalk's enhanced health metrics. */
export const BEANSTALK_NAMESPACE = 'AWS/ElasticBeanstalk';

/** `EnvironmentHealth` values (Elastic Beanstalk Developer Guide, enhanced health metrics). */
export const ENVIRONMENT_HEALTH = {
  OK: 0,
  INFO: 1,
  UNKNOWN: 5,
  NO_DATA: 10,
  WARNING: 15,
  DEGRADED: 20,
  SEVERE: 25,
} as const;

/**
 * The enhanced health config document of a web server environment: the two environment-level
 * request metrics the 5xx rate is computed from, every 60 seconds (the only interval accepted).
 * Written as the literal JSON of the `ConfigDocument` option.
 */
export const WEB_CONFIG_DOCUMENT = JSON.stringify({
  CloudWatchMetrics: { Environment: { ApplicationRequests5xx: 60, ApplicationRequestsTotal: 60 } },
  Version: 1,
});

/** The metrics of one environment. */
export class BeanstalkEnvironmentMetrics {
  constructor(
    private readonly environmentName: string,
    private readonly queue?: sqs.IQueue,
    private readonly deadLetterQueue?: sqs.IQueue,
  ) {}

  /** `EnvironmentHealth` (0 OK ... 20 Degraded, 25 Severe), maximum over 1 minute. */
  public environmentHealth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.beanstalk('EnvironmentHealth', 'Maximum', props);
  }

  /** `ApplicationRequests5xx`: requests that ended with a 5xx status, sum over 1 minute. */
  public serverErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.beanstalk('ApplicationRequests5xx', 'Sum', props);
  }

  /** `ApplicationRequestsTotal`: requests completed, sum over 1 minute. */
  public requests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.beanstalk('ApplicationRequestsTotal', 'Sum', props);
  }

  /** The percentage of requests that ended with a 5xx status each minute (0 with no requests). */
  public serverErrorRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: this.serverErrors(), requests: this.requests() },
      label: '5xx (% of requests)',
      period: Duration.minutes(1),
    });
  }

  /** The worker queue's `ApproximateAgeOfOldestMessage` (seconds), maximum over 1 minute. */
  public queueAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.workerQueue(this.queue, 'queue').metricApproximateAgeOfOldestMessage({
      statistic: 'Maximum',
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** The dead-letter queue's `ApproximateNumberOfMessagesVisible`, maximum over 1 minute. */
  public deadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.workerQueue(this.deadLetterQueue, 'dead-letter queue').metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: Duration.minutes(1),
      ...props,
    });
  }

  private beanstalk(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: BEANSTALK_NAMESPACE,
      metricName,
      dimensionsMap: { EnvironmentName: this.environmentName },
      period: Duration.minutes(1),
      statistic,
      ...props,
    });
  }

  private workerQueue(queue: sqs.IQueue | undefined, what: string): sqs.IQueue {
    if (queue === undefined) {
      throw new Error(`A web server environment has no worker ${what}: this metric is for the worker tier only`);
    }
    return queue;
  }
}

/** The alarms' settings keys with the thresholds they accept, for `ConstructAlarms.validate`. */
export const BEANSTALK_ALARM_RANGES: Pick<AlarmSpec, 'setting' | 'thresholdRange' | 'wholeThreshold'>[] = [
  { setting: 'environmentHealth', thresholdRange: [1, 25], wholeThreshold: true },
  { setting: 'serverErrorRate', thresholdRange: [0.1, 100] },
  { setting: 'queueAge', thresholdRange: [60, 1209600], wholeThreshold: true },
  { setting: 'deadLetterMessages', thresholdRange: [1, 100000], wholeThreshold: true },
];

/** The alarm specifications of an environment of the given tier. */
export function beanstalkAlarmSpecs(metrics: BeanstalkEnvironmentMetrics, worker: boolean): AlarmSpec[] {
  const health: AlarmSpec = {
    id: 'EnvironmentHealth',
    setting: 'environmentHealth',
    metric: metrics.environmentHealth(),
    threshold: ENVIRONMENT_HEALTH.DEGRADED,
    thresholdRange: [1, 25],
    wholeThreshold: true,
    evaluationPeriods: 5,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
    description:
      'Enhanced health has rated the environment at least {threshold} (20 Degraded, 25 Severe) for {periods} minutes: ' +
      "instances fail health checks, requests fail, or resources are missing. Open the environment's Health page (or " +
      'eb health) for the causes, read the instance logs, and roll back the last deployment if it started then.',
  };
  if (worker) {
    return [
      health,
      {
        id: 'QueueAge',
        setting: 'queueAge',
        metric: metrics.queueAge(),
        threshold: 600,
        thresholdRange: [60, 1209600],
        wholeThreshold: true,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          'The oldest message of the worker queue has waited at least {threshold} s for {periods} minutes: the worker ' +
          "falls behind or stopped. Check the environment's health and the worker daemon (sqsd) logs, and scale the " +
          'environment out if it is only load.',
      },
      {
        id: 'DeadLetterMessages',
        setting: 'deadLetterMessages',
        metric: metrics.deadLetterMessages(),
        threshold: 1,
        thresholdRange: [1, 100000],
        wholeThreshold: true,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          "At least {threshold} message(s) in the worker's dead-letter queue: the application failed them 5 times. " +
          'Read the application logs for why, fix it, then move the messages back (SQS dead-letter queue redrive) or delete them.',
      },
    ];
  }
  return [
    health,
    {
      id: 'ServerErrorRate',
      setting: 'serverErrorRate',
      metric: metrics.serverErrorRate(),
      threshold: 5,
      thresholdRange: [0.1, 100],
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'At least {threshold}% of the requests the instances completed ended with a 5xx status, each of {periods} minutes: ' +
        'the application fails its clients. Read the application logs; roll back the last deployment if it started then.',
    },
  ];
}

/** The dashboard rows of an environment: health beside the 5xx rate, or beside the worker queues. */
export function beanstalkDashboardRows(metrics: BeanstalkEnvironmentMetrics, worker: boolean): cloudwatch.IWidget[][] {
  const graph = (title: string, metric: cloudwatch.IMetric, width: number) =>
    new cloudwatch.GraphWidget({ title, left: [metric], width, height: 6 });
  const health = metrics.environmentHealth({ label: 'Health (20 Degraded, 25 Severe)' });
  if (worker) {
    return [
      [
        graph('Environment health', health, 8),
        graph('Oldest message (s)', metrics.queueAge({ label: 'Oldest message (s)' }), 8),
        graph('Dead letters', metrics.deadLetterMessages({ label: 'Dead letters' }), 8),
      ],
    ];
  }
  return [[graph('Environment health', health, 12), graph('5xx (% of requests)', metrics.serverErrorRate(), 12)]];
}
