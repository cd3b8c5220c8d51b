import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DetachableDatabase, DetachableDatabaseProps } from '../../src';
import { expectNoFindings, newCheckedApp } from '../support/checked-app';
import { databaseVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(props: Partial<DetachableDatabaseProps> = {}, app: App = new App()) {
  const stack = new Stack(app, 'Stack', { env: ENV });
  const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }), ...props });
  const experiments = db.addResilienceExperiments();
  return { stack, db, experiments, template: Template.fromStack(stack) };
}

describe('DetachableDatabase resilience experiments', () => {
  test('RebootWithFailover: reboots this instance through a Multi-AZ failover, stops on its alarms, logs to its log group', () => {
    const { template, stack, db, experiments } = build();
    expect(experiments.experimentNames).toEqual(['RebootWithFailover']);
    const template0 = experiments.experimentTemplate('RebootWithFailover');
    expect(stack.resolve(template0.targets)).toEqual({
      Database: {
        resourceType: 'aws:rds:db',
        resourceArns: [stack.resolve(db.instance.instanceArn)],
        selectionMode: 'ALL',
      },
    });
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Actions: {
        Reboot: {
          ActionId: 'aws:rds:reboot-db-instances',
          Parameters: { forceFailover: 'true' },
          Targets: { DBInstances: 'Database' },
        },
      },
      StopConditions: stack.resolve(db.alarms.map((a) => ({ Source: 'aws:cloudwatch:alarm', Value: a.alarmArn }))),
      LogConfiguration: {
        CloudWatchLogsConfiguration: { LogGroupArn: stack.resolve(experiments.logGroup.logGroupArn) },
        LogSchemaVersion: 2,
      },
      ExperimentOptions: { AccountTargeting: 'single-account', EmptyTargetResolutionMode: 'fail' },
      RoleArn: stack.resolve((experiments.role as any).roleArn),
    });
    expect(db.alarms.length).toBeGreaterThan(0);
  });

  test('the role: trusted by AWS FIS of this account only, may reboot this instance only', () => {
    const { template, stack, db } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'fis.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111111111111' },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':fis:eu-west-1:111111111111:experiment/*']],
                },
              },
            },
          },
        ],
      },
    });
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles ?? '').includes('ResilienceExperimentsRole'),
    ) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.find((s: any) => s.Sid === 'RebootThisInstance')).toEqual({
      Sid: 'RebootThisInstance',
      Effect: 'Allow',
      Action: 'rds:RebootDBInstance',
      Resource: stack.resolve(db.instance.instanceArn),
    });
    const writes = statements
      .flatMap((s: any) => [s.Action].flat().map((a: string) => ({ a, r: s.Resource })))
      .filter(({ a }: any) => !/^(rds:Describe|tag:Get|logs:)/.test(a));
    expect(writes.map(({ a }: any) => a)).toEqual(['rds:RebootDBInstance']);
  });

  test('single-AZ: a reboot without failover, and a 5-minute budget', () => {
    const { template } = build({ multiAz: false });
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Actions: { Reboot: Match.objectLike({ Parameters: { forceFailover: 'false' } }) },
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"budgetSeconds":300')])],
      }),
    });
  });

  test('the verifier probes the endpoint by TCP from the database subnets, allowed in on the database port only', () => {
    const { template, stack, db } = build();
    const probe = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f: any) => f.Properties.Environment?.Variables?.PROTOCOL === 'tcp',
    ) as any;
    expect(probe.Properties.Environment.Variables).toMatchObject({
      PROTOCOL: 'tcp',
      HOST: stack.resolve(db.endpointAddress),
      PORT: String(db.port),
    });
    expect(probe.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: db.port,
      ToPort: db.port,
      GroupId: { 'Fn::GetAtt': [stack.getLogicalId(db.securityGroup.node.defaultChild as any), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('VerifierProbeSecurityGroup'), 'GroupId'] },
    });
  });

  test('zero cdk-nag and CloudFormation Validate findings', () => {
    const app = newCheckedApp();
    build({}, app);
    expectNoFindings(app);
  });

  test('validation: the fault duration, the budget and the number of stop conditions', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }) });
    const alarm = new cloudwatch.Alarm(stack, 'Mine', {
      metric: db.metricCpuUtilization(),
      threshold: 1,
      evaluationPeriods: 1,
    });
    expect(() => db.addResilienceExperiments({ faultDuration: Duration.minutes(31) })).toThrow(
      /DetachableDatabase.addResilienceExperiments\(\) props:[\s\S]*faultDuration must be a whole number of seconds from 60 to 1800/,
    );
    expect(() => db.addResilienceExperiments({ stopConditions: [alarm, alarm] })).toThrow(
      /stopConditions must hold at most 1 alarm\(s\): an experiment template takes 5 stop conditions and 4 are the construct's own/,
    );
    db.addResilienceExperiments({ stopConditions: [alarm] });
    expect(() => db.addResilienceExperiments()).toThrow(/already called on Stack\/Db: call it once/);
  });
});
