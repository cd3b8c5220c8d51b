// The shared half of every construct's monitoring: its alarms are built here from a table of
// specifications (metric, default threshold, why it matters, what to do), each named stably,
// sent to the construct's topic, and settable through an `AlarmSetting`. Each construct keeps its
// metrics and its specifications in a monitoring module of its own and its dashboard widgets
// beside them, so alarms and dashboard read the same metrics.
import { ArnFormat, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmSetting } from './alarm-setting';
import { PropsValidator } from './validation';

/** The CloudWatch alarm service, which publishes an alarm's state changes to its SNS actions. */
export const CLOUDWATCH_SERVICE = 'cloudwatch.amazonaws.com';

/** One alarm a construct creates unless told otherwise. */
export interface AlarmSpec {
  /** Construct id of the alarm, and the last part of its name, e.g. `TargetServerErrors`. */
  readonly id: string;
  /** The key of its `AlarmSetting` in the construct's alarm settings, e.g. `targetServerErrors`. */
  readonly setting: string;
  /** The metric it watches (statistic and period included). */
  readonly metric: cloudwatch.IMetric;
  /** Threshold when the setting gives none. */
  readonly threshold: number;
  /** The thresholds the setting may give: [min, max]. */
  readonly thresholdRange: [number, number];
  /** Whether the threshold must be a whole number (a count). @default false */
  readonly wholeThreshold?: boolean;
  /** Evaluation periods when the setting gives none. */
  readonly evaluationPeriods: number;
  /** How the metric is compared with the threshold. */
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** How a period without data counts. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /**
   * The alarm's description: what the metric shows and what to do when it fires. `{threshold}`
   * and `{periods}` are replaced by the values in force.
   */
  readonly description: string;
}

/** Options for {@link ConstructAlarms}. */
export interface ConstructAlarmsOptions {
  /** Where every alarm sends its ALARM and OK notifications. */
  readonly topic: sns.ITopic;
  /** `false` when the user turned all alarms off (`alarms: false`). */
  readonly enabled: boolean;
  /** The prop that holds the per-alarm settings, as the user writes it, e.g. `alarmSettings`. */
  readonly settingsProp: string;
  /** The per-alarm settings the user gave, by {@link AlarmSpec.setting}. */
  readonly settings?: object;
}

/** The longest alarm name CloudWatch accepts. */
const MAX_ALARM_NAME = 255;

/**
 * Builds a construct's alarms from their specifications: each one named
 * `<stack name>-<construct path>-<alarm id>` (stable for as long as the construct's path is, and
 * readable in the console and in notifications), with the user's settings applied, and with the
 * topic as its ALARM and OK action.
 */
export class ConstructAlarms {
  /**
   * Checks the settings against the specifications: each named setting must be one of them and each
   * threshold and period count in range; settings with `alarms: false` are refused as contradictory.
   */
  public static validate(
    validator: PropsValidator,
    options: { enabledProp: string; enabled: boolean; settingsProp: string; settings?: object },
    specs: Pick<AlarmSpec, 'setting' | 'thresholdRange' | 'wholeThreshold'>[],
  ): void {
    const settings = options.settings as Record<string, AlarmSetting | undefined> | undefined;
    if (settings === undefined) return;
    if (!options.enabled) {
      validator.fail(
        options.settingsProp,
        `is only used when ${options.enabledProp} is true; remove it or turn ${options.enabledProp} on`,
        Object.keys(settings),
      );
      return;
    }
    const bySetting = new Map(specs.map((s) => [s.setting, s]));
    for (const [key, setting] of Object.entries(settings)) {
      const spec = bySetting.get(key);
      if (setting === undefined) continue;
      if (spec === undefined) {
        validator.fail(
          `${options.settingsProp}.${key}`,
          `is not an alarm of this construct (one of ${[...bySetting.keys()].join(', ')})`,
          key,
        );
        continue;
      }
      const [min, max] = spec.thresholdRange;
      if (spec.wholeThreshold) {
        validator.integerInRange(`${options.settingsProp}.${key}.threshold`, setting.threshold, min, max);
      } else {
        validator.numberInRange(`${options.settingsProp}.${key}.threshold`, setting.threshold, min, max);
      }
      validator.integerInRange(`${options.settingsProp}.${key}.evaluationPeriods`, setting.evaluationPeriods, 1, 100);
    }
  }

