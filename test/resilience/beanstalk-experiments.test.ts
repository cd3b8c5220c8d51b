import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentPreset, Slot } from '../../src';
import { ENV, newPair } from '../beanstalk/support';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

function templatesOf(template: Template): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [id, r] of Object.entries(template.findResources('AWS::FIS::ExperimentTemplate'))) {
    out[id.replace(/^PairResilienceExperiments/, '').replace(/[0-9A-F]{8}$/, '')] = (r as any).Properties;
  }
  return out;
}

describe('BeanstalkEnvironmentPair resilience experiments', () => {
  test('on the live slot: TerminateInstance and one ZoneLost per zone, by the environment-name tag', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const { pair } = newPair({ live: Slot.GREEN, preset: EnvironmentPreset.highAvailability() }, stack);
    const experiments = pair.addResilienceExperiments();
    const template = Template.fromStack(stack);
    expect(experiments.experimentNames).toEqual(['TerminateInstance', 'ZoneLost1', 'ZoneLost2']);
    const t = templatesOf(template);
    const greenName = stack.resolve(pair.green.environmentName);
    expect(t.TerminateInstance.Targets.Instance.ResourceTags).toEqual({
      'elasticbeanstalk:environment-name': greenName,
    });
    expect(t.ZoneLost2.Targets.Instances.ResourceTags).toEqual({ 'elasticbeanstalk:environment-name': greenName });
    expect(t.TerminateInstance.StopConditions).toEqual(
      stack.resolve(pair.green.alarms.map((a) => ({ Source: 'aws:cloudwatch:alarm', Value: a.alarmArn }))),
    );
    // No CPU stress here: the role has no SSM permission.
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('ssm:SendCommand');
  });

  test('the verifier requests the health check path at the live CNAME', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const { pair } = newPair({ healthCheckPath: '/health' }, stack);
    pair.addResilienceExperiments();
    const probe = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find(
      (f: any) => f.Properties.Environment?.Variables?.HOST !== undefined,
    ) as any;
    expect(probe.Properties.Environment.Variables).toMatchObject({
      PROTOCOL: 'http',
      HOST: { 'Fn::GetAtt': [expect.stringMatching(/^PairCnameSwap/), 'LiveCname'] },
      PORT: '80',
      PATH: '/health',
    });
  });

  test('single instance: TerminateInstance only, with a 5-minute budget', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const { pair } = newPair({ preset: EnvironmentPreset.singleInstance() }, stack);
    expect(pair.addResilienceExperiments().experimentNames).toEqual(['TerminateInstance']);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('\\"budgetSeconds\\":300');
  });

  test('zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    const { pair } = newPair({}, new Stack(app, 'Stack', { env: ENV }));
    pair.addResilienceExperiments();
    expectNoFindings(app);
  });
});
