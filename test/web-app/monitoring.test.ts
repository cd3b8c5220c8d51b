import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { HighlyAvailableWebApp, HighlyAvailableWebAppProps } from '../../src';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const TOPIC = { Ref: 'WebScalingNotificationsD802B2D9' };

function build(props: HighlyAvailableWebAppProps = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const webApp = new HighlyAvailableWebApp(stack, 'Web', props);
  return { stack, webApp, template: Template.fromStack(stack) };
}

function alarmsOf(template: Template): Record<string, any> {
  const byName: Record<string, any> = {};
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    byName[alarm.Properties.AlarmName] = alarm.Properties;
  }
  return byName;
}

function problems(props: HighlyAvailableWebAppProps): string {
  try {
    build(props);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** The metric of a math-expression alarm by its id. */
function stat(alarm: any, id: string): any {
  return alarm.Metrics.find((m: any) => m.Id === id).MetricStat;
}

describe('HighlyAvailableWebApp alarms', () => {
  test('six alarms by default (2 zones, group of 2 to 4), each to the topic on ALARM and OK', () => {
    const { template, webApp } = build();
    const alarms = alarmsOf(template);
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'Stack-Web-AtMaxCapacity',
        'Stack-Web-NoHealthyHostsZone1',
        'Stack-Web-NoHealthyHostsZone2',
        'Stack-Web-TargetResponseTime',
        'Stack-Web-TargetServerErrorRate',
        'Stack-Web-UnhealthyHosts',
      ].sort(),
    );
    expect(webApp.alarms).toHaveLength(6);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.AlarmActions).toEqual([TOPIC]);
      expect(alarm.OKActions).toEqual([TOPIC]);
    }
  });

  test('target 5xx rate: 5xx over requests of the target group, both filled with 0, at least 5% for 5 minutes', () => {
    const alarm = alarmsOf(build().template)['Stack-Web-TargetServerErrorRate'];
    expect(alarm).toMatchObject({
      Threshold: 5,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const expression = alarm.Metrics.find((m: any) => m.Expression);
    expect(expression.Expression).toBe('IF(FILL(requests, 0) > 0, 100 * FILL(errors, 0) / FILL(requests, 0), 0)');
    expect(stat(alarm, 'errors')).toMatchObject({
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count' },
      Period: 60,
      Stat: 'Sum',
    });
    expect(stat(alarm, 'requests')).toMatchObject({
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' },
      Period: 60,
      Stat: 'Sum',
    });
    const dimensions = stat(alarm, 'errors')
      .Metric.Dimensions.map((d: any) => d.Name)
      .sort();
    expect(dimensions).toEqual(['LoadBalancer', 'TargetGroup']);
  });

  test('unhealthy hosts and p99 response time of the target group', () => {
    const alarms = alarmsOf(build().template);
    expect(alarms['Stack-Web-UnhealthyHosts']).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'UnHealthyHostCount',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms['Stack-Web-TargetResponseTime']).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'TargetResponseTime',
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 2,
      EvaluationPeriods: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('one alarm per zone of the instances: healthy hosts in that zone below 1 for 3 minutes, no data breaching', () => {
    const { template, webApp, stack } = build();
    const zones = webApp.vpc.privateSubnets.map((s) => stack.resolve(s.availabilityZone));
    const alarms = alarmsOf(template);
    zones.forEach((zone, i) => {
      const alarm = alarms[`Stack-Web-NoHealthyHostsZone${i + 1}`];
      expect(alarm).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HealthyHostCount',
        Statistic: 'Minimum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 3,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      expect(alarm.Dimensions).toEqual(expect.arrayContaining([{ Name: 'AvailabilityZone', Value: zone }]));
      expect(alarm.Dimensions.map((d: any) => d.Name).sort()).toEqual([
        'AvailabilityZone',
        'LoadBalancer',
        'TargetGroup',
      ]);
    });
  });

  test('no zone alarms when minCapacity leaves a zone empty (1 instance over 2 zones)', () => {
    const names = Object.keys(alarmsOf(build({ minCapacity: 1 }).template));
    expect(names.filter((n) => n.includes('NoHealthyHosts'))).toEqual([]);
  });

  test('at max capacity: GroupMaxSize less GroupDesiredCapacity at or below 0 for 15 minutes; none for a fixed-size group', () => {
    const { template, stack, webApp } = build();
    const groupId = stack.getLogicalId(webApp.autoScalingGroup.node.defaultChild as CfnElement);
    const alarm = alarmsOf(template)['Stack-Web-AtMaxCapacity'];
    expect(alarm).toMatchObject({
      Threshold: 0,
      EvaluationPeriods: 15,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
    });
    expect(alarm.Metrics.find((m: any) => m.Expression).Expression).toBe('maxSize - desired');
    expect(stat(alarm, 'maxSize').Metric).toMatchObject({ Namespace: 'AWS/AutoScaling', MetricName: 'GroupMaxSize' });
    expect(stat(alarm, 'desired').Metric).toMatchObject({
      Namespace: 'AWS/AutoScaling',
      MetricName: 'GroupDesiredCapacity',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: groupId } }],
    });
    const fixed = alarmsOf(build({ minCapacity: 2, maxCapacity: 2 }).template);
    expect(fixed['Stack-Web-AtMaxCapacity']).toBeUndefined();
  });

  test('alarmSettings change a threshold and periods, or turn one alarm off; alarms: false creates none', () => {
    const alarms = alarmsOf(
      build({
        alarmSettings: {
          targetServerErrorRate: { threshold: 1.5, evaluationPeriods: 3 },
          atMaxCapacity: { enabled: false },
        },
      }).template,
    );
    expect(alarms['Stack-Web-TargetServerErrorRate']).toMatchObject({ Threshold: 1.5, EvaluationPeriods: 3 });
    expect(alarms['Stack-Web-TargetServerErrorRate'].AlarmDescription).toMatch(/^At least 1.5% .* each of 3 minutes/);
    expect(alarms['Stack-Web-AtMaxCapacity']).toBeUndefined();
    const none = build({ alarms: false });
    // The target-tracking policy's alarms are EC2 Auto Scaling's, not in the template.
    none.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(none.webApp.alarms).toEqual([]);
  });

  test('the construct topic admits CloudWatch alarms of this account', () => {
    build().template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowPublishByCloudWatchAlarms',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
          }),
        ]),
      },
    });
  });
});

