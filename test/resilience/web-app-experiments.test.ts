import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HighlyAvailableWebApp } from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(app: App = new App()) {
  const stack = new Stack(app, 'Stack', { env: ENV });
  const web = new HighlyAvailableWebApp(stack, 'Web', {});
  const experiments = web.addResilienceExperiments();
  return { stack, web, experiments };
}

function templatesOf(template: Template): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [id, r] of Object.entries(template.findResources('AWS::FIS::ExperimentTemplate'))) {
    out[id.replace(/^WebResilienceExperiments/, '').replace(/[0-9A-F]{8}$/, '')] = (r as any).Properties;
  }
  return out;
}

describe('HighlyAvailableWebApp resilience experiments', () => {
  test('TerminateInstance, one ZoneLost per zone and CpuStress, on the group by its name', () => {
    const { stack, web, experiments } = build();
    expect(experiments.experimentNames).toEqual(['TerminateInstance', 'ZoneLost1', 'ZoneLost2', 'CpuStress']);
    const t = templatesOf(Template.fromStack(stack));
    const group = stack.resolve(web.autoScalingGroup.autoScalingGroupName);
    expect(t.TerminateInstance.Targets.Instance).toEqual({
      ResourceType: 'aws:ec2:instance',
      ResourceTags: { 'aws:autoscaling:groupName': group },
      Filters: [{ Path: 'State.Name', Values: ['running'] }],
      SelectionMode: 'COUNT(1)',
    });
    const zone = t.ZoneLost1;
    const [firstZone] = web.vpc.availabilityZones;
    expect(zone.Targets.Instances.Filters).toContainEqual({ Path: 'Placement.AvailabilityZone', Values: [firstZone] });
    const subnetsOfZone = [...web.vpc.publicSubnets, ...web.vpc.privateSubnets].filter(
      (s) => s.availabilityZone === firstZone,
    );
    expect(zone.Targets.Subnets.ResourceArns).toHaveLength(subnetsOfZone.length);
    expect(JSON.stringify(zone.Targets.Subnets.ResourceArns)).toContain(stack.resolve(subnetsOfZone[0].subnetId).Ref);
    expect(Object.keys(zone.Actions).sort()).toEqual(['Disrupt', 'Stop']);
    expect(t.CpuStress.Actions.Stress.ActionId).toBe('aws:ssm:send-command');
    expect(t.CpuStress.Targets.Instance.SelectionMode).toBe('COUNT(1)');
    const stops = web.alarms.filter((a) => ['TargetServerErrorRate', 'TargetResponseTime'].includes(a.node.id));
    expect(t.TerminateInstance.StopConditions).toEqual(
      stack.resolve(stops.map((a) => ({ Source: 'aws:cloudwatch:alarm', Value: a.alarmArn }))),
    );
  });

  test('the verifier requests the health check path from the load balancer', () => {
    const { stack, web } = build();
    const template = Template.fromStack(stack);
    const probe = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f: any) => f.Properties.Environment?.Variables?.HOST !== undefined,
    ) as any;
    expect(probe.Properties.Environment.Variables).toMatchObject({
      PROTOCOL: 'http',
      HOST: stack.resolve(web.loadBalancer.loadBalancerDnsName),
      PORT: '80',
      PATH: '/',
    });
  });

  test('zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build(app);
    expectNoFindings(app);
  });
});
