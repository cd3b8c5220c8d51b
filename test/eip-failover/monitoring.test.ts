import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ElasticIpFailoverInstance, ElasticIpFailoverInstanceProps, FailoverStrategy } from '../../src/eip-failover';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(props: Partial<ElasticIpFailoverInstanceProps> = {}) {
  const stack = new Stack(new App(), 'Shop', { env: ENV });
  const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ...props });
  return {
    stack,
    server,
    get template() {
      return Template.fromStack(stack);
    },
  };
}

const TOPIC = [{ Ref: Match.stringLikeRegexp('^ServerFailoverNotifications') }];
const ALLOCATION = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ServerElasticIp'), 'AllocationId'] };

/** The CloudWatch alarms sent to the topic (operator alarms), by name. */
function operatorAlarmNames(template: Template): string[] {
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  const composite = template.findResources('AWS::CloudWatch::CompositeAlarm');
  return [
    ...Object.values(alarms)
      .filter((a) => JSON.stringify(a.Properties.AlarmActions).includes('FailoverNotifications'))
      .map((a) => a.Properties.AlarmName),
    ...Object.values(composite).map((a) => a.Properties.AlarmName),
  ].sort();
}

function dashboardBody(stack: Stack): any {
  const template = Template.fromStack(stack);
  const [dash] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dash.Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

describe('ElasticIpFailoverInstance operator alarms (standby strategy)', () => {
  test('the failover function errors: Errors Sum per minute >= 1, to the topic', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-FailoverErrorsAlarm',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^ServerFailoverFunction') } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: TOPIC,
      OKActions: TOPIC,
    });
  });

  test('the dead-letter queue: ApproximateNumberOfMessagesVisible Maximum >= 1, to the topic', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-DeadLetterMessagesAlarm',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetter'), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: TOPIC,
    });
  });

  test('time to recovery: TimeToRecovery Maximum over 5 minutes, in seconds, > 300', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-TimeToRecoveryAlarm',
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: TOPIC,
      Metrics: [
        Match.objectLike({ Expression: 'ttr / 1000', ReturnData: true }),
        Match.objectLike({
          Id: 'ttr',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'CdkHaPatterns/ElasticIpFailover',
              MetricName: 'TimeToRecovery',
              Dimensions: [{ Name: 'AllocationId', Value: ALLOCATION }],
            },
            Period: 300,
            Stat: 'Maximum',
            Unit: 'Milliseconds',
          },
        }),
      ],
    });
  });

  test('both unhealthy: a composite of a primary and a standby status-check alarm, to the topic', () => {
    const { stack, template } = build();
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composite).toHaveLength(1);
    const props = composite[0].Properties;
    expect(props.AlarmName).toBe('Shop-Server-BothUnhealthyAlarm');
    expect(stack.resolve(props.AlarmActions)).toEqual([{ Ref: expect.stringMatching(/^ServerFailoverNotifications/) }]);
    expect(stack.resolve(props.OKActions)).toEqual([{ Ref: expect.stringMatching(/^ServerFailoverNotifications/) }]);
    const rule = JSON.stringify(props.AlarmRule);
    // (ALARM(primary instance) OR ALARM(primary system)) AND (ALARM(standby instance) OR ALARM(standby system))
    expect(rule).toMatch(
      /^\{"Fn::Join":\["",\["\(\(ALARM\(\\"",\{"Fn::GetAtt":\["ServerPrimaryInstanceStatusCheckAlarm/,
    );
    for (const id of ['PrimaryInstance', 'PrimarySystem', 'StandbyInstance', 'StandbySystem']) {
      expect(rule).toContain(`Server${id}StatusCheckAlarm`);
    }
    expect(rule).not.toContain('CpuAlarm');
    expect(rule).toContain('\\")) AND (ALARM(\\"');
  });

  test('the operator alarms and the trigger alarms are apart', () => {
    const { server, template } = build();
    expect(server.alarms).toHaveLength(6);
    expect(server.operatorAlarms).toHaveLength(4);
    expect(operatorAlarmNames(template)).toEqual([
      'Shop-Server-BothUnhealthyAlarm',
      'Shop-Server-DeadLetterMessagesAlarm',
      'Shop-Server-FailoverErrorsAlarm',
      'Shop-Server-TimeToRecoveryAlarm',
    ]);
  });

  test('settings change threshold and periods; enabled: false removes exactly that alarm', () => {
    const { template } = build({
      alarmSettings: { timeToRecovery: { threshold: 120, evaluationPeriods: 2 }, failoverErrors: { enabled: false } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-TimeToRecoveryAlarm',
      Threshold: 120,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      AlarmDescription: Match.stringLikeRegexp('more than 120 seconds'),
    });
    expect(operatorAlarmNames(template)).toEqual([
      'Shop-Server-BothUnhealthyAlarm',
      'Shop-Server-DeadLetterMessagesAlarm',
      'Shop-Server-TimeToRecoveryAlarm',
    ]);
    const both = build({ alarmSettings: { bothUnhealthy: { enabled: false } } });
    both.template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    expect(operatorAlarmNames(both.template)).toHaveLength(3);
  });

  test('alarms: false creates no operator alarm and keeps the six trigger alarms', () => {
    const { server, template } = build({ alarms: false });
    expect(server.operatorAlarms).toEqual([]);
    expect(operatorAlarmNames(template)).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
  });

  test.each([
    [
      { alarms: false, alarmSettings: { timeToRecovery: { threshold: 60 } } },
      /alarmSettings is only used when alarms is true/,
    ],
    [{ alarmSettings: { timeToRecovery: { threshold: 5 } } }, /alarmSettings\.timeToRecovery\.threshold/],
    [{ alarmSettings: { failoverErrors: { threshold: 1.5 } } }, /alarmSettings\.failoverErrors\.threshold/],
    [
      { alarmSettings: { deadLetterMessages: { evaluationPeriods: 0 } } },
      /alarmSettings\.deadLetterMessages\.evaluationPeriods/,
    ],
    [{ alarmSettings: { bothUnhealthy: { threshold: 1 } } }, /alarmSettings\.bothUnhealthy takes only enabled/],
    [
      { alarmSettings: { abandonedLaunches: { threshold: 2 } } },
      /alarmSettings\.abandonedLaunches is only used with FailoverStrategy\.autoScalingGroup\(\)/,
    ],
    [{ alarmSettings: { nonsense: {} } as any }, /alarmSettings\.nonsense is not an alarm of this construct/],
  ])('refuses %j', (props, message) => {
    expect(() => build(props as Partial<ElasticIpFailoverInstanceProps>)).toThrow(message);
  });
});

describe('ElasticIpFailoverInstance operator alarms (Auto Scaling strategy)', () => {
  const group = () => build({ strategy: FailoverStrategy.autoScalingGroup() });

  test('abandoned launches: AbandonedLaunches Sum per minute >= 1, to the topic', () => {
    const { template } = group();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-AbandonedLaunchesAlarm',
      Namespace: 'CdkHaPatterns/ElasticIpFailover',
      MetricName: 'AbandonedLaunches',
      Dimensions: [{ Name: 'AllocationId', Value: ALLOCATION }],
      Statistic: 'Sum',
      Period: 60,
      Unit: 'Count',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: TOPIC,
    });
  });

  test('the lifecycle hook function errors and its dead-letter queue, no composite', () => {
    const { server, template } = group();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-FailoverErrorsAlarm',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^ServerLifecycleHook') } }],
    });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    expect(operatorAlarmNames(template)).toEqual([
      'Shop-Server-AbandonedLaunchesAlarm',
      'Shop-Server-DeadLetterMessagesAlarm',
      'Shop-Server-FailoverErrorsAlarm',
      'Shop-Server-TimeToRecoveryAlarm',
    ]);
    expect(server.alarms).toEqual([]);
  });

  test('bothUnhealthy is refused with the Auto Scaling strategy', () => {
    expect(() =>
      build({ strategy: FailoverStrategy.autoScalingGroup(), alarmSettings: { bothUnhealthy: { enabled: false } } }),
    ).toThrow(/alarmSettings\.bothUnhealthy is only used with FailoverStrategy\.standbyInstance\(\)/);
  });
});