describe('HighlyAvailableWebApp alarm validation', () => {
  test.each([
    [
      { alarmSettings: { targetServerErrorRate: { threshold: 0 } } },
      /alarmSettings.targetServerErrorRate.threshold must be .*0.1 .*100.*0/,
    ],
    [
      { alarmSettings: { unhealthyHosts: { threshold: 1.5 } } },
      /alarmSettings.unhealthyHosts.threshold must be .*1 .*10000.*1.5/,
    ],
    [
      { alarmSettings: { targetResponseTime: { threshold: 0 } } },
      /alarmSettings.targetResponseTime.threshold must be .*0.01 .*3600/,
    ],
    [
      { alarmSettings: { healthyHostsInZone: { threshold: 0 } } },
      /alarmSettings.healthyHostsInZone.threshold must be .*1 .*10000/,
    ],
    [
      { alarmSettings: { atMaxCapacity: { threshold: -1 } } },
      /alarmSettings.atMaxCapacity.threshold must be .*0 .*10000.*-1/,
    ],
    [
      { alarmSettings: { unhealthyHosts: { evaluationPeriods: 0 } } },
      /alarmSettings.unhealthyHosts.evaluationPeriods must be .*1 .*100/,
    ],
    [{ alarms: false, alarmSettings: { unhealthyHosts: {} } }, /alarmSettings is only used when alarms is true/],
    [{ alarmSettings: { nonsense: {} } as any }, /alarmSettings.nonsense is not an alarm of this construct/],
  ])('%j fails', (props, message) => {
    expect(problems(props as HighlyAvailableWebAppProps)).toMatch(message);
  });
});

