import { ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  CONSTRUCT_DIMENSION,
  EXPERIMENT_DIMENSION,
  MEASURED_RECOVERY_TIME_METRIC,
  VERIFIER_METRIC_NAMESPACE,
} from './contract';
import { ResilienceExperimentsSpec } from './experiment-spec';
import { ResilienceExperimentOptions } from './options';
import { createVerifier } from './verifier';
import { acknowledge, nagArn } from '../common/acknowledge';
import { HANDLER_LOG_RETENTION } from '../common/handler-function';
import { logsEncryptionKey } from '../common/logs-key';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { DASHBOARD_WIDTH } from '../common/monitoring';

/**
 * The fault-injection experiments of one construct: AWS FIS experiment templates that target only
 * the construct's resources (by its own tags, or by ARN), a role that may act only on those, the
 * construct's alarms as stop conditions, and a log group the experiments write to. Nothing runs
 * on deployment: start an experiment with `aws fis start-experiment --experiment-template-id
 * <id>`, or start the verifier, which measures the recovery too.
 *
 * Created by `addResilienceExperiments()` of each construct.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 *
 * const server = new patterns.ElasticIpFailoverInstance(this, 'Api', { vpc });
 * server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
 * const experiments = server.addResilienceExperiments({
 *   probe: patterns.HealthProbe.tcp(443),
 *   faultDuration: Duration.minutes(3),
 * });
 * // Start it with: aws stepfunctions start-execution --state-machine-arn <arn> --input '{"experiment": "StopPrimary"}'
 * new CfnOutput(this, 'Verifier', { value: experiments.verifier!.stateMachineArn });
 * new CfnOutput(this, 'StopPrimaryTemplate', { value: experiments.experimentTemplate('StopPrimary').attrId });
 */
export class ResilienceExperiments extends Construct {
  /**
   * Creates the experiments of a construct.
   * @internal
   */
  public static _create(
    scope: Construct,
    spec: ResilienceExperimentsSpec,
    options: ResilienceExperimentOptions,
  ): ResilienceExperiments {
    return new ResilienceExperiments(scope, spec, options);
  }

  /** The role AWS FIS assumes to run the experiments. */
  public readonly role: iam.IRole;

  /** The log group the experiments write to (one stream per experiment run). */
  public readonly logGroup: logs.ILogGroup;

  /** The experiments' names, in the order the construct's README lists them. */
  public readonly experimentNames: string[];

  /**
   * The verifier: start it with `{ "experiment": "<name>" }`.
   *
   * @default - none when `verifier: false`
   */
  public readonly verifier?: sfn.IStateMachine;

  private readonly templates: Map<string, fis.CfnExperimentTemplate>;
  private readonly subject: string;
  /** The verifier's budget of each experiment. */
  private readonly budgets = new Map<string, Duration>();