describe('ElasticIpFailoverInstance snapshot age alarm (Auto Scaling strategy with a data volume)', () => {
  const withVolume = (snapshotInterval?: Duration, extra: Partial<ElasticIpFailoverInstanceProps> = {}) =>
    build({
      strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20), snapshotInterval } }),
      ...extra,
    });

  test('NewestSnapshotAge Maximum per hour > twice the snapshot interval (1 hour: 7200 s), missing data breaching, to the topic', () => {
    const { template } = withVolume();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-SnapshotAgeAlarm',
      Namespace: 'CdkHaPatterns/ElasticIpFailover',
      MetricName: 'NewestSnapshotAge',
      Dimensions: [{ Name: 'AllocationId', Value: ALLOCATION }],
      Statistic: 'Maximum',
      Period: 3600,
      Unit: 'Seconds',
      Threshold: 7200,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'breaching',
      AlarmActions: TOPIC,
      OKActions: TOPIC,
      AlarmDescription: Match.stringLikeRegexp(
        'no completed snapshot for more than 7200 seconds .*every 1 hour.*did not run.*ENABLED.*take a snapshot of the volume by hand',
      ),
    });
  });

  test('the default threshold follows the snapshot interval: 6 hours gives 43200 s', () => {
    const { template } = withVolume(Duration.hours(6));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-SnapshotAgeAlarm',
      Threshold: 43200,
      AlarmDescription: Match.stringLikeRegexp('every 6 hours'),
    });
  });

  test('a custom threshold and evaluation periods', () => {
    const { template } = withVolume(undefined, {
      alarmSettings: { snapshotAge: { threshold: 10800, evaluationPeriods: 3 } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Server-SnapshotAgeAlarm',
      Threshold: 10800,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmDescription: Match.stringLikeRegexp('more than 10800 seconds'),
    });
  });

  test('one of the operator alarms; absent with snapshotAge.enabled false, with alarms: false, and without a data volume', () => {
    expect(operatorAlarmNames(withVolume().template)).toEqual([
      'Shop-Server-AbandonedLaunchesAlarm',
      'Shop-Server-DeadLetterMessagesAlarm',
      'Shop-Server-FailoverErrorsAlarm',
      'Shop-Server-SnapshotAgeAlarm',
      'Shop-Server-TimeToRecoveryAlarm',
    ]);
    const off = withVolume(undefined, { alarmSettings: { snapshotAge: { enabled: false } } });
    expect(operatorAlarmNames(off.template)).not.toContain('Shop-Server-SnapshotAgeAlarm');
    expect(operatorAlarmNames(off.template)).toHaveLength(4);
    const none = withVolume(undefined, { alarms: false });
    none.template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'NewestSnapshotAge' }, 0);
    for (const template of [
      build({ strategy: FailoverStrategy.autoScalingGroup() }).template,
      build().template,
      off.template,
    ]) {
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'NewestSnapshotAge' }, 0);
    }
  });

  test.each<[string, Partial<ElasticIpFailoverInstanceProps>, RegExp]>([
    [
      'snapshotAge with the Auto Scaling strategy and no data volume',
      { strategy: FailoverStrategy.autoScalingGroup(), alarmSettings: { snapshotAge: { threshold: 7200 } } },
      /alarmSettings\.snapshotAge is only used with a data volume: FailoverStrategy\.autoScalingGroup\(\{ dataVolume \}\)/,
    ],
    [
      'snapshotAge (even enabled: false) with the standby strategy',
      { alarmSettings: { snapshotAge: { enabled: false } } },
      /alarmSettings\.snapshotAge is only used with a data volume/,
    ],
    [
      'a threshold below the snapshot interval',
      {
        strategy: FailoverStrategy.autoScalingGroup({
          dataVolume: { size: Size.gibibytes(20), snapshotInterval: Duration.hours(2) },
        }),
        alarmSettings: { snapshotAge: { threshold: 3600 } },
      },
      /alarmSettings\.snapshotAge\.threshold must be a whole number from 7200 to 2592000, received 3600/,
    ],
    [
      'a threshold above 30 days',
      {
        strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20) } }),
        alarmSettings: { snapshotAge: { threshold: 2592001 } },
      },
      /alarmSettings\.snapshotAge\.threshold must be a whole number from 3600 to 2592000/,
    ],
    [
      'a fractional threshold',
      {
        strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20) } }),
        alarmSettings: { snapshotAge: { threshold: 7200.5 } },
      },
      /alarmSettings\.snapshotAge\.threshold must be a whole number/,
    ],
  ])('refuses %s', (_, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('accepts the whole range with a data volume', () => {
    for (const threshold of [3600, 2592000]) {
      expect(() => withVolume(undefined, { alarmSettings: { snapshotAge: { threshold } } })).not.toThrow();
    }
  });
});