describe('HighlyAvailableWebApp dashboard and metrics', () => {
  test('addToDashboard: title, alarm status, requests/5xx and p99, hosts per zone and group size', () => {
    const { stack, webApp } = build();
    const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard');
    webApp.addToDashboard(dashboard);
    const body = JSON.parse(
      JSON.stringify(stack.resolve((dashboard.node.defaultChild as cloudwatch.CfnDashboard).dashboardBody)),
    );
    const text = JSON.stringify(body);
    for (const title of [
      '## Stack/Web',
      'Alarms',
      'Requests and target 5xx (%)',
      'Target response time p99 (s)',
      'Healthy hosts per zone',
      'Auto Scaling group size',
    ]) {
      expect(text).toContain(title);
    }
    for (const metric of ['GroupInServiceInstances', 'GroupDesiredCapacity', 'GroupMaxSize', 'HealthyHostCount']) {
      expect(text).toContain(metric);
    }
  });

  test('metric methods read the metrics the alarms use', () => {
    const { stack, webApp } = build();
    expect(stack.resolve(webApp.metricTargetResponseTime().toMetricConfig().metricStat)).toMatchObject({
      metricName: 'TargetResponseTime',
      statistic: 'p99',
      period: Duration.minutes(1),
    });
    expect(webApp.metricUnhealthyHostCount().metricName).toBe('UnHealthyHostCount');
    expect(webApp.metricRequestCount().metricName).toBe('RequestCount');
    expect(webApp.metricHealthyHostCountInZone('eu-west-1a').dimensions).toMatchObject({
      AvailabilityZone: 'eu-west-1a',
    });
    expect(webApp.metricTargetServerErrorRate().toMetricConfig().mathExpression?.expression).toContain(
      'FILL(errors, 0)',
    );
    expect(webApp.metricCapacityHeadroom().toMetricConfig().mathExpression?.expression).toBe('maxSize - desired');
  });
});

describe('HighlyAvailableWebApp rollout', () => {
  test('by default the signals wait for readiness plus a 5 minute bake (PT20M) and the role may read the watched alarms', () => {
    const { template } = build();
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      CreationPolicy: { ResourceSignal: { Count: 2, Timeout: 'PT20M' } },
      UpdatePolicy: { AutoScalingRollingUpdate: Match.objectLike({ PauseTime: 'PT20M', WaitOnResourceSignals: true }) },
    });
    const arn = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:111111111111:alarm:' + name]],
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ReadRolloutAlarms',
            Effect: 'Allow',
            Action: 'cloudwatch:DescribeAlarms',
            Resource: [
              arn('Stack-Web-TargetServerErrorRate'),
              arn('Stack-Web-UnhealthyHosts'),
              arn('Stack-Web-TargetResponseTime'),
            ],
          },
        ]),
      },
    });
  });

  test('bakeTime sets the bake; rollbackOnAlarms false or alarms false leave only the readiness wait', () => {
    const pause = (props: HighlyAvailableWebAppProps) =>
      Object.values(build(props).template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0].UpdatePolicy
        .AutoScalingRollingUpdate.PauseTime;
    expect(pause({ rollout: { bakeTime: Duration.minutes(10) } })).toBe('PT25M');
    expect(pause({ rollout: { rollbackOnAlarms: false } })).toBe('PT15M');
    expect(pause({ alarms: false })).toBe('PT15M');
    const { template } = build({ rollout: { rollbackOnAlarms: false } });
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).not.toContain(
      'cloudwatch:DescribeAlarms',
    );
  });

  test('only the alarms that are on are watched', () => {
    const script = userDataScript(build({ alarmSettings: { targetResponseTime: { enabled: false } } }));
    expect(script).toContain("--alarm-names 'Stack-Web-TargetServerErrorRate' 'Stack-Web-UnhealthyHosts' --query");
  });

  test.each([
    [
      { rollout: { bakeTime: Duration.seconds(30) } },
      /rollout.bakeTime must be a whole number of seconds from 60 to 3540.*30 seconds/,
    ],
    [
      { instanceReadyTimeout: Duration.minutes(58) },
      /rollout.bakeTime plus instanceReadyTimeout must be at most 1 hour .*5 minutes \+ 58 minutes/,
    ],
    [
      { rollout: { bakeTime: Duration.minutes(2), rollbackOnAlarms: false } },
      /rollout.bakeTime is how long new instances watch the alarms/,
    ],
    [
      { alarms: false, rollout: { rollbackOnAlarms: true } },
      /rollout.rollbackOnAlarms needs the alarms to watch during the bake/,
    ],
  ])('%j fails', (props, message) => {
    expect(problems(props as HighlyAvailableWebAppProps)).toMatch(message);
  });

  test('58 minutes to be ready is accepted without the bake', () => {
    expect(problems({ instanceReadyTimeout: Duration.minutes(58), rollout: { rollbackOnAlarms: false } })).toBe('');
  });
});

/** The instances' user data as bash, with each CloudFormation reference replaced by a placeholder. */
function userDataScript(built: { stack: Stack; template: Template }): string {
  const template = built.template.toJSON();
  const lt = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate');
  const parts: any[] = lt.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : 'PLACEHOLDER')).join('');
}

