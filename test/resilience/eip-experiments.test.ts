import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ElasticIpFailoverInstance, FailoverStrategy, HealthProbe, StandbyState, Size } from './imports';
import { definition } from './state-machine';
import { expectNoFindings, formatFindings, newCheckedApp, synthFindings } from '../support/checked-app';
import { newComplianceApp } from '../support/compliance';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(strategy: FailoverStrategy, app: App = new App()) {
  const stack = new Stack(app, 'Stack', { env: ENV });
  const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), strategy });
  server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
  return { stack, server };
}

function templatesOf(template: Template): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [id, r] of Object.entries(template.findResources('AWS::FIS::ExperimentTemplate'))) {
    out[id.replace(/^ServerResilienceExperiments/, '').replace(/[0-9A-F]{8}$/, '')] = (r as any).Properties;
  }
  return out;
}

function experimentPolicy(template: Template): any[] {
  const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
    JSON.stringify(p.Properties.Roles ?? '').includes('ResilienceExperimentsRole'),
  ) as any;
  return policy.Properties.PolicyDocument.Statement;
}

describe('ElasticIpFailoverInstance resilience experiments, standby strategy', () => {
  test('StopPrimary targets the instance tagged primary of this pair at run time, and starts it again after the fault', () => {
    const { stack, server } = build(FailoverStrategy.standbyInstance());
    const experiments = server.addResilienceExperiments({
      probe: HealthProbe.tcp(443),
      faultDuration: Duration.minutes(3),
    });
    const template = Template.fromStack(stack);
    expect(experiments.experimentNames).toEqual(['StopPrimary', 'CpuStress']);
    const t = templatesOf(template);
    const allocation = stack.resolve(server.allocationId);
    expect(t.StopPrimary.Targets).toEqual({
      Primary: {
        ResourceType: 'aws:ec2:instance',
        ResourceTags: { 'cdk-ha-patterns:failover-pair': allocation, FailoverRole: 'primary' },
        Filters: [{ Path: 'State.Name', Values: ['running'] }],
        SelectionMode: 'ALL',
      },
    });
    expect(t.StopPrimary.Actions).toEqual({
      Stop: {
        ActionId: 'aws:ec2:stop-instances',
        Parameters: { startInstancesAfterDuration: 'PT3M' },
        Targets: { Instances: 'Primary' },
      },
    });
    const operator = (name: string) => stack.resolve(server.operatorAlarms.find((a) => a.node.id === name)!.alarmArn);
    expect(t.StopPrimary.StopConditions).toEqual([
      { Source: 'aws:cloudwatch:alarm', Value: operator('FailoverErrorsAlarm') },
      { Source: 'aws:cloudwatch:alarm', Value: operator('DeadLetterMessagesAlarm') },
      { Source: 'aws:cloudwatch:alarm', Value: operator('TimeToRecoveryAlarm') },
    ]);
  });

  test('CpuStress runs AWSFIS-Run-CPU-Stress on the primary for the fault duration', () => {
    const { stack, server } = build(FailoverStrategy.standbyInstance());
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    const t = templatesOf(Template.fromStack(stack));
    expect(t.CpuStress.Actions.Stress).toEqual({
      ActionId: 'aws:ssm:send-command',
      Parameters: {
        documentArn: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWSFIS-Run-CPU-Stress']],
        },
        documentParameters: '{"DurationSeconds":"300","InstallDependencies":"True","CPU":"0","LoadPercent":"100"}',
        duration: 'PT6M',
      },
      Targets: { Instances: 'Primary' },
    });
  });

  test('the role may stop, start and stress only the instances tagged with this pair', () => {
    const { stack, server } = build(FailoverStrategy.standbyInstance());
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    const statements = experimentPolicy(Template.fromStack(stack));
    const allocation = stack.resolve(server.allocationId);
    expect(statements.find((s) => s.Sid === 'StopAndStartInstancesOfThisPair')).toMatchObject({
      Action: ['ec2:StopInstances', 'ec2:StartInstances'],
      Condition: { StringEquals: { 'aws:ResourceTag/cdk-ha-patterns:failover-pair': allocation } },
    });
    expect(statements.find((s) => s.Sid === 'StressTheseInstances')).toMatchObject({
      Action: 'ssm:SendCommand',
      Condition: { StringEquals: { 'ssm:resourceTag/cdk-ha-patterns:failover-pair': allocation } },
    });
    expect(JSON.stringify(statements)).not.toContain('ec2:TerminateInstances');
  });

  test("the verifier probes the Elastic IP with the strategy's health probe when no probe is given", () => {
    const { stack, server } = build(
      FailoverStrategy.standbyInstance({ healthProbe: HealthProbe.https({ path: '/health' }) }),
    );
    server.addResilienceExperiments();
    const template = Template.fromStack(stack);
    const probe = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f: any) => f.Properties.Environment?.Variables?.HOST !== undefined,
    ) as any;
    expect(probe.Properties.Environment.Variables).toMatchObject({
      PROTOCOL: 'https',
      HOST: stack.resolve(server.publicIp),
      PORT: '443',
      PATH: '/health',
    });
    expect(probe.Properties.VpcConfig).toBeUndefined();
  });

  test('without any probe the verifier cannot reach the service: a clear error, unless verifier: false', () => {
    const { server } = build(FailoverStrategy.standbyInstance());
    expect(() => server.addResilienceExperiments()).toThrow(
      /ElasticIpFailoverInstance.addResilienceExperiments\(\) props:[\s\S]*probe is needed for the verifier to reach the service through the Elastic IP/,
    );
    expect(server.addResilienceExperiments({ verifier: false }).verifier).toBeUndefined();
  });

  test('zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    const { server } = build(FailoverStrategy.standbyInstance(), app);
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    expectNoFindings(app);
  });
});