describe('ElasticIpFailoverInstance metrics and dashboard', () => {
  test('metric methods name the metrics the alarms use', () => {
    const { stack, server } = build();
    const m = (metric: cloudwatch.Metric) => stack.resolve(metric.toMetricConfig().metricStat);
    expect(m(server.metricFailoverErrors())).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      statistic: 'Sum',
    });
    expect(m(server.metricDeadLetterMessages())).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
    });
    for (const [metric, name] of [
      [server.metricAbandonedLaunches(), 'AbandonedLaunches'],
      [server.metricHealthProbeFailed(), 'HealthProbeFailed'],
      [server.metricTimeToRecovery(), 'TimeToRecovery'],
      [server.metricFailoverDuration(), 'FailoverDuration'],
    ] as const) {
      expect(m(metric)).toMatchObject({
        namespace: 'CdkHaPatterns/ElasticIpFailover',
        metricName: name,
        dimensions: [{ name: 'AllocationId', value: ALLOCATION_RESOLVED }],
      });
    }
  });

  test('addToDashboard: title, alarm status and two graphs of 12', () => {
    const { stack, server } = build();
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    server.addToDashboard(dashboard);
    const widgets = dashboardBody(stack).widgets;
    expect(widgets.map((w: any) => [w.type, w.width, w.height])).toEqual([
      ['text', 24, 1],
      ['alarm', 24, 3],
      ['metric', 12, 6],
      ['metric', 12, 6],
    ]);
    expect(widgets[0].properties.markdown).toBe('## Elastic IP failover Shop/Server');
    expect(widgets[1].properties.alarms).toHaveLength(4);
    expect(widgets[2].properties.title).toBe('Recovery (ms)');
    expect(JSON.stringify(widgets[2].properties.metrics)).toContain('TimeToRecovery');
    expect(JSON.stringify(widgets[2].properties.metrics)).toContain('FailoverDuration');
    expect(widgets[3].properties.title).toBe('Failures');
    expect(JSON.stringify(widgets[3].properties.metrics)).toContain('"AWS/Lambda","Errors"');
    expect(JSON.stringify(widgets[3].properties.metrics)).toContain('ApproximateNumberOfMessagesVisible');
    expect(JSON.stringify(widgets[3].properties.metrics)).not.toContain('AbandonedLaunches');
  });

  test("metricNewestSnapshotAge: the alarm's metric with a data volume; a clear error without one", () => {
    const { stack, server } = build({
      strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20) } }),
    });
    const metric = server.metricNewestSnapshotAge();
    expect(stack.resolve(metric.toMetricConfig().metricStat)).toMatchObject({
      namespace: 'CdkHaPatterns/ElasticIpFailover',
      metricName: 'NewestSnapshotAge',
      dimensions: [{ name: 'AllocationId', value: ALLOCATION_RESOLVED }],
      statistic: 'Maximum',
      unitFilter: 'Seconds',
    });
    expect(metric.period.toSeconds()).toBe(3600);
    expect(server.metricNewestSnapshotAge({ period: Duration.minutes(30) }).period.toMinutes()).toBe(30);
    for (const without of [build(), build({ strategy: FailoverStrategy.autoScalingGroup() })]) {
      expect(() => without.server.metricNewestSnapshotAge()).toThrow(/has no data volume/);
    }
  });

  test('addToDashboard with a data volume adds a row: the newest snapshot age, with twice the interval marked', () => {
    const { stack, server } = build({
      strategy: FailoverStrategy.autoScalingGroup({
        dataVolume: { size: Size.gibibytes(20), snapshotInterval: Duration.hours(4) },
      }),
    });
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    server.addToDashboard(dashboard);
    const widgets = dashboardBody(stack).widgets;
    expect(widgets.map((w: any) => [w.type, w.width])).toEqual([
      ['text', 24],
      ['alarm', 24],
      ['metric', 12],
      ['metric', 12],
      ['metric', 24],
    ]);
    expect(widgets[1].properties.alarms).toHaveLength(5);
    expect(widgets[4].properties.title).toBe('Newest data volume snapshot age (s)');
    expect(JSON.stringify(widgets[4].properties.metrics)).toContain(
      '"CdkHaPatterns/ElasticIpFailover","NewestSnapshotAge"',
    );
    expect(widgets[4].properties.annotations.horizontal).toEqual([
      expect.objectContaining({ value: 28800, label: '2 × snapshot interval (4 hours)' }),
    ]);
  });

  test('addToDashboard without a data volume has no snapshot age row', () => {
    const { stack, server } = build({ strategy: FailoverStrategy.autoScalingGroup() });
    server.addToDashboard(new cloudwatch.Dashboard(stack, 'Dashboard'));
    expect(JSON.stringify(dashboardBody(stack))).not.toContain('NewestSnapshotAge');
  });

  test('addToDashboard with the Auto Scaling strategy graphs abandoned launches', () => {
    const { stack, server } = build({ strategy: FailoverStrategy.autoScalingGroup() });
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    server.addToDashboard(dashboard);
    const widgets = dashboardBody(stack).widgets;
    expect(JSON.stringify(widgets[3].properties.metrics)).toContain('AbandonedLaunches');
  });
});

const ALLOCATION_RESOLVED = { 'Fn::GetAtt': [expect.stringMatching(/^ServerElasticIp/), 'AllocationId'] };
