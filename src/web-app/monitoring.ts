// The monitoring of a HighlyAvailableWebApp in one place: its metrics (statistic and period chosen
// once), the alarms built from them and the dashboard widgets that show the same metrics. Not
// exported from the package.
//
// Elastic Load Balancing guide, "CloudWatch metrics for your Application Load Balancer": the target
// group metrics are in `AWS/ApplicationELB` by `TargetGroup` and `LoadBalancer` (and
// `AvailabilityZone`), every 60 seconds; request metrics are reported only while requests flow and
// `HTTPCode_Target_5XX_Count` only when it is not zero, so the 5xx rate fills both with 0;
// `HealthyHostCount` and `UnHealthyHostCount` are reported while health checks run.
// EC2 Auto Scaling guide, "Amazon CloudWatch metrics for Amazon EC2 Auto Scaling": the group
// metrics (`GroupDesiredCapacity`, `GroupMaxSize`) in `AWS/AutoScaling` by `AutoScalingGroupName`,
// every minute once collection is on (the construct turns on all group metrics).
import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AlarmSpec } from '../common/monitoring';

const ONE_MINUTE = Duration.minutes(1);

/** The metrics of one web app: the alarms, the dashboard and the `metric*()` methods read them here. */
export class WebAppMetrics {
  constructor(
    private readonly loadBalancer: elbv2.ApplicationLoadBalancer,
    private readonly targetGroup: elbv2.ApplicationTargetGroup,
    private readonly autoScalingGroup: autoscaling.AutoScalingGroup,
  ) {}

  /** `HTTPCode_Target_5XX_Count`: answers of the instances with a 5xx status, sum per minute. */
  public targetServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
      statistic: cloudwatch.Stats.SUM,
      period: ONE_MINUTE,
      ...props,
    });
  }

  /** `RequestCount` of the target group: requests routed to the instances, sum per minute. */
  public requests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.requestCount({ statistic: cloudwatch.Stats.SUM, period: ONE_MINUTE, ...props });
  }

  /** The percentage of the instances' answers with a 5xx status each minute (0 without requests). */
  public targetServerErrorRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(FILL(requests, 0) > 0, 100 * FILL(errors, 0) / FILL(requests, 0), 0)',
      usingMetrics: { errors: this.targetServerErrors(), requests: this.requests() },
      label: 'Target 5xx (% of requests)',
      period: ONE_MINUTE,
    });
  }

  /** `UnHealthyHostCount` of the target group, maximum per minute. */
  public unhealthyHosts(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.unhealthyHostCount({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: ONE_MINUTE,
      ...props,
    });
  }

  /** `HealthyHostCount` of the target group in one Availability Zone, minimum per minute. */
  public healthyHostsInZone(zone: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensionsMap: {
        LoadBalancer: this.loadBalancer.loadBalancerFullName,
        TargetGroup: this.targetGroup.targetGroupFullName,
        AvailabilityZone: zone,
      },
      statistic: cloudwatch.Stats.MINIMUM,
      period: ONE_MINUTE,
      ...props,
    });
  }

  /** `TargetResponseTime` (seconds) of the target group, 99th percentile per minute. */
  public targetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: ONE_MINUTE, ...props });
  }

  /** A group metric of the Auto Scaling group (collected every minute). */
  public group(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling',
      metricName,
      dimensionsMap: { AutoScalingGroupName: this.autoScalingGroup.autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: ONE_MINUTE,
      ...props,
    });
  }

  /** How many more instances the group may launch: `GroupMaxSize` less `GroupDesiredCapacity`. */
  public capacityHeadroom(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'maxSize - desired',
      usingMetrics: { maxSize: this.group('GroupMaxSize'), desired: this.group('GroupDesiredCapacity') },
      label: 'Instances below the maximum',
      period: ONE_MINUTE,
    });
  }
}

/** What the alarm specifications depend on beyond the metrics. */
export interface WebAppAlarmContext {
  /** The zones of the instances' subnets, in subnet order. */
  readonly zones: string[];
  /** Whether the group can scale (its minimum is below its maximum). */
  readonly scales: boolean;
  /** Whether every zone holds an instance at the group's minimum size (or it is a token). */
  readonly everyZoneHoldsOne: boolean;
}

/** The settings keys and their thresholds, for `ConstructAlarms.validate`. */
export const WEB_APP_ALARM_RANGES: Pick<AlarmSpec, 'setting' | 'thresholdRange' | 'wholeThreshold'>[] = [
  { setting: 'targetServerErrorRate', thresholdRange: [0.1, 100] },
  { setting: 'unhealthyHosts', thresholdRange: [1, 10_000], wholeThreshold: true },
  { setting: 'targetResponseTime', thresholdRange: [0.01, 3600] },
  { setting: 'healthyHostsInZone', thresholdRange: [1, 10_000], wholeThreshold: true },
  { setting: 'atMaxCapacity', thresholdRange: [0, 10_000], wholeThreshold: true },
];

