import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DetachableDatabase, DetachableDatabaseProps } from '../../src';
import { DATABASE_EVENT_CATEGORIES, defaultMaxConnections } from '../../src/database/monitoring';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 });
const INSTANCE = 'DbInstanceD710EDDF';
const DIMENSIONS = [{ Name: 'DBInstanceIdentifier', Value: { Ref: INSTANCE } }];
const TOPIC = { Ref: 'DbNotificationTopicC5F44E81' };

function build(
  props: Partial<DetachableDatabaseProps> = {},
  extra?: (stack: Stack) => Partial<DetachableDatabaseProps>,
) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
  });
  const db = new DetachableDatabase(stack, 'Db', { vpc, ...props, ...extra?.(stack) });
  let template: Template | undefined;
  return {
    stack,
    db,
    get template() {
      return (template ??= Template.fromStack(stack));
    },
  };
}

function alarmsOf(template: Template): Record<string, any> {
  const byName: Record<string, any> = {};
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    byName[alarm.Properties.AlarmName] = alarm.Properties;
  }
  return byName;
}

function problems(props: Partial<DetachableDatabaseProps>): string {
  try {
    build(props);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('DetachableDatabase alarms', () => {
  test('four alarms by default (MySQL on t3.micro, 20 GiB with storage autoscaling), all to the construct topic', () => {
    const { template, db } = build();
    const alarms = alarmsOf(template);
    expect(Object.keys(alarms).sort()).toEqual([
      'Stack-Db-CpuUtilization',
      'Stack-Db-DatabaseConnections',
      'Stack-Db-FreeStorageSpace',
      'Stack-Db-FreeableMemory',
    ]);
    expect(db.alarms).toHaveLength(4);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.AlarmActions).toEqual([TOPIC]);
      expect(alarm.OKActions).toEqual([TOPIC]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
      expect(alarm.DatapointsToAlarm).toBe(alarm.EvaluationPeriods);
    }
    expect(alarms['Stack-Db-CpuUtilization']).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'CPUUtilization',
      Dimensions: DIMENSIONS,
      Statistic: 'Average',
      Period: 300,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
    });
    expect(alarms['Stack-Db-CpuUtilization'].AlarmDescription).toMatch(
      /^The database CPU averaged at least 80% for 3 periods of 5 minutes/,
    );
    expect(alarms['Stack-Db-DatabaseConnections']).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnections',
      Dimensions: DIMENSIONS,
      Statistic: 'Maximum',
      Period: 60,
      // 80% of floor(0.75 × 1 GiB / 12582880) = 64
      Threshold: 51,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 5,
    });
    expect(alarms['Stack-Db-DatabaseConnections'].AlarmDescription).toContain(
      '(80% of 64, the default max_connections of t3.micro for mysql estimated from 75% of its memory)',
    );
    const math = (expression: string, metricName: string) => [
      { Id: 'expr_1', Expression: expression, Label: expect.any(String), ReturnData: true },
      {
        Id: 'freeBytes',
        MetricStat: {
          Metric: { Namespace: 'AWS/RDS', MetricName: metricName, Dimensions: DIMENSIONS },
          Period: 300,
          Stat: 'Minimum',
        },
        ReturnData: false,
      },
    ];
    expect(alarms['Stack-Db-FreeStorageSpace']).toMatchObject({
      Metrics: math('freeBytes / 1073741824', 'FreeStorageSpace'),
      // 5% of 20 GiB: autoscaling keeps 10% free until it reaches the maximum
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
    });
    expect(alarms['Stack-Db-FreeStorageSpace'].AlarmDescription).toContain('although storage autoscaling is on');
    expect(alarms['Stack-Db-FreeableMemory']).toMatchObject({
      Metrics: math('freeBytes / 1048576', 'FreeableMemory'),
      // 10% of 1 GiB in MiB
      Threshold: 102,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
    });
  });

  test('free storage without autoscaling is 10% of allocatedStorage; of 20 GiB for a restore of unknown size', () => {
    const fixed = alarmsOf(build({ allocatedStorage: 100, maxAllocatedStorage: 100 }).template)[
      'Stack-Db-FreeStorageSpace'
    ];
    expect(fixed.Threshold).toBe(10);
    expect(fixed.AlarmDescription).not.toContain('autoscaling');
    const restored = alarmsOf(build({ snapshotIdentifier: 'snap', masterUsername: 'ebroot' }).template)[
      'Stack-Db-FreeStorageSpace'
    ];
    expect(restored.Threshold).toBe(2);
    const grown = alarmsOf(build({ allocatedStorage: 100 }).template)['Stack-Db-FreeStorageSpace'];
    expect(grown.Threshold).toBe(5);
  });

  test('connections and memory follow the engine and the class: PostgreSQL on m7g.large', () => {
    const alarms = alarmsOf(
      build({ engine: POSTGRES, instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE) })
        .template,
    );
    // LEAST(0.75 × 8 GiB / 9531392, 5000) = 675
    expect(alarms['Stack-Db-DatabaseConnections'].Threshold).toBe(540);
    expect(alarms['Stack-Db-FreeableMemory'].Threshold).toBe(819);
    expect(defaultMaxConnections('postgres', ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO))).toBe(
      84,
    );
    expect(defaultMaxConnections('mysql', ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE))).toBe(
      2048,
    );
    expect(
      defaultMaxConnections('mysql', ec2.InstanceType.of(ec2.InstanceClass.X2G, ec2.InstanceSize.LARGE)),
    ).toBeUndefined();
  });

  test('an instance class not in the table: no connections alarm and a warning, unless a threshold is given', () => {
    const unknown = ec2.InstanceType.of(ec2.InstanceClass.X2G, ec2.InstanceSize.LARGE);
    const { template, stack } = build({ instanceType: unknown });
    expect(Object.keys(alarmsOf(template))).not.toContain('Stack-Db-DatabaseConnections');
    expect(alarmsOf(template)['Stack-Db-FreeableMemory'].Threshold).toBe(256);
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Db',
      Match.stringLikeRegexp('No DatabaseConnections alarm: the default max_connections of x2g.large'),
    );

    const given = build({ instanceType: unknown, alarmSettings: { databaseConnections: { threshold: 400 } } });
    const alarm = alarmsOf(given.template)['Stack-Db-DatabaseConnections'];
    expect(alarm.Threshold).toBe(400);
    expect(alarm.AlarmDescription).not.toContain('default max_connections');
    expect(Annotations.fromStack(given.stack).findWarning('*', Match.stringLikeRegexp('DatabaseConnections'))).toEqual(
      [],
    );

    const off = build({ instanceType: unknown, alarmSettings: { databaseConnections: { enabled: false } } });
    expect(Annotations.fromStack(off.stack).findWarning('*', Match.stringLikeRegexp('DatabaseConnections'))).toEqual(
      [],
    );
  });

  test('max_connections set in the parameter group: synthesis fails until the threshold is set', () => {
    const { stack, db } = build();
    db.parameterGroup.addParameter('max_connections', '500');
    expect(() => Template.fromStack(stack)).toThrow(
      /parameterGroup sets max_connections \("500"\), so the DatabaseConnections alarm's default threshold .* set alarmSettings\.databaseConnections\.threshold/,
    );
    const given = build({ alarmSettings: { databaseConnections: { threshold: 400 } } });
    given.db.parameterGroup.addParameter('max_connections', '500');
    expect(alarmsOf(given.template)['Stack-Db-DatabaseConnections'].Threshold).toBe(400);
  });

  test('settings replace thresholds and periods; enabled: false removes exactly that alarm', () => {
    const { template } = build({
      alarmSettings: { cpuUtilization: { threshold: 90, evaluationPeriods: 6 }, freeStorageSpace: { threshold: 7.5 } },
    });
    const alarms = alarmsOf(template);
    expect(alarms['Stack-Db-CpuUtilization']).toMatchObject({
      Threshold: 90,
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
    });
    expect(alarms['Stack-Db-CpuUtilization'].AlarmDescription).toContain('at least 90% for 6 periods');
    expect(alarms['Stack-Db-FreeStorageSpace'].Threshold).toBe(7.5);

    for (const setting of ['cpuUtilization', 'freeStorageSpace', 'freeableMemory', 'databaseConnections'] as const) {
      const names = Object.keys(alarmsOf(build({ alarmSettings: { [setting]: { enabled: false } } }).template));
      expect(names).toHaveLength(3);
      expect(names.map((n) => n.replace('Stack-Db-', ''))).not.toContain(
        setting.charAt(0).toUpperCase() + setting.slice(1),
      );
    }
  });

  test('alarms: false creates no alarm but keeps the event subscription and its topic', () => {
    const { template, db } = build({ alarms: false });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(db.alarms).toEqual([]);
    template.resourceCountIs('AWS::RDS::EventSubscription', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('alarms and event notifications off: no topic, key, alarm or subscription', () => {
    const { template, db } = build({ alarms: false, eventNotifications: false });
    for (const type of [
      'AWS::CloudWatch::Alarm',
      'AWS::RDS::EventSubscription',
      'AWS::SNS::Topic',
      'AWS::SNS::TopicPolicy',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(db.notificationTopic).toBeUndefined();
    expect(db.eventSubscription).toBeUndefined();
  });

  test('the metric methods name the metrics of the alarms', () => {
    const { db, stack } = build();
    const cpu = db.metricCpuUtilization();
    expect([cpu.namespace, cpu.metricName, cpu.statistic, cpu.period.toSeconds()]).toEqual([
      'AWS/RDS',
      'CPUUtilization',
      'Average',
      300,
    ]);
    expect(stack.resolve(cpu.dimensions)).toEqual({ DBInstanceIdentifier: { Ref: INSTANCE } });
    expect([db.metricFreeStorageSpace().metricName, db.metricFreeStorageSpace().statistic]).toEqual([
      'FreeStorageSpace',
      'Minimum',
    ]);
    expect([db.metricFreeableMemory().metricName, db.metricFreeableMemory().statistic]).toEqual([
      'FreeableMemory',
      'Minimum',
    ]);
    const connections = db.metricDatabaseConnections({ period: Duration.minutes(5) });
    expect([connections.metricName, connections.statistic, connections.period.toSeconds()]).toEqual([
      'DatabaseConnections',
      'Maximum',
      300,
    ]);
    expect([db.metricReadLatency().metricName, db.metricWriteLatency().metricName]).toEqual([
      'ReadLatency',
      'WriteLatency',
    ]);
  });
});

describe('DetachableDatabase alarm settings validation', () => {
  test.each<[string, Partial<DetachableDatabaseProps>, string]>([
    [
      'CPU above 100%',
      { alarmSettings: { cpuUtilization: { threshold: 101 } } },
      'alarmSettings.cpuUtilization.threshold must be from 1 to 100, received 101',
    ],
    [
      'free storage below 0.1 GiB',
      { alarmSettings: { freeStorageSpace: { threshold: 0 } } },
      'alarmSettings.freeStorageSpace.threshold must be from 0.1 to 65536, received 0',
    ],
    [
      'free memory below 1 MiB',
      { alarmSettings: { freeableMemory: { threshold: 0.5 } } },
      'alarmSettings.freeableMemory.threshold must be from 1 to 4194304, received 0.5',
    ],
    [
      'a fractional connection count',
      { alarmSettings: { databaseConnections: { threshold: 2.5 } } },
      'alarmSettings.databaseConnections.threshold must be a whole number from 1 to 100000, received 2.5',
    ],
    [
      'zero periods',
      { alarmSettings: { cpuUtilization: { evaluationPeriods: 0 } } },
      'alarmSettings.cpuUtilization.evaluationPeriods must be a whole number from 1 to 100, received 0',
    ],
    [
      'settings with alarms off',
      { alarms: false, alarmSettings: { cpuUtilization: {} } },
      "alarmSettings is only used when alarms is true; remove it or turn alarms on, received ['cpuUtilization']",
    ],
    [
      'an unknown alarm',
      { alarmSettings: { replicaLag: { threshold: 3 } } as any },
      'alarmSettings.replicaLag is not an alarm of this construct',
    ],
  ])('refuses %s', (_, props, message) => {
    expect(problems(props)).toContain(message);
  });

  test('refuses a FIFO topic for RDS events, accepts it with eventNotifications: false', () => {
    const fifo = (stack: Stack) => ({
      notificationTopic: new sns.Topic(stack, 'Fifo', { fifo: true, topicName: 'alerts' }),
    });
    expect(() => build({}, fifo)).toThrow(
      /notificationTopic must be a standard topic with eventNotifications on: RDS does not publish events to FIFO topics/,
    );
    expect(() => build({ eventNotifications: false }, fifo)).not.toThrow();
  });
});

describe('DetachableDatabase event subscription', () => {
  const instanceArn = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:${ENV.region}:${ENV.account}:db:`, { Ref: INSTANCE }]],
  };

  test('subscribes the construct topic to the failover, failure, low storage and availability events of this instance', () => {
    const { template, db } = build();
    expect(DATABASE_EVENT_CATEGORIES).toEqual(
      expect.arrayContaining([
        'availability',
        'failover',
        'failure',
        'low storage',
        'recovery',
        'maintenance',
        'notification',
      ]),
    );
    const subscriptions = template.findResources('AWS::RDS::EventSubscription');
    expect(Object.values(subscriptions)).toHaveLength(1);
    const [subscription] = Object.values(subscriptions) as any[];
    expect(subscription.Properties).toEqual({
      SnsTopicArn: TOPIC,
      SourceType: 'db-instance',
      SourceIds: [{ Ref: INSTANCE }],
      EventCategories: DATABASE_EVENT_CATEGORIES,
      Enabled: true,
    });
    // After the topic and its policy (the topic itself waits for its key), so RDS may publish from the first event on.
    expect(subscription.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^DbNotificationTopicPolicy/), TOPIC.Ref]),
    );
    expect(db.eventSubscription).toBeDefined();
  });

  test('the topic policy lets RDS publish for this instance only; the key policy lets it encrypt for this account', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowPublishByRdsEvents',
            Effect: 'Allow',
            Principal: { Service: 'events.rds.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: TOPIC,
            Condition: {
              StringEquals: { 'aws:SourceAccount': ENV.account },
              ArnLike: { 'aws:SourceArn': instanceArn },
            },
          },
        ]),
      },
    });
    const keys = template.findResources('AWS::KMS::Key');
    const topicKey = Object.entries(keys).find(([id]) => id.startsWith('DbNotificationTopicKey'))![1] as any;
    expect(topicKey.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        {
          Sid: 'AllowRdsEventsToEncrypt',
          Effect: 'Allow',
          Principal: { Service: 'events.rds.amazonaws.com' },
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': ENV.account } },
        },
      ]),
    );
    // The database's own key is not opened to RDS events.
    expect(JSON.stringify(keys.DbKey15491AC0)).not.toContain('events.rds.amazonaws.com');
  });

  test('a topic of the user: its key (defined here) gets the RDS statement, its topic policy is left alone', () => {
    const { template, db } = build({}, (stack) => {
      const key = new kms.Key(stack, 'AlertsKey', { enableKeyRotation: true });
      return { notificationTopic: new sns.Topic(stack, 'Alerts', { masterKey: key }) };
    });
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    const alertsKey = Object.entries(template.findResources('AWS::KMS::Key')).find(([id]) =>
      id.startsWith('AlertsKey'),
    )![1] as any;
    expect(alertsKey.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'AllowRdsEventsToEncrypt', Principal: { Service: 'events.rds.amazonaws.com' } }),
      ]),
    );
    template.hasResourceProperties('AWS::RDS::EventSubscription', {
      SnsTopicArn: { Ref: Match.stringLikeRegexp('^Alerts') },
    });
    for (const alarm of Object.values(alarmsOf(template))) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alerts/) }]);
    }
    expect(db.notificationTopic).toBeDefined();
  });

  test('an imported topic is used as given', () => {
    const arn = `arn:aws:sns:${ENV.region}:${ENV.account}:ops-alerts`;
    const { template } = build({}, (stack) => ({ notificationTopic: sns.Topic.fromTopicArn(stack, 'Ops', arn) }));
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    template.hasResourceProperties('AWS::RDS::EventSubscription', { SnsTopicArn: arn });
  });

  test('eventNotifications: false creates no subscription and no RDS statement', () => {
    const { template } = build({ eventNotifications: false });
    template.resourceCountIs('AWS::RDS::EventSubscription', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('events.rds.amazonaws.com');
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  test('monitoring leaves the instance and its logical id as they are', () => {
    const instanceOf = (t: Template) => t.findResources('AWS::RDS::DBInstance');
    const without = instanceOf(build({ alarms: false, eventNotifications: false }).template);
    expect(Object.keys(without)).toEqual([INSTANCE]);
    expect(instanceOf(build().template)).toEqual(without);
  });
});

describe('DetachableDatabase dashboard', () => {
  function body(stack: Stack, dashboard: cloudwatch.Dashboard): any {
    const template = Template.fromStack(stack).toJSON();
    const id = stack.getLogicalId(dashboard.node.defaultChild as cloudwatch.CfnDashboard);
    const raw = template.Resources[id].Properties.DashboardBody;
    const joined =
      typeof raw === 'string'
        ? raw
        : (raw['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
    return JSON.parse(joined);
  }

  test('a title, the alarms, then CPU, connections and memory, then storage and latency', () => {
    const { stack, db } = build();
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    db.addToDashboard(dashboard);
    const { widgets } = body(stack, dashboard);
    expect(
      widgets.map((w: any) => [w.type, w.properties.title ?? w.properties.markdown, w.width, w.height, w.x, w.y]),
    ).toEqual([
      ['text', '## Database Stack/Db', 24, 1, 0, 0],
      ['alarm', 'Alarms', 24, 3, 0, 1],
      ['metric', 'CPU (%)', 8, 6, 0, 4],
      ['metric', 'Connections', 8, 6, 8, 4],
      ['metric', 'Freeable memory (MiB)', 8, 6, 16, 4],
      ['metric', 'Free storage (GiB)', 12, 6, 0, 10],
      ['metric', 'I/O latency (s)', 12, 6, 12, 10],
    ]);
    expect(widgets[1].properties.alarms).toHaveLength(4);
    const metricsOf = (w: any) => JSON.stringify(w.properties.metrics);
    expect(metricsOf(widgets[2])).toContain('"AWS/RDS","CPUUtilization","DBInstanceIdentifier","TOKEN"');
    expect(metricsOf(widgets[3])).toContain('"DatabaseConnections"');
    expect(metricsOf(widgets[4])).toContain('"expression":"freeBytes / 1048576"');
    expect(metricsOf(widgets[5])).toContain('"expression":"freeBytes / 1073741824"');
    expect(metricsOf(widgets[6])).toContain('"ReadLatency"');
    expect(metricsOf(widgets[6])).toContain('"WriteLatency"');
    // Each graph of an alarm shows its threshold.
    expect(widgets[2].properties.annotations.horizontal).toEqual([expect.objectContaining({ value: 80 })]);
    expect(widgets[3].properties.annotations.horizontal).toEqual([expect.objectContaining({ value: 51 })]);
    expect(widgets[5].properties.annotations.horizontal).toEqual([expect.objectContaining({ value: 1 })]);
    expect(widgets[6].properties.annotations).toBeUndefined();
  });

  test('without alarms: no alarm widget and no thresholds', () => {
    const { stack, db } = build({ alarms: false });
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    db.addToDashboard(dashboard);
    const { widgets } = body(stack, dashboard);
    expect(widgets.map((w: any) => w.type)).toEqual(['text', 'metric', 'metric', 'metric', 'metric', 'metric']);
    expect(widgets.every((w: any) => w.properties.annotations === undefined)).toBe(true);
  });
});
