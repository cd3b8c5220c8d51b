import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BUNDLE, buildEnvironment, buildPair, ENV, PLATFORM_ARN, BRANCH, settingsOfEnv } from './support';
import {
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  Cutover,
  EnvironmentTier,
  Route53CutoverOptions,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

/** An environment (or a pair) and a dashboard it adds itself to, before the one synthesis. */
function dashboardOf(build: (stack: Stack) => { addToDashboard(d: cloudwatch.Dashboard): void }): any {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const construct = build(stack);
  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
  construct.addToDashboard(dashboard);
  return dashboardBody(Template.fromStack(stack));
}

function environmentIn(stack: Stack, tier?: EnvironmentTier): BeanstalkEnvironment {
  return new BeanstalkEnvironment(stack, 'Env', {
    application: new BeanstalkApplication(stack, 'App'),
    platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
    sourceBundle: SourceBundle.fromAsset(BUNDLE),
    tier,
  });
}

type Resources = Record<string, any>;

function alarmsOf(template: Template): Resources {
  return template.findResources('AWS::CloudWatch::Alarm');
}

function alarmNamed(template: Template, suffix: string): any {
  const found = Object.values(alarmsOf(template)).filter((a: any) => String(a.Properties.AlarmName).endsWith(suffix));
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

/** The dashboard body: string parts of its Fn::Join joined, other parts as a placeholder. */
function dashboardBody(template: Template): any {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
  const body = dashboard.Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

const topicRef = { Ref: expect.stringMatching(/^EnvNotificationTopic/) };

describe('BeanstalkEnvironment alarms (web server)', () => {
  test('environment health: EnvironmentHealth >= 20 (Degraded), maximum per minute, 5 minutes, to the topic', () => {
    const { template } = buildEnvironment();
    expect(alarmNamed(template, '-Env-EnvironmentHealth')).toMatchObject({
      AlarmName: 'Stack-Env-EnvironmentHealth',
      Namespace: 'AWS/ElasticBeanstalk',
      MetricName: 'EnvironmentHealth',
      Dimensions: [{ Name: 'EnvironmentName', Value: expect.anything() }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 20,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'missing',
      AlarmActions: [topicRef],
      OKActions: [topicRef],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Stack-Env-EnvironmentHealth',
      Dimensions: [{ Name: 'EnvironmentName', Value: Match.stringLikeRegexp('Env') }],
    });
  });

  test('5xx rate: 100 * ApplicationRequests5xx / ApplicationRequestsTotal >= 5% for 5 minutes', () => {
    const { template } = buildEnvironment();
    const alarm = alarmNamed(template, '-Env-ServerErrorRate');
    expect(alarm).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      OKActions: [topicRef],
    });
    const byId = Object.fromEntries(alarm.Metrics.map((m: any) => [m.Id, m]));
    expect(byId.expr_1 ?? Object.values(byId).find((m: any) => m.Expression)).toMatchObject({
      Expression: 'IF(requests > 0, 100 * errors / requests, 0)',
    });
    for (const [id, name] of [
      ['errors', 'ApplicationRequests5xx'],
      ['requests', 'ApplicationRequestsTotal'],
    ]) {
      expect(byId[id]).toMatchObject({
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'AWS/ElasticBeanstalk', MetricName: name, Dimensions: [{ Name: 'EnvironmentName' }] },
          Period: 60,
          Stat: 'Sum',
        },
      });
    }
    expect(Object.keys(alarmsOf(template))).toHaveLength(2);
  });

  test('the enhanced health config document publishes the two request metrics, as a literal option setting', () => {
    const { settings } = buildEnvironment();
    expect(JSON.parse(settings['aws:elasticbeanstalk:healthreporting:system/ConfigDocument'] as string)).toEqual({
      CloudWatchMetrics: { Environment: { ApplicationRequests5xx: 60, ApplicationRequestsTotal: 60 } },
      Version: 1,
    });
    expect(settings['aws:elasticbeanstalk:healthreporting:system/SystemType']).toBe('enhanced');
  });

  test("the default topic is encrypted and admits this account's alarms; a given topic is used as is", () => {
    const { template, environment } = buildEnvironment();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowPublishByCloudWatchAlarms',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          }),
        ]),
      },
    });
    expect(environment.alarms).toHaveLength(2);

    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const topic = new sns.Topic(stack, 'Mine');
    const given = buildEnvironment({ notificationTopic: topic }, stack);
    given.template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(alarmNamed(given.template, '-Env-EnvironmentHealth').AlarmActions).toEqual([
      { Ref: stack.resolve((topic.node.defaultChild as sns.CfnTopic).logicalId) },
    ]);
  });

  test('settings change threshold and periods; enabled false removes exactly that alarm; alarms false creates none', () => {
    const set = buildEnvironment({
      alarmSettings: {
        environmentHealth: { threshold: 25, evaluationPeriods: 3 },
        serverErrorRate: { enabled: false },
      },
    });
    expect(Object.keys(alarmsOf(set.template))).toHaveLength(1);
    expect(alarmNamed(set.template, '-Env-EnvironmentHealth')).toMatchObject({ Threshold: 25, EvaluationPeriods: 3 });

    const off = buildEnvironment({ alarms: false });
    off.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(off.environment.alarms).toEqual([]);
  });

  test('metric methods', () => {
    const { environment, stack } = buildEnvironment();
    const health = environment.metricEnvironmentHealth();
    expect(health.namespace).toBe('AWS/ElasticBeanstalk');
    expect(health.metricName).toBe('EnvironmentHealth');
    expect(health.statistic).toBe('Maximum');
    expect(health.period.toSeconds()).toBe(60);
    expect(stack.resolve(health.dimensions)).toEqual({ EnvironmentName: stack.resolve(environment.environmentName) });
    const rate = environment.metricServerErrorRate() as cloudwatch.MathExpression;
    expect(rate.expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    expect(() => environment.metricQueueAge()).toThrow(/worker tier only/);
    expect(() => environment.metricDeadLetterMessages()).toThrow(/worker tier only/);
  });
});

