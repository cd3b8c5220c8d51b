import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { definition } from './state-machine';
import { DetachableDatabase } from '../../src';
import { databaseVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build() {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }) });
  const experiments = db.addResilienceExperiments();
  const template = Template.fromStack(stack);
  return { stack, db, experiments, template, def: definition(template) };
}

describe('the verifier state machine', () => {
  test('chooses the experiment by name, starts it once (the execution name as client token), then measures', () => {
    const { def, stack, experiments } = build();
    expect(def.StartAt).toBe('WhichExperiment');
    const templateId = stack.getLogicalId(experiments.experimentTemplate('RebootWithFailover'));
    expect(def.States.WhichExperiment.Choices).toEqual([
      { Variable: '$.experiment', StringEquals: 'RebootWithFailover', Next: 'SelectRebootWithFailover' },
    ]);
    expect(def.States.WhichExperiment.Default).toBe('UnknownExperiment');
    expect(def.States.UnknownExperiment).toMatchObject({
      Type: 'Fail',
      Cause: expect.stringMatching(/one of: RebootWithFailover/),
    });
    expect(def.States.SelectRebootWithFailover.Parameters).toEqual({
      experiment: 'RebootWithFailover',
      run: { templateId: `<${templateId}.Id>`, budgetSeconds: 120 },
    });
    expect(def.States.StartExperiment).toMatchObject({
      Resource: 'arn:<AWS::Partition>:states:::aws-sdk:fis:startExperiment',
      Parameters: { 'ExperimentTemplateId.$': '$.run.templateId', 'ClientToken.$': '$$.Execution.Name' },
      Next: 'StartMeasuring',
    });
  });

  test('a probe every 5 seconds with the experiment read first, until the probe says the run is over', () => {
    const { def } = build();
    expect(def.States.WaitBetweenProbes).toEqual({ Type: 'Wait', Seconds: 5, Next: 'GetExperiment' });
    expect(def.States.GetExperiment).toMatchObject({
      Resource: 'arn:<AWS::Partition>:states:::aws-sdk:fis:getExperiment',
      Parameters: { 'Id.$': '$.started.Id' },
      Next: 'ProbeTheService',
    });
    expect(def.States.ProbeTheService.Resource).toMatch(
      /^<StackDbResilienceExperimentsVerifierProbeFunction|^<DbResilienceExperimentsVerifierProbeFunction/,
    );
    expect(def.States.ProbeTheService.Parameters).toEqual({
      'measurement.$': '$.probe.measurement',
      'experiment.$': '$.current.Experiment',
      'budgetSeconds.$': '$.run.budgetSeconds',
      recoveryWaitSeconds: 1200,
      quietSeconds: 60,
    });
    expect(def.States.RunOver.Choices).toEqual([{ Variable: '$.probe.done', BooleanEquals: true, Next: 'Recovered' }]);
    expect(def.States.RunOver.Default).toBe('WaitBetweenProbes');
    // A throttled invocation (the probe takes one at a time) is retried, as Lambda's own faults are.
    expect(def.States.ProbeTheService.Retry).toContainEqual({
      ErrorEquals: ['Lambda.TooManyRequestsException'],
      IntervalSeconds: 2,
      MaxAttempts: 5,
      BackoffRate: 2,
    });
  });

  test('the report: MeasuredRecoveryTime when it recovered, the topic told, then success or failure with the summary', () => {
    const { def } = build();
    expect(def.States.Recovered.Choices).toEqual([
      { Variable: '$.probe.timeToRecoverSeconds', NumericGreaterThanEquals: 0, Next: 'PublishMeasuredRecoveryTime' },
    ]);
    expect(def.States.Recovered.Default).toBe('NotifyTheTopic');
    expect(def.States.PublishMeasuredRecoveryTime.Parameters).toEqual({
      Namespace: 'CdkHaPatterns/Resilience',
      MetricData: [
        {
          MetricName: 'MeasuredRecoveryTime',
          Unit: 'Seconds',
          'Value.$': '$.probe.timeToRecoverSeconds',
          Dimensions: [
            { Name: 'Construct', Value: 'Stack/Db' },
            { Name: 'Experiment', 'Value.$': '$.experiment' },
          ],
        },
      ],
    });
    expect(def.States.NotifyTheTopic).toMatchObject({
      Resource: 'arn:<AWS::Partition>:states:::sns:publish',
      Parameters: { 'Message.$': '$.probe.summary' },
      Next: 'Passed',
    });
    expect(def.States.Passed.Choices).toEqual([
      { Variable: '$.probe.passed', BooleanEquals: true, Next: 'WithinBudget' },
    ]);
    expect(def.States.NotWithinBudget).toEqual({
      Type: 'Fail',
      Error: 'NotWithinBudget',
      CausePath: '$.probe.summary',
    });
  });

  test('logged (all events) and traced, bounded in time; its role may start only these experiments', () => {
    const { template, stack, experiments } = build();
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
    expect(machine.Properties.LoggingConfiguration.Level).toBe('ALL');
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    // In the managed policy of the verifier's role, as every role of the library.
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().includes('fis:startExperiment'));
    expect(statements).toHaveLength(1);
    const templateId = stack.getLogicalId(experiments.experimentTemplate('RebootWithFailover'));
    expect(JSON.stringify(statements[0].Resource)).toContain(`"Fn::GetAtt":["${templateId}","Id"]`);
    expect(JSON.stringify(statements[0].Resource)).toContain(':fis:eu-west-1:111111111111:experiment/*');
  });

  test('verifier: false creates no state machine and no probe', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }) });
    const experiments = db.addResilienceExperiments({ verifier: false });
    expect(experiments.verifier).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 1);
  });
});
