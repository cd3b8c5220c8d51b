import { App, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DetachableDatabase, ElasticIpFailoverInstance, FailoverStrategy, HighlyAvailableWebApp } from '../../src';
import { ManagedPolicyRole } from '../../src/common/managed-policy-role';
import { synthFindings } from '../support/checked-app';
import { newComplianceApp } from '../support/compliance';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function role(stack: Stack): ManagedPolicyRole {
  return new ManagedPolicyRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

describe('ManagedPolicyRole', () => {
  test('statements and grants go into one managed policy of its own, attached to it; no inline policy', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const r = role(stack);
    r.addToPolicy(new iam.PolicyStatement({ sid: 'Describe', actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    new s3.Bucket(stack, 'Bucket').grantRead(r);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policy.Properties.Roles).toEqual([{ Ref: stack.getLogicalId(r.node.defaultChild as iam.CfnRole) }]);
    const statements = policy.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown }[];
    expect(statements.map((s) => s.Sid ?? s.Action)).toEqual(['Describe', expect.arrayContaining(['s3:GetObject*'])]);
  });

  test('no statement, no policy', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    role(stack);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  test('a function with the role depends on its policy, so it is never invoked without its permissions', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const r = role(stack);
    r.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      role: r,
    });
    const template = Template.fromStack(stack);
    const policyId = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'))[0];
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn.DependsOn).toEqual(expect.arrayContaining([policyId]));
  });

  test('permissions beyond what a managed policy may hold fail synthesis, naming the role', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const r = role(stack);
    for (let i = 0; i < 80; i++) {
      r.addToPolicy(
        new iam.PolicyStatement({
          sid: `Statement${i}`,
          actions: ['s3:GetObject'],
          resources: [`arn:aws:s3:::a-bucket-with-a-long-name-${i}/*`],
        }),
      );
    }
    expect(() => app.synth()).toThrow(
      /The permissions of Stack\/Role need \d+ characters, above the 6144 an IAM managed policy may hold/,
    );
  });
});

test('no inline policy in the roles the constructs create (NIST 800-53 R5, HIPAA, PCI DSS IAMNoInlinePolicy)', () => {
  const app = newComplianceApp();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const webApp = new HighlyAvailableWebApp(stack, 'WebApp');
  const database = new DetachableDatabase(stack, 'Database', { vpc: webApp.vpc });
  database.allowConnectionsFrom(webApp);
  database.grantSecretRead(webApp.autoScalingGroup);
  new ElasticIpFailoverInstance(stack, 'Server', {
    vpc: webApp.vpc,
    strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(50) } }),
  });
  const inline = synthFindings(app).filter((f) => f.rule.endsWith('IAMNoInlinePolicy'));
  expect(inline.map((f) => `${f.rule} ${f.path}`)).toEqual([]);
});