describe('BeanstalkEnvironment alarms (worker)', () => {
  test("queue age and dead letters, on the worker's queues; no 5xx alarm and no config document", () => {
    const { template, environment, stack, settings } = buildEnvironment({ tier: EnvironmentTier.WORKER });
    const queueRef = {
      'Fn::GetAtt': [stack.resolve((environment.queue!.node.defaultChild as any).logicalId), 'QueueName'],
    };
    const dlqRef = {
      'Fn::GetAtt': [stack.resolve((environment.deadLetterQueue!.node.defaultChild as any).logicalId), 'QueueName'],
    };
    expect(alarmNamed(template, '-Env-QueueAge')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: queueRef }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 600,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 5,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
    });
    expect(alarmNamed(template, '-Env-DeadLetterMessages')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: dlqRef }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      AlarmActions: [topicRef],
    });
    expect(alarmNamed(template, '-Env-EnvironmentHealth').Threshold).toBe(20);
    expect(Object.keys(alarmsOf(template))).toHaveLength(3);
    expect(settings['aws:elasticbeanstalk:healthreporting:system/ConfigDocument']).toBeUndefined();
    expect(environment.metricQueueAge().metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(() => environment.metricServerErrorRate()).toThrow(/web server tier/);
  });
});

describe('validation of the alarm settings', () => {
  const fails = (props: object, message: RegExp) => expect(() => buildEnvironment(props)).toThrow(message);

  test('a threshold out of range or fractional, per alarm', () => {
    fails({ alarmSettings: { environmentHealth: { threshold: 26 } } }, /alarmSettings\.environmentHealth\.threshold/);
    fails({ alarmSettings: { environmentHealth: { threshold: 20.5 } } }, /alarmSettings\.environmentHealth\.threshold/);
    fails({ alarmSettings: { serverErrorRate: { threshold: 0 } } }, /alarmSettings\.serverErrorRate\.threshold/);
    fails(
      { tier: EnvironmentTier.WORKER, alarmSettings: { queueAge: { threshold: 30 } } },
      /alarmSettings\.queueAge\.threshold/,
    );
    fails(
      { tier: EnvironmentTier.WORKER, alarmSettings: { deadLetterMessages: { threshold: 0 } } },
      /alarmSettings\.deadLetterMessages\.threshold/,
    );
    fails({ alarmSettings: { environmentHealth: { evaluationPeriods: 0 } } }, /evaluationPeriods/);
  });

  test('an alarm of the other tier, and settings with alarms false', () => {
    fails(
      { alarmSettings: { queueAge: { threshold: 600 } } },
      /alarmSettings\.queueAge.*is not an alarm of this construct/,
    );
    fails(
      { tier: EnvironmentTier.WORKER, alarmSettings: { serverErrorRate: { threshold: 5 } } },
      /alarmSettings\.serverErrorRate.*is not an alarm of this construct/,
    );
    fails(
      { alarms: false, alarmSettings: { environmentHealth: { threshold: 25 } } },
      /alarmSettings.*only used when alarms is true/,
    );
  });
});