/** The settings whose alarms a rollout watches: they show a bad release on the new instances. */
export const ROLLOUT_ALARM_SETTINGS = ['targetServerErrorRate', 'unhealthyHosts', 'targetResponseTime'];

function range(setting: string): Pick<AlarmSpec, 'thresholdRange' | 'wholeThreshold'> {
  const found = WEB_APP_ALARM_RANGES.find((r) => r.setting === setting)!;
  return { thresholdRange: found.thresholdRange, wholeThreshold: found.wholeThreshold };
}

/** The alarm specifications of a web app. */
export function webAppAlarmSpecs(metrics: WebAppMetrics, context: WebAppAlarmContext): AlarmSpec[] {
  const specs: AlarmSpec[] = [
    {
      id: 'TargetServerErrorRate',
      setting: 'targetServerErrorRate',
      ...range('targetServerErrorRate'),
      metric: metrics.targetServerErrorRate(),
      threshold: 5,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'At least {threshold}% of the requests the instances answered had a 5xx status, each of {periods} minutes: ' +
        'the application fails its clients. Read the application logs on the instances (Session Manager); if a ' +
        'deployment started then, roll it back.',
    },
    {
      id: 'UnhealthyHosts',
      setting: 'unhealthyHosts',
      ...range('unhealthyHosts'),
      metric: metrics.unhealthyHosts(),
      threshold: 1,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'At least {threshold} instance(s) failed the load balancer health check for {periods} minutes: the group ' +
        'replaces an instance it finds unhealthy, so this means replacements keep failing too. Check the target ' +
        "group's health reasons and the application on a new instance; a release that does not answer the health " +
        'check path does this.',
    },
    {
      id: 'TargetResponseTime',
      setting: 'targetResponseTime',
      ...range('targetResponseTime'),
      metric: metrics.targetResponseTime(),
      threshold: 2,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        'The slowest 1% of requests took at least {threshold} s for the instances to answer, each of {periods} ' +
        'minutes: clients wait or time out. Look at CPU and the group size (scaling at its maximum?), then at what ' +
        'the application waits on (the database).',
    },
  ];
  if (context.everyZoneHoldsOne) {
    context.zones.forEach((zone, i) => {
      specs.push({
        id: `NoHealthyHostsZone${i + 1}`,
        setting: 'healthyHostsInZone',
        ...range('healthyHostsInZone'),
        metric: metrics.healthyHostsInZone(zone),
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // The load balancer reports the count every minute in each of its zones while health checks
        // run, so a zone without data has nothing to report: it counts as a zone without hosts.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description:
          `Fewer than {threshold} healthy instance(s) in ${zone} for {periods} minutes: the other zones carry all ` +
          'the traffic and one more failure takes the application down. Check the zone (AWS Health Dashboard) and ' +
          "the group's activity: launches that fail there (capacity, subnet addresses) leave it empty.",
      });
    });
  }
  if (context.scales) {
    specs.push({
      id: 'AtMaxCapacity',
      setting: 'atMaxCapacity',
      ...range('atMaxCapacity'),
      metric: metrics.capacityHeadroom(),
      threshold: 0,
      evaluationPeriods: 15,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      description:
        'The group was within {threshold} instance(s) of its maximum size (0: at it) for {periods} minutes: ' +
        'scaling can add no more, so more load means slower answers. Raise maxCapacity, or find what makes the ' +
        'instances busy.',
    });
  }
  return specs;
}

/** The dashboard rows of a web app: traffic and errors, latency, hosts per zone, group size. */
export function webAppDashboardRows(metrics: WebAppMetrics, zones: string[]): cloudwatch.IWidget[][] {
  return [
    [
      new cloudwatch.GraphWidget({
        title: 'Requests and target 5xx (%)',
        left: [metrics.requests({ label: 'Requests' })],
        right: [metrics.targetServerErrorRate()],
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Target response time p99 (s)',
        left: [metrics.targetResponseTime({ label: 'p99 (s)' })],
        width: 12,
        height: 6,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'Healthy hosts per zone',
        left: zones.map((zone) => metrics.healthyHostsInZone(zone, { label: zone })),
        right: [metrics.unhealthyHosts({ label: 'Unhealthy' })],
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Auto Scaling group size',
        left: [
          metrics.group('GroupInServiceInstances', { label: 'In service' }),
          metrics.group('GroupDesiredCapacity', { label: 'Desired' }),
          metrics.group('GroupMaxSize', { label: 'Maximum' }),
        ],
        width: 12,
        height: 6,
      }),
    ],
  ];
}
