import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DetachableDatabase, EnvironmentPreset } from '../../src';
import { ENV, newPair } from '../beanstalk/support';
import { databaseVpc } from '../support/vpc';

/** The dashboard's widgets, with every reference replaced by `<LogicalId>`. */
function widgets(template: Template): any[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
  const body = dashboard.Properties.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  return JSON.parse(parts.map((p: any) => (typeof p === 'string' ? p : p.Ref ? `<${p.Ref}>` : '<?>')).join('')).widgets;
}
const measured = (all: any[]) => all.filter((w) => w.properties.title?.startsWith('Measured recovery time'));

describe("the measured recovery times on the construct's dashboard", () => {
  test("after addResilienceExperiments(): MeasuredRecoveryTime of every experiment beside the construct's rows, a line at the budget", () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }) });
    db.addResilienceExperiments({ recoveryBudget: Duration.seconds(90) });
    db.addToDashboard(new cloudwatch.Dashboard(stack, 'Dashboard'));
    const all = widgets(Template.fromStack(stack));
    const [graph] = measured(all);
    // Last in the section, after the database's own rows.
    expect(all[all.length - 1]).toBe(graph);
    expect(graph.properties.metrics).toEqual([
      [
        'CdkHaPatterns/Resilience',
        'MeasuredRecoveryTime',
        'Construct',
        'Stack/Db',
        'Experiment',
        'RebootWithFailover',
        { label: 'RebootWithFailover', stat: 'Maximum' },
      ],
    ]);
    expect(graph.properties.annotations.horizontal).toEqual([
      { value: 90, label: 'Budget of RebootWithFailover', color: '#d62728', yAxis: 'left' },
    ]);
  });

  test('before addResilienceExperiments(), or with verifier: false, no such widget (nothing publishes it)', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const early = new DetachableDatabase(stack, 'Early', { vpc: databaseVpc(stack, { natGateways: 1 }) });
    early.addToDashboard(new cloudwatch.Dashboard(stack, 'Dashboard'));
    early.addResilienceExperiments();
    expect(measured(widgets(Template.fromStack(stack)))).toEqual([]);

    const other = new Stack(new App(), 'Stack', { env: ENV });
    const db = new DetachableDatabase(other, 'Db', { vpc: databaseVpc(other, { natGateways: 1 }) });
    db.addResilienceExperiments({ verifier: false });
    db.addToDashboard(new cloudwatch.Dashboard(other, 'Dashboard'));
    expect(measured(widgets(Template.fromStack(other)))).toEqual([]);
  });

  test('a pair: a section after both environments, one line per budget naming its experiments', () => {
    const { stack, pair } = newPair({ preset: EnvironmentPreset.highAvailability() });
    pair.addResilienceExperiments();
    pair.addToDashboard(new cloudwatch.Dashboard(stack, 'Dashboard'));
    const all = widgets(Template.fromStack(stack));
    const [graph] = measured(all);
    expect(all.filter((w) => w.type === 'text').pop().properties.markdown).toBe('## Stack/Pair resilience experiments');
    expect(graph.properties.metrics.map((m: any[]) => m[5])).toEqual(['TerminateInstance', 'ZoneLost1', 'ZoneLost2']);
    // The same budget for the three (30 s with the high-availability preset): one line for them.
    expect(graph.properties.annotations.horizontal).toEqual([
      { value: 30, label: 'Budget of TerminateInstance, ZoneLost1, ZoneLost2', color: '#d62728', yAxis: 'left' },
    ]);
  });
});