describe('dashboard', () => {
  test('an environment: title, alarm status, health beside the 5xx rate (12 + 12)', () => {
    const widgets = dashboardOf((stack) => environmentIn(stack)).widgets;
    expect(widgets[0]).toMatchObject({ type: 'text', width: 24, properties: { markdown: '## Stack/Env' } });
    expect(widgets[1]).toMatchObject({ type: 'alarm', width: 24 });
    expect(widgets[1].properties.alarms).toHaveLength(2);
    expect(widgets.slice(2).map((w: any) => [w.type, w.width, w.height, w.properties.title])).toEqual([
      ['metric', 12, 6, 'Environment health'],
      ['metric', 12, 6, '5xx (% of requests)'],
    ]);
    expect(JSON.stringify(widgets[2].properties.metrics)).toContain('EnvironmentHealth');
    expect(JSON.stringify(widgets[3].properties.metrics)).toContain('IF(requests > 0, 100 * errors / requests, 0)');
  });

  test('a worker: health, queue age and dead letters (8 + 8 + 8)', () => {
    const widgets = dashboardOf((stack) => environmentIn(stack, EnvironmentTier.WORKER)).widgets;
    expect(widgets.slice(2).map((w: any) => [w.width, w.height, w.properties.title])).toEqual([
      [8, 6, 'Environment health'],
      [8, 6, 'Oldest message (s)'],
      [8, 6, 'Dead letters'],
    ]);
    expect(JSON.stringify(widgets[3].properties.metrics)).toContain('ApproximateAgeOfOldestMessage');
    expect(JSON.stringify(widgets[4].properties.metrics)).toContain('ApproximateNumberOfMessagesVisible');
  });

  test('a pair: both environments, the live one first, titled with their slot', () => {
    const body = dashboardOf(
      (stack) =>
        new BeanstalkEnvironmentPair(stack, 'Pair', {
          platform: BeanstalkPlatform.latest(BRANCH),
          blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
          green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
          live: Slot.GREEN,
        }),
    );
    expect(body.widgets.filter((w: any) => w.type === 'alarm')[0].properties.alarms).toHaveLength(2);
    const titles = body.widgets.filter((w: any) => w.type === 'text').map((w: any) => w.properties.markdown);
    expect(titles).toEqual(['## Stack/Pair green (live)', '## Stack/Pair blue (idle)']);
  });
});