describe('ElasticIpFailoverInstance resilience experiments, Auto Scaling strategy', () => {
  const withVolume = () =>
    FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20), mountPath: '/data' } });

  test('TerminateInstance and one ZoneLost per zone, targeting the group by its name', () => {
    const { stack, server } = build(withVolume());
    const experiments = server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    expect(experiments.experimentNames).toEqual(['TerminateInstance', 'ZoneLost1', 'ZoneLost2']);
    const template = Template.fromStack(stack);
    const t = templatesOf(template);
    const groupName = stack.resolve(server.autoScalingGroup!.autoScalingGroupName);
    expect(t.TerminateInstance.Targets.Instance.ResourceTags).toEqual({ 'aws:autoscaling:groupName': groupName });
    expect(t.TerminateInstance.Actions.Terminate).toEqual({
      ActionId: 'aws:ec2:terminate-instances',
      Targets: { Instances: 'Instance' },
    });
    const zone = t.ZoneLost1;
    expect(zone.Targets.Instance.Filters).toEqual([
      { Path: 'State.Name', Values: ['running'] },
      { Path: 'Placement.AvailabilityZone', Values: ['dummy1a'] },
    ]);
    expect(zone.Targets.Subnet).toMatchObject({ ResourceType: 'aws:ec2:subnet', SelectionMode: 'ALL' });
    expect(zone.Actions.Stop.Parameters).toEqual({
      startInstancesAfterDuration: 'PT5M',
      completeIfInstancesTerminated: 'true',
    });
    expect(zone.Actions.Disrupt).toEqual({
      ActionId: 'aws:network:disrupt-connectivity',
      Parameters: { duration: 'PT5M', scope: 'all' },
      Targets: { Subnets: 'Subnet' },
    });
    const operator = (name: string) => stack.resolve(server.operatorAlarms.find((a) => a.node.id === name)!.alarmArn);
    expect(zone.StopConditions).toContainEqual({
      Source: 'aws:cloudwatch:alarm',
      Value: operator('AbandonedLaunchesAlarm'),
    });
  });

  test('the role: instances of this group only; network ACLs FIS creates (tagged managedByFIS) and these subnets only', () => {
    const { stack, server } = build(withVolume());
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    const statements = experimentPolicy(Template.fromStack(stack));
    const groupName = stack.resolve(server.autoScalingGroup!.autoScalingGroupName);
    expect(statements.find((s) => s.Sid === 'StopStartAndTerminateInstancesOfThisGroup')).toMatchObject({
      Condition: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': groupName } },
    });
    expect(statements.find((s) => s.Sid === 'EditAndDeleteFisNetworkAcls')).toMatchObject({
      Action: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
      Condition: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } },
    });
    const swap = statements.find((s) => s.Sid === 'SwapTheNetworkAclOfTheseSubnets');
    expect(swap.Resource).toHaveLength(3);
    expect(JSON.stringify(statements)).not.toContain('ssm:SendCommand');
  });

  test('with a data volume the verifier writes a marker before the experiment and checks it on the replacement after the recovery', () => {
    const { stack, server } = build(withVolume());
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    const template = Template.fromStack(stack);
    const def = definition(template);
    for (const name of ['TerminateInstance', 'ZoneLost1', 'ZoneLost2']) {
      expect(def.States[`Select${name}`].Parameters.run.carriesData).toBe(true);
      expect(def.States[`Select${name}`].Next).toBe('WriteTheDataMarker');
    }
    expect(def.States.WriteTheDataMarker).toMatchObject({
      Parameters: { action: 'write' },
      ResultPath: '$.marker',
      Next: 'DataMarkerWritten',
    });
    // No marker, no experiment: nothing is disrupted when the marker cannot be written.
    expect(def.States.DataMarkerWritten).toMatchObject({
      Choices: [{ Variable: '$.marker.status', StringEquals: 'written', Next: 'StartExperiment' }],
      Default: 'DataMarkerNotWritten',
    });
    expect(def.States.DataMarkerNotWritten).toEqual({
      Type: 'Fail',
      Error: 'DataMarkerNotWritten',
      CausePath: '$.marker.detail',
    });
    expect(def.States.RunOver.Choices[0].Next).toBe('CheckTheData');
    expect(def.States.CheckTheData).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.run.carriesData', BooleanEquals: true },
            { Variable: '$.probe.timeToRecoverSeconds', NumericGreaterThanEquals: 0 },
          ],
          Next: 'CheckTheDataMarker',
        },
      ],
      Default: 'Recovered',
    });
    expect(def.States.CheckTheDataMarker).toMatchObject({
      Parameters: { action: 'check', 'marker.$': '$.marker.marker', 'probe.$': '$.probe' },
      ResultPath: '$.probe',
      Next: 'Recovered',
    });
    for (const task of ['WriteTheDataMarker', 'CheckTheDataMarker']) {
      expect(def.States[task].Retry).toContainEqual(
        expect.objectContaining({ ErrorEquals: ['Lambda.TooManyRequestsException'] }),
      );
    }
    // Waits 4 minutes for the holder and its command, in a function that may run 4 min 50 s.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Writes and reads the data-volume marker'),
      Timeout: 290,
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({
          ALLOCATION_ID: stack.resolve(server.allocationId),
          MOUNT_PATH: '/data',
          WAIT_SECONDS: '240',
        }),
      },
    });
  });

  test("the marker function may run commands only on this group's instances, with AWS-RunShellScript only", () => {
    const { stack, server } = build(withVolume());
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    const template = Template.fromStack(stack);
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles ?? '').includes('VerifierDataMarkerRole'),
    ) as any;
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    const groupName = stack.resolve(server.autoScalingGroup!.autoScalingGroupName);
    expect(statements.find((s) => s.Sid === 'RunCommandsOnTheInstancesOfThisGroup')).toEqual({
      Sid: 'RunCommandsOnTheInstancesOfThisGroup',
      Effect: 'Allow',
      Action: 'ssm:SendCommand',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:instance/*']] },
      Condition: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': groupName } },
    });
    expect(statements.find((s) => s.Sid === 'WithTheShellScriptDocument').Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWS-RunShellScript']],
    });
    expect(statements.find((s) => s.Sid === 'FindTheHolderAndReadItsCommands')).toMatchObject({
      Action: ['ec2:DescribeAddresses', 'ssm:GetCommandInvocation'],
      Resource: '*',
    });
  });

  test('without a data volume there is no marker: no function, no marker steps', () => {
    const { stack, server } = build(FailoverStrategy.autoScalingGroup());
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    const template = Template.fromStack(stack);
    const def = definition(template);
    expect(def.States.SelectTerminateInstance.Next).toBe('StartExperiment');
    expect(def.States.SelectTerminateInstance.Parameters.run).not.toHaveProperty('carriesData');
    expect(Object.keys(def.States)).not.toEqual(expect.arrayContaining(['WriteTheDataMarker']));
    expect(Object.keys(def.States)).not.toContain('CheckTheData');
    expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).not.toContain('data-volume marker');
  });

  test('zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    const { server } = build(withVolume(), app);
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    expectNoFindings(app);
  });

  test('with the data marker: no finding on the construct under the NIST 800-53 R5, HIPAA Security and PCI DSS packs either', () => {
    const app = newComplianceApp();
    const { server } = build(withVolume(), app);
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    // (The test VPC's own findings are not the construct's.)
    const all = synthFindings(app);
    expect(all.some((f) => f.path.startsWith('Stack/Vpc/'))).toBe(true);
    expect(formatFindings(all.filter((f) => f.path.startsWith('Stack/Server/')))).toBe('');
  });

  test('a bad probe fails naming it', () => {
    const { server } = build(withVolume());
    expect(() => server.addResilienceExperiments({ probe: HealthProbe.tcp(70000) })).toThrow(
      /probe \(HealthProbe.tcp\(\)\) port must be a whole number from 1 to 65535, received 70000/,
    );
  });

  test.each([['standby', () => FailoverStrategy.standbyInstance({ standbyState: StandbyState.STOPPED })]])(
    '%s stopped: the budget of StopPrimary is 75 s',
    (_name, strategy) => {
      const { stack, server } = build(strategy());
      server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
      Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
        DefinitionString: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"budgetSeconds":75')])],
        }),
      });
    },
  );
});