  private constructor(scope: Construct, spec: ResilienceExperimentsSpec, options: ResilienceExperimentOptions) {
    super(scope, 'ResilienceExperiments');
    const stack = Stack.of(this);
    this.subject = scope.node.path;
    const role = new ManagedPolicyRole(this, 'Role', {
      description: `AWS FIS runs the resilience experiments of ${scope.node.path} with this role: it may act only on that construct's resources`,
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' }) },
        },
      }),
    });
    spec.permissions(role);
    // Experiment logging: vended logs delivered to the log group (CloudWatch Logs User Guide, "Logs
    // sent to CloudWatch Logs"): creating the delivery, and the log group's resource policy.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeliverExperimentLogs',
        actions: ['logs:CreateLogDelivery'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'LetLogsReachTheLogGroup',
        actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.role = role;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: HANDLER_LOG_RETENTION,
      encryptionKey: logsEncryptionKey(this),
    });

    this.templates = new Map();
    const extraStops = options.stopConditions ?? [];
    const duration = options.faultDuration ?? Duration.minutes(5);
    for (const experiment of spec.experiments) {
      const stops = [...experiment.stopConditions, ...extraStops];
      const template = new fis.CfnExperimentTemplate(this, experiment.name, {
        description: experiment.description,
        roleArn: role.roleArn,
        targets: experiment.targets,
        actions: experiment.actions,
        stopConditions:
          stops.length > 0
            ? stops.map((alarm) => ({ source: 'aws:cloudwatch:alarm', value: alarm.alarmArn }))
            : [{ source: 'none' }],
        logConfiguration: {
          cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn },
          logSchemaVersion: 2,
        },
        // A target that resolves to nothing (an instance not running) fails the experiment.
        experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
        tags: { Name: `${Names.uniqueResourceName(this, { maxLength: 200 })}-${experiment.name}` },
      });
      this.templates.set(experiment.name, template);
    }
    this.experimentNames = spec.experiments.map((e) => e.name);
    acknowledge(role, {
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'logs', 'log-group:*')}]`,
      reason:
        'logs:PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups are granted on every log group of this account and region, as the CloudWatch Logs User Guide asks for vended log delivery ("Logs sent to CloudWatch Logs"): they let AWS FIS set up delivery to this construct\'s experiment log group; no log group is read or written with them.',
    });
    acknowledge(role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "Only reads (ec2:Describe*, rds:DescribeDBInstances, tag:GetResources, ssm:ListCommands) and logs:CreateLogDelivery are granted on *: they support no resource-level permissions. Every action that changes a resource is limited to this construct's resources, by tag or by ARN.",
    });

    if (spec.acknowledgements) acknowledge(role, ...spec.acknowledgements);

    for (const e of spec.experiments) this.budgets.set(e.name, options.recoveryBudget ?? e.budget);
    if ((options.verifier ?? true) && spec.probe) {
      this.verifier = createVerifier(this, {
        subject: this.subject,
        experiments: spec.experiments.map((e) => ({
          name: e.name,
          template: this.templates.get(e.name)!,
          budget: this.budgets.get(e.name)!,
          faultDuration: duration,
          carriesData: e.carriesData,
        })),
        probe: spec.probe,
        notificationTopic: spec.notificationTopic,
        dataMarker: spec.dataMarker,
      });
    }
  }

  /**
   * The experiment template of the experiment `name` (one of `experimentNames`).
   *
   * @param name the experiment's name
   */
  public experimentTemplate(name: string): fis.CfnExperimentTemplate {
    const template = this.templates.get(name);
    if (!template) {
      throw new Error(
        `${this.subject} has no resilience experiment named ${name}: it has ${this.experimentNames.join(', ')}`,
      );
    }
    return template;
  }

  /**
   * The recovery time the verifier measured (`MeasuredRecoveryTime`, seconds from the first failed
   * probe to the stable recovery) for one experiment, the maximum per 5 minutes unless `props`
   * says otherwise. Published once per verifier run.
   *
   * @param experimentName the experiment's name
   * @param props options for the metric
   */
  public metricMeasuredRecoveryTime(experimentName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    if (!Token.isUnresolved(experimentName)) this.experimentTemplate(experimentName);
    return new cloudwatch.Metric({
      namespace: VERIFIER_METRIC_NAMESPACE,
      metricName: MEASURED_RECOVERY_TIME_METRIC,
      dimensionsMap: { [CONSTRUCT_DIMENSION]: this.subject, [EXPERIMENT_DIMENSION]: experimentName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * The dashboard row of the verifier's measurements: `MeasuredRecoveryTime` of every experiment,
   * with a line at each budget; none without a verifier (nothing publishes the metric).
   *
   * @internal
   */
  public _dashboardRows(): cloudwatch.IWidget[][] {
    if (!this.verifier) return [];
    const byBudget = new Map<number, string[]>();
    for (const [name, budget] of this.budgets) {
      byBudget.set(budget.toSeconds(), [...(byBudget.get(budget.toSeconds()) ?? []), name]);
    }
    return [
      [
        new cloudwatch.GraphWidget({
          title: 'Measured recovery time (s), one point per verifier run',
          left: this.experimentNames.map((name) => this.metricMeasuredRecoveryTime(name, { label: name })),
          leftAnnotations: [...byBudget].map(([value, names]) => ({
            value,
            label: `Budget of ${names.join(', ')}`,
            color: cloudwatch.Color.RED,
          })),
          leftYAxis: { min: 0, showUnits: false },
          width: DASHBOARD_WIDTH,
          height: 6,
        }),
      ],
    ];
  }
}

/**
 * The dashboard rows of the resilience verifier of `scope` (a construct of this library), when its
 * `addResilienceExperiments()` was called: a construct's dashboard section shows the recovery
 * times measured beside its own metrics.
 */
export function measuredRecoveryRows(scope: Construct): cloudwatch.IWidget[][] {
  const experiments = scope.node.tryFindChild('ResilienceExperiments');
  return experiments instanceof ResilienceExperiments ? experiments._dashboardRows() : [];
}