describe('BeanstalkEnvironmentPair monitoring', () => {
  test('one topic for both environments, exposed; four alarms', () => {
    const { pair, template, stack } = buildPair();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const topicId = stack.resolve(((pair.notificationTopic as sns.Topic).node.defaultChild as sns.CfnTopic).logicalId);
    for (const alarm of Object.values(alarmsOf(template)) as any[]) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    expect(pair.alarms).toHaveLength(4);
    expect(
      settingsOfEnv(template, stack, pair.blue)['aws:elasticbeanstalk:healthreporting:system/ConfigDocument'],
    ).toBeDefined();
  });

  test('the swap gets the checks, the live alarms and the bake; its role may describe exactly those alarms', () => {
    const { pair, template, stack } = buildPair({
      cutover: Cutover.cnameSwap({ healthCheckPath: '/health', bakeTime: Duration.minutes(7) }),
    });
    const [swap] = Object.values(template.findResources('Custom::BeanstalkCnameSwap')) as any[];
    expect(swap.Properties).toMatchObject({
      RequireHealthOk: 'true',
      HttpCheck: { Scheme: 'http', Path: '/health' },
      BakeSeconds: '420',
    });
    // The live (blue) environment's alarms, by reference: the swap also waits for them to exist.
    expect(swap.Properties.LiveAlarmNames).toEqual(stack.resolve(pair.blue.alarms.map((a) => a.alarmName)));
    expect(stack.resolve(pair.blue.alarms.map((a) => a.alarmName))).toEqual([
      { Ref: expect.stringMatching(/^PairBlueEnvironmentHealth/) },
      { Ref: expect.stringMatching(/^PairBlueServerErrorRate/) },
    ]);
    const statements = [
      ...Object.values(template.findResources('AWS::IAM::Policy')),
      ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
    ]
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Sid === 'DescribeTheseAlarms');
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('cloudwatch:DescribeAlarms');
    expect(statements[0].Resource).toHaveLength(4);
    expect(stack.resolve(pair.alarms.map((a) => a.alarmArn))).toEqual(statements[0].Resource);
  });

  test("defaults: the pair's health check path, a 5-minute bake; everything off when asked", () => {
    const { template } = buildPair({ healthCheckPath: '/ping' });
    const [swap] = Object.values(template.findResources('Custom::BeanstalkCnameSwap')) as any[];
    expect(swap.Properties).toMatchObject({ HttpCheck: { Scheme: 'http', Path: '/ping' }, BakeSeconds: '300' });

    const off = buildPair({
      cutover: Cutover.cnameSwap({ requireHealthOk: false, httpCheck: false, rollbackOnAlarms: false }),
    });
    const [plain] = Object.values(off.template.findResources('Custom::BeanstalkCnameSwap')) as any[];
    expect(plain.Properties.RequireHealthOk).toBe('false');
    expect(plain.Properties.HttpCheck).toBeUndefined();
    expect(plain.Properties.LiveAlarmNames).toBeUndefined();
    expect(plain.Properties.BakeSeconds).toBeUndefined();

    const noAlarms = buildPair({ alarms: false });
    const [quiet] = Object.values(noAlarms.template.findResources('Custom::BeanstalkCnameSwap')) as any[];
    expect(quiet.Properties.LiveAlarmNames).toBeUndefined();
    noAlarms.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('validation of the cutover options', () => {
    const fails = (props: object, message: RegExp) => expect(() => buildPair(props)).toThrow(message);
    fails({ cutover: Cutover.cnameSwap({ bakeTime: Duration.minutes(9) }) }, /bakeTime/);
    fails({ cutover: Cutover.cnameSwap({ bakeTime: Duration.seconds(30) }) }, /bakeTime/);
    fails(
      { cutover: Cutover.cnameSwap({ bakeTime: Duration.minutes(2), rollbackOnAlarms: false }) },
      /bakeTime.*rollbackOnAlarms false turns off/,
    );
    fails(
      { alarms: false, cutover: Cutover.cnameSwap({ rollbackOnAlarms: true }) },
      /rollbackOnAlarms.*needs the environments' alarms/,
    );
    fails({ cutover: Cutover.cnameSwap({ healthCheckPath: 'health' }) }, /healthCheckPath.*must start with \//);
    fails(
      { cutover: Cutover.cnameSwap({ httpCheck: false, healthCheckPath: '/x' }) },
      /healthCheckPath.*httpCheck false/,
    );
    fails({ alarmSettings: { queueAge: { threshold: 600 } } }, /alarmSettings\.queueAge/);
    expect(() => buildPair({ cutover: Cutover.cnameSwap({ bakeTime: Duration.minutes(8) }) })).not.toThrow();
  });
});

describe('BeanstalkEnvironmentPair Route 53 cutover checks', () => {
  function route53Pair(options: Partial<Route53CutoverOptions> = {}, props: object = {}, app?: App) {
    const stack = new Stack(app ?? new App(), 'Stack', { env: ENV });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    });
    return buildPair(
      { live: Slot.GREEN, cutover: Cutover.route53({ zone, recordName: 'shop', ...options }), ...props },
      stack,
    );
  }
  const ofType = (template: Template, type: string) =>
    Object.entries(template.toJSON().Resources as Record<string, any>).filter(([, r]) => r.Type === type);

  test('a check before the record (which depends on it) and a bake after it (which depends on the record)', () => {
    const { template, pair, stack } = route53Pair({ healthCheckPath: '/health', bakeTime: Duration.minutes(6) });
    const checks = ofType(template, 'Custom::BeanstalkCutoverCheck');
    expect(checks).toHaveLength(2);
    const [checkId, check] = checks.find(([, r]) => r.Properties.Phase === 'before')!;
    const [, bake] = checks.find(([, r]) => r.Properties.Phase === 'after')!;
    const [recordId, record] = ofType(template, 'AWS::Route53::RecordSet')[0];
    const liveAlarms = stack.resolve(pair.green.alarms.map((a) => a.alarmName));
    expect(check.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^PairCutoverCheckFunction/), 'Arn'] },
      ApplicationName: stack.resolve(pair.application.applicationName),
      LiveEnvironmentName: stack.resolve(pair.green.environmentName),
      LiveAlarmNames: liveAlarms,
      Phase: 'before',
      RequireHealthOk: 'true',
      HttpCheck: { Scheme: 'http', Path: '/health' },
    });
    expect(bake.Properties).toEqual({
      ServiceToken: check.Properties.ServiceToken,
      ApplicationName: check.Properties.ApplicationName,
      LiveEnvironmentName: check.Properties.LiveEnvironmentName,
      LiveAlarmNames: liveAlarms,
      Phase: 'after',
      BakeSeconds: '360',
    });
    expect(record.DependsOn).toContain(checkId);
    expect(bake.DependsOn).toContain(recordId);
    expect(check.DependsOn).toEqual(
      expect.arrayContaining([
        stack.resolve(pair.blue.cfnEnvironment.logicalId),
        stack.resolve(pair.green.cfnEnvironment.logicalId),
      ]),
    );
    template.resourceCountIs('Custom::BeanstalkCnameSwap', 0);
  });

  test('the function may describe the environments, these alarms and this stack, and swap nothing', () => {
    const { template, pair, stack } = route53Pair();
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('CutoverCheckFunction'),
    ) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    const bySid = (sid: string) => statements.find((st: any) => st.Sid === sid);
    expect(bySid('DescribeEnvironments').Action).toEqual([
      'elasticbeanstalk:DescribeEnvironments',
      'elasticbeanstalk:DescribeEnvironmentHealth',
    ]);
    expect(bySid('DescribeTheseAlarms').Resource).toEqual(stack.resolve(pair.alarms.map((a) => a.alarmArn)));
    expect(bySid('DescribeThisStack')).toEqual({
      Sid: 'DescribeThisStack',
      Effect: 'Allow',
      Action: 'cloudformation:DescribeStacks',
      Resource: { Ref: 'AWS::StackId' },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('SwapEnvironmentCNAMEs');
  });

  test('steps turned off: no bake without rollbackOnAlarms; no check resource at all when every step is off', () => {
    const noBake = route53Pair({ rollbackOnAlarms: false });
    const checks = ofType(noBake.template, 'Custom::BeanstalkCutoverCheck');
    expect(checks.map(([, r]) => r.Properties.Phase)).toEqual(['before']);
    expect(checks[0][1].Properties.LiveAlarmNames).toBeUndefined();

    const off = route53Pair({ requireHealthOk: false, httpCheck: false, rollbackOnAlarms: false });
    expect(ofType(off.template, 'Custom::BeanstalkCutoverCheck')).toEqual([]);
    expect(
      ofType(off.template, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .filter((id) => id.includes('Cutover')),
    ).toEqual([]);

    const quiet = route53Pair({ requireHealthOk: false, httpCheck: false }, { alarms: false });
    expect(ofType(quiet.template, 'Custom::BeanstalkCutoverCheck')).toEqual([]);
  });

  test('validation names Cutover.route53', () => {
    expect(() => route53Pair({ bakeTime: Duration.minutes(9) })).toThrow(
      /cutover \(Cutover.route53 bakeTime\) must be a whole number of seconds from 60 to 480/,
    );
    expect(() => route53Pair({ rollbackOnAlarms: true }, { alarms: false })).toThrow(
      /cutover \(Cutover.route53 rollbackOnAlarms\) needs the environments' alarms to watch after the record moves/,
    );
    expect(() => route53Pair({ httpCheck: false, healthCheckPath: '/x' })).toThrow(
      /cutover \(Cutover.route53 healthCheckPath\) is the path of the HTTP check, which httpCheck false turns off/,
    );
  });

  test('zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    route53Pair({}, {}, app);
    expectNoFindings(app);
  });
});