/**
 * Runs the user data with stand-ins for curl, aws, sleep and date on PATH: the target health the
 * load balancer reports, the alarms' states at each read of the bake (one line per read), and a
 * clock that moves 20 s per `date` call. Returns the signal sent.
 */
function runUserData(
  script: string,
  world: { targetHealth: string; alarmReads: string[] },
): { status: string; alarmReads: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-app-rollout-'));
  fs.writeFileSync(path.join(dir, 'script.sh'), script);
  fs.writeFileSync(path.join(dir, 'reads'), world.alarmReads.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'clock'), '1000000');
  const stub = (name: string, body: string) => {
    fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`);
    fs.chmodSync(path.join(dir, name), 0o755);
  };
  stub('curl', 'echo stub');
  stub('sleep', 'exit 0');
  stub('date', `t=$(cat ${dir}/clock); echo $((t + 20)) > ${dir}/clock; echo "$t"`);
  stub(
    'aws',
    [
      'case "$1 $2" in',
      `  "elbv2 describe-target-health") echo ${world.targetHealth} ;;`,
      // Each read takes the next line of the script's world ('-' for no alarm yet); the last repeats.
      `  "cloudwatch describe-alarms") n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/n;`,
      `    line=$(sed -n "$((n + 1))p" ${dir}/reads); [ -z "$line" ] && line=$(grep . ${dir}/reads | tail -1);`,
      '    [ "$line" = - ] || printf "%s\\n" $line | tr "=" "\\t" ;;',
      `  "cloudformation signal-resource") echo "$@" > ${dir}/signal ;;`,
      'esac',
    ].join('\n'),
  );
  execFileSync('bash', [path.join(dir, 'script.sh')], {
    env: { PATH: `${dir}:/usr/bin:/bin` },
    encoding: 'utf-8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const signal = fs.readFileSync(path.join(dir, 'signal'), 'utf-8');
  const reads = Number(fs.existsSync(path.join(dir, 'n')) ? fs.readFileSync(path.join(dir, 'n'), 'utf-8') : 0);
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: /--status (\S+)/.exec(signal)![1], alarmReads: reads };
}

describe('HighlyAvailableWebApp rollout script (run with stand-ins for the AWS CLI)', () => {
  const script = userDataScript(build());
  const OK = 'Stack-Web-TargetServerErrorRate=OK Stack-Web-UnhealthyHosts=OK Stack-Web-TargetResponseTime=OK';
  const FIRING = 'Stack-Web-TargetServerErrorRate=ALARM Stack-Web-UnhealthyHosts=OK Stack-Web-TargetResponseTime=OK';

  test('healthy and every alarm OK through the bake: SUCCESS after reading the alarms for the whole bake', () => {
    const run = runUserData(script, { targetHealth: 'healthy', alarmReads: [OK] });
    expect(run.status).toBe('SUCCESS');
    // 5 minutes at 20 s a read (the stand-in clock moves 20 s per date call, two calls per loop).
    expect(run.alarmReads).toBeGreaterThan(5);
  });

  test('an alarm goes to ALARM during the bake: FAILURE', () => {
    expect(runUserData(script, { targetHealth: 'healthy', alarmReads: [OK, OK, FIRING] }).status).toBe('FAILURE');
  });

  test('an alarm already in ALARM when the bake starts is ignored: SUCCESS', () => {
    expect(runUserData(script, { targetHealth: 'healthy', alarmReads: [FIRING] }).status).toBe('SUCCESS');
  });

  test('the alarms do not exist yet (the stack is being created): no bake, SUCCESS after one read', () => {
    const run = runUserData(script, { targetHealth: 'healthy', alarmReads: ['-'] });
    expect(run).toEqual({ status: 'SUCCESS', alarmReads: 1 });
  });

  test('never healthy: FAILURE without reading the alarms', () => {
    expect(runUserData(script, { targetHealth: 'unhealthy', alarmReads: [OK] })).toEqual({
      status: 'FAILURE',
      alarmReads: 0,
    });
  });

  const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
  test('the user data passes shellcheck', () => {
    if (!shellcheck) throw new Error('shellcheck is not installed (CI installs it: apt-get install shellcheck)');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'web-app-ud-')), 'user-data.sh');
    fs.writeFileSync(file, script);
    expect(() => execFileSync('shellcheck', ['--shell=bash', file], { encoding: 'utf-8' })).not.toThrow();
  });
});
