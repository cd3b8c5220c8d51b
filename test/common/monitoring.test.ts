import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { AlarmSpec, ConstructAlarms, alarmName } from '../../src/common/monitoring';
import { createEncryptedTopic } from '../../src/common/notification-topic';
import { PropsValidator } from '../../src/common/validation';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function spec(overrides: Partial<AlarmSpec> = {}): AlarmSpec {
  return {
    id: 'Errors',
    setting: 'errors',
    metric: new cloudwatch.Metric({
      namespace: 'Test',
      metricName: 'Errors',
      period: Duration.minutes(1),
      statistic: 'Sum',
    }),
    threshold: 5,
    thresholdRange: [1, 100],
    wholeThreshold: true,
    evaluationPeriods: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description: 'At least {threshold} errors a minute for {periods} minutes: read the logs.',
    ...overrides,
  };
}

function setUp(options: Partial<AlarmsOptions> = {}) {
  const stack = new Stack(new App(), 'Shop', { env: ENV });
  const owner = new Construct(stack, 'Web');
  const topic = createEncryptedTopic(owner, 'Topic', { purpose: 'test' });
  const alarms = new ConstructAlarms(owner, { topic, enabled: true, settingsProp: 'alarmSettings', ...options });
  return { stack, owner, topic, alarms };
}
type AlarmsOptions = ConstructorParameters<typeof ConstructAlarms>[1];

describe('ConstructAlarms', () => {
  test('an alarm has a stable readable name, its defaults, and the topic as ALARM and OK action', () => {
    const { stack, alarms } = setUp();
    alarms.add(spec());
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Shop-Web-Errors',
      AlarmDescription: 'At least 5 errors a minute for 3 minutes: read the logs.',
      MetricName: 'Errors',
      Namespace: 'Test',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^WebTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^WebTopic') }],
    });
  });

  test('a setting replaces the threshold and periods; enabled false and alarms off create nothing', () => {
    const on = setUp({ settings: { errors: { threshold: 9, evaluationPeriods: 2 } } });
    on.alarms.add(spec());
    Template.fromStack(on.stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 9,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      AlarmDescription: 'At least 9 errors a minute for 2 minutes: read the logs.',
    });

    const one = setUp({ settings: { errors: { enabled: false } } });
    expect(one.alarms.add(spec())).toBeUndefined();
    one.alarms.add(spec({ id: 'Other', setting: 'other' }));
    Template.fromStack(one.stack).resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(one.alarms.get('other')).toBeDefined();
    expect(one.alarms.get('errors')).toBeUndefined();

    const off = setUp({ enabled: false });
    expect(off.alarms.add(spec())).toBeUndefined();
    Template.fromStack(off.stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('names too long for CloudWatch fall back to the unique name, within 255 characters', () => {
    const stack = new Stack(new App(), 'S'.repeat(120), { env: ENV });
    const deep = new Construct(new Construct(stack, 'A'.repeat(100)), 'B'.repeat(100));
    const name = alarmName(deep, 'Errors');
    expect(name.length).toBeLessThanOrEqual(255);
    expect(name).toMatch(/-Errors$/);
    expect(alarmName(new Construct(stack, 'Web'), 'Errors')).toBe(`${'S'.repeat(120)}-Web-Errors`);
  });
});

describe('ConstructAlarms.validate', () => {
  const specs = [
    spec(),
    spec({ id: 'Latency', setting: 'latency', wholeThreshold: false, thresholdRange: [0.01, 60] }),
  ];
  function problems(options: Parameters<typeof ConstructAlarms.validate>[1]): string {
    const validator = new PropsValidator('Test');
    ConstructAlarms.validate(validator, options, specs);
    try {
      validator.throwIfInvalid();
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  }
  const base = { enabledProp: 'alarms', enabled: true, settingsProp: 'alarmSettings' };

  test('accepts settings in range', () => {
    expect(
      problems({
        ...base,
        settings: { errors: { threshold: 100, evaluationPeriods: 100 }, latency: { threshold: 0.5 } },
      }),
    ).toBe('');
  });
  test('refuses a threshold out of range, a fractional count and bad periods, naming the prop', () => {
    const message = problems({
      ...base,
      settings: { errors: { threshold: 2.5, evaluationPeriods: 0 }, latency: { threshold: 61 } },
    });
    expect(message).toContain('alarmSettings.errors.threshold must be a whole number from 1 to 100, received 2.5');
    expect(message).toContain(
      'alarmSettings.errors.evaluationPeriods must be a whole number from 1 to 100, received 0',
    );
    expect(message).toContain('alarmSettings.latency.threshold must be from 0.01 to 60, received 61');
  });
  test('refuses an unknown alarm key', () => {
    expect(problems({ ...base, settings: { errros: { threshold: 3 } } })).toContain(
      "alarmSettings.errros is not an alarm of this construct (one of errors, latency), received 'errros'",
    );
  });
  test('refuses settings with all alarms off', () => {
    expect(problems({ ...base, enabled: false, settings: { errors: {} } })).toContain(
      "alarmSettings is only used when alarms is true; remove it or turn alarms on, received ['errors']",
    );
  });
});

describe('topics the library creates admit CloudWatch alarms', () => {
  test('topic policy and key policy allow cloudwatch.amazonaws.com, limited to this account and its alarms', () => {
    const { stack } = setUp();
    const template = Template.fromStack(stack);
    const conditions = {
      StringEquals: { 'aws:SourceAccount': ENV.account },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${ENV.region}:${ENV.account}:alarm:*`]],
        },
      },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowPublishByCloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: conditions,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsToEncrypt',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Condition: conditions,
          }),
        ]),
      },
    });
  });
});