  /** Every alarm created, in the order of the specifications. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly created = new Map<string, cloudwatch.Alarm>();

  constructor(
    private readonly scope: Construct,
    private readonly options: ConstructAlarmsOptions,
  ) {}

  /** Creates the alarm of `spec` unless all alarms or this one are off; returns it if created. */
  public add(spec: AlarmSpec): cloudwatch.Alarm | undefined {
    if (!this.options.enabled) return undefined;
    const setting =
      (this.options.settings as Record<string, AlarmSetting | undefined> | undefined)?.[spec.setting] ?? {};
    if (setting.enabled === false) return undefined;
    const threshold = setting.threshold ?? spec.threshold;
    const periods = setting.evaluationPeriods ?? spec.evaluationPeriods;
    const alarm = new cloudwatch.Alarm(this.scope, spec.id, {
      alarmName: alarmName(this.scope, spec.id),
      alarmDescription: spec.description
        .replace(/\{threshold\}/g, String(threshold))
        .replace(/\{periods\}/g, String(periods)),
      metric: spec.metric,
      threshold,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      comparisonOperator: spec.comparisonOperator,
      treatMissingData: spec.treatMissingData,
    });
    const action = new cloudwatchActions.SnsAction(this.options.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    this.created.set(spec.setting, alarm);
    return alarm;
  }

  /** The alarm created for a setting key, if it was. */
  public get(setting: string): cloudwatch.Alarm | undefined {
    return this.created.get(setting);
  }
}

/**
 * `<stack name>-<path of the construct inside its stack, '/' as '-'>-<id>`; when that is longer
 * than CloudWatch allows, the construct's unique name (which ends with a hash of its path) replaces
 * the path.
 */
export function alarmName(scope: Construct, id: string): string {
  const stack = Stack.of(scope);
  const inStack = scope.node.path.slice(stack.node.path.length).replace(/^\//, '').replace(/\//g, '-');
  const stackName = Token.isUnresolved(stack.stackName) ? stack.node.id : stack.stackName;
  const name = `${stackName}-${inStack}-${id}`;
  if (name.length <= MAX_ALARM_NAME) return name;
  return `${Names.uniqueResourceName(scope, { maxLength: MAX_ALARM_NAME - id.length - 1, separator: '-' })}-${id}`;
}

/**
 * Lets CloudWatch alarms of this account and region publish to a topic the construct created:
 * `sns:Publish` in its topic policy, and (for its KMS key) `kms:GenerateDataKey*` and `kms:Decrypt`
 * in the key policy, both limited to this account's alarms (`aws:SourceAccount`, and
 * `aws:SourceArn` like `arn:...:cloudwatch:<region>:<account>:alarm:*`). The topic policy that
 * `enforceSSL` writes replaces SNS's default policy, so without this statement no alarm would be
 * delivered; SNS's guide ("Enable compatibility between event sources from AWS services and
 * encrypted topics") names the key permissions.
 */
export function admitAlarmPublisher(topic: sns.Topic): void {
  const stack = Stack.of(topic);
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: '*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
  };
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowPublishByCloudWatchAlarms',
      principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions,
    }),
  );
  topic.masterKey?.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToEncrypt',
      principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE)],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions,
    }),
  );
}

/** The width of a CloudWatch dashboard, in grid units. */
export const DASHBOARD_WIDTH = 24;

/**
 * Adds one construct's section to a dashboard: a title row naming the construct, the state of its
 * alarms (when it has any), then its rows of widgets, each row as given.
 */
export function addDashboardSection(
  dashboard: cloudwatch.Dashboard,
  title: string,
  alarms: cloudwatch.IAlarm[],
  rows: cloudwatch.IWidget[][],
): void {
  dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `## ${title}`, width: DASHBOARD_WIDTH, height: 1 }));
  if (alarms.length > 0) {
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: DASHBOARD_WIDTH, height: 3 }),
    );
  }
  for (const row of rows) dashboard.addWidgets(...row);
}
