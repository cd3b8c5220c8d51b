import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  ElasticIpFailoverInstance,
  ElasticIpFailoverInstanceProps,
  FailoverStrategy,
  HealthProbe,
  StandbyInstanceOptions,
} from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(options: StandbyInstanceOptions, stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const server = new ElasticIpFailoverInstance(stack, 'Server', {
    vpc: publicOnlyVpc(stack),
    strategy: FailoverStrategy.standbyInstance(options),
  });
  server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
  return { stack, server, template: Template.fromStack(stack) };
}

function problems(props: Partial<ElasticIpFailoverInstanceProps>): string {
  try {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ...props });
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

function probeFunction(template: Template): any {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (f: any) => f.Properties.Environment?.Variables?.PROTOCOL !== undefined,
  );
  expect(fns).toHaveLength(1);
  return fns[0].Properties;
}

describe('ElasticIpFailoverInstance health probe', () => {
  test('HealthProbe.https({ path }): a function with the target in its environment, run every minute', () => {
    const { template, stack, server } = build({ healthProbe: HealthProbe.https({ path: '/health' }) });
    const fn = probeFunction(template);
    const eip = stack.getLogicalId(server.elasticIp);
    expect(fn.Environment.Variables).toEqual({
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
      ALLOCATION_ID: { 'Fn::GetAtt': [eip, 'AllocationId'] },
      PUBLIC_IP: { 'Fn::GetAtt': [eip, 'PublicIp'] },
      PROTOCOL: 'https',
      PORT: '443',
      PATH: '/health',
      TIMEOUT_MS: '5000',
      ATTEMPTS: '3',
      ATTEMPT_INTERVAL_MS: '5000',
      STARTUP_GRACE_SECONDS: '300',
    });
    // 3 attempts of 5 s, 2 pauses of 5 s, 10 s margin (reading the holder after a failed run):
    // a run ends before the next starts.
    expect(fn.Timeout).toBe(35);
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    expect(fn.VpcConfig).toBeUndefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ServerHealthProbeFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  test('the alarm: HealthProbeFailed of this Elastic IP, minimum per minute, failedRuns of failedRuns, invoking the failover function', () => {
    const { template, server } = build({ healthProbe: HealthProbe.tcp(5432, { failedRuns: 2 }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CdkHaPatterns/ElasticIpFailover',
      MetricName: 'HealthProbeFailed',
      Dimensions: [
        { Name: 'AllocationId', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ServerElasticIp'), 'AllocationId'] } },
      ],
      Statistic: 'Minimum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ServerFailoverFunction'), 'Arn'] }],
    });
    expect(server.alarms.map((a) => a.node.id)).toContain('HealthProbeAlarm');
    expect(probeFunction(template).Environment.Variables).toMatchObject({ PROTOCOL: 'tcp', PORT: '5432' });
  });

  test('the probe may read only which instance holds the Elastic IP and when it started', () => {
    const { template } = build({ healthProbe: HealthProbe.http() });
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('HealthProbe'),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as any).Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Sid: 'ReadTheHolderOfTheElasticIp',
      Effect: 'Allow',
      Action: ['ec2:DescribeAddresses', 'ec2:DescribeInstances'],
      Resource: '*',
    });
    const actions = statements.flatMap((st: any) => [st.Action].flat());
    // Beyond its logs, its dead-letter queue and their key: only the two reads.
    expect(actions.filter((a: string) => !/^(logs|sqs|kms):/.test(a))).toEqual([
      'ec2:DescribeAddresses',
      'ec2:DescribeInstances',
    ]);
  });

  test('startupGrace is passed to the function in seconds; 0 turns it off', () => {
    const { template } = build({ healthProbe: HealthProbe.http({ startupGrace: Duration.minutes(12) }) });
    expect(probeFunction(template).Environment.Variables.STARTUP_GRACE_SECONDS).toBe('720');
    const none = build({ healthProbe: HealthProbe.tcp(22, { startupGrace: Duration.seconds(0) }) });
    expect(probeFunction(none.template).Environment.Variables.STARTUP_GRACE_SECONDS).toBe('0');
  });

  test('HealthProbe.http() defaults: port 80, path /, 3 failed runs, 5 s attempts, 5 min startup grace', () => {
    const probe = HealthProbe.http();
    expect([
      probe.protocol,
      probe.port,
      probe.path,
      probe.failedRuns,
      probe.timeout.toSeconds(),
      probe.startupGrace.toSeconds(),
    ]).toEqual(['http', 80, '/', 3, 5, 300]);
    const { template } = build({ healthProbe: probe });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HealthProbeFailed', EvaluationPeriods: 3 });
  });

  test('without healthProbe there is no probe function, schedule or alarm', () => {
    const { template } = build({});
    expect(
      Object.values(template.findResources('AWS::Lambda::Function')).filter(
        (f: any) => f.Properties.Environment?.Variables?.PROTOCOL !== undefined,
      ),
    ).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('HealthProbeFailed');
  });

  test('with a probe: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build({ healthProbe: HealthProbe.https({ path: '/health' }) }, new Stack(app, 'Eip', { env: ENV }));
    expectNoFindings(app);
  });

  test.each([
    [HealthProbe.http({ port: 0 }), /healthProbe \(HealthProbe.http\(\)\) port must be .*1 .*65535.*0/],
    [HealthProbe.tcp(70000), /healthProbe \(HealthProbe.tcp\(\)\) port must be .*65535.*70000/],
    [HealthProbe.https({ failedRuns: 11 }), /healthProbe \(HealthProbe.https\(\)\) failedRuns must be .*1 .*10.*11/],
    [
      HealthProbe.tcp(22, { timeout: Duration.seconds(16) }),
      /healthProbe \(HealthProbe.tcp\(\)\) timeout must be .*1 to 15.*16 seconds/,
    ],
    [HealthProbe.http({ path: 'health' }), /healthProbe \(HealthProbe.http\(\)\) path must start with '\/'.*health/],
    [
      HealthProbe.http({ startupGrace: Duration.minutes(61) }),
      /healthProbe \(HealthProbe.http\(\)\) startupGrace must be a whole number of seconds from 0 to 3600.*1 hour 1 minute/,
    ],
  ])('%#: a bad probe fails naming it', (healthProbe, message) => {
    expect(problems({ strategy: FailoverStrategy.standbyInstance({ healthProbe }) })).toMatch(message);
    expect(problems({ strategy: FailoverStrategy.autoScalingGroup({ healthProbe }) })).toMatch(message);
  });
});

describe('ElasticIpFailoverInstance health probe with the Auto Scaling strategy', () => {
  function buildGroup(healthProbe?: HealthProbe, stack = new Stack(new App(), 'Stack', { env: ENV })) {
    const server = new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup({ healthProbe }),
    });
    server.allowFromInternet(ec2.Port.tcp(80), 'HTTP');
    return { stack, server, template: Template.fromStack(stack) };
  }

  test('the alarm invokes the lifecycle hook function, which may mark instances of this group Unhealthy', () => {
    const { template, server } = buildGroup(HealthProbe.http({ path: '/health', failedRuns: 4 }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HealthProbeFailed',
      Statistic: 'Minimum',
      EvaluationPeriods: 4,
      DatapointsToAlarm: 4,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('mark the instance holding the Elastic IP Unhealthy'),
      AlarmActions: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ServerLifecycleHookFunction'), 'Arn'] }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ServerLifecycleHookFunction'), 'Arn'] },
    });
    expect(server.alarms.map((a) => a.node.id)).toEqual(['HealthProbeAlarm']);
    const hookPolicy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('LifecycleHook'),
    ) as any;
    const statements = hookPolicy.Properties.PolicyDocument.Statement;
    const group = template.findResources('AWS::AutoScaling::AutoScalingGroup');
    const groupName = (Object.values(group)[0] as any).Properties.AutoScalingGroupName;
    expect(statements).toContainEqual({
      Sid: 'MarkInstancesOfThisGroupUnhealthy',
      Effect: 'Allow',
      Action: 'autoscaling:SetInstanceHealth',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            `:autoscaling:eu-west-1:111111111111:autoScalingGroup:*:autoScalingGroupName/${groupName}`,
          ],
        ],
      },
    });
    expect(statements.find((st: any) => st.Sid === 'ReadInstancesVolumesAndSnapshots').Action).toContain(
      'ec2:DescribeAddresses',
    );
  });

  test('without a probe: no alarm, and the lifecycle hook function may not set instance health', () => {
    const { template, server } = buildGroup();
    expect(server.alarms).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('SetInstanceHealth');
    expect(JSON.stringify(template.toJSON())).not.toContain('HealthProbeFailed');
  });

  test('with a probe: zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    buildGroup(HealthProbe.tcp(80), new Stack(app, 'Eip', { env: ENV }));
    expectNoFindings(app);
  });
});
