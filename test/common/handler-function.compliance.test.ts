import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { BUILDERS } from './shared-pieces-builders';
import { createHandlerFunction, HANDLER_KEY_ID, HandlerFunctionOptions } from '../../src/common/handler-function';
import { DataRetentionFunction } from '../../src/eip-failover/data-retention-function';
import { acknowledgementsOn as acknowledged } from '../support/acknowledgements';
import { synthFindings } from '../support/checked-app';
import { checkovFailures } from '../support/checkov';
import { newComplianceApp } from '../support/compliance';
import { CfnTemplate } from '../update-safety/diff';
import { deployment, expectKept, expectStatefulKept, idsOfType, ofType, synthWith } from '../update-safety/safety';

// The library's handler functions (createHandlerFunction) under cdk-nag's NIST 800-53 R5, HIPAA
// Security and PCI DSS 3.2.1 packs and checkov: outside any VPC, acknowledged on each function with
// what it calls; their dead-letter queues and environment variables encrypted with the stack's
// handler key; and an update from the release before replaces none of the queues or functions.

const ENV = { account: '111111111111', region: 'eu-west-1' };
const PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

const OPTIONS: HandlerFunctionOptions = {
  name: 'Sweep',
  functionId: 'SweepFunction',
  calls: 'the EC2 API (volumes)',
  description: 'Sweeps',
  roleDescription: 'Sweeps one thing',
  timeout: Duration.minutes(3),
  deadLetterQueue: true,
};

function build(options: Partial<HandlerFunctionOptions> = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const made = createHandlerFunction(stack, DataRetentionFunction, { ...OPTIONS, ...options });
  return { stack, made };
}

const logicalId = (stack: Stack, c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as never);
const keyArn = (stack: Stack) => ({ 'Fn::GetAtt': [logicalId(stack, stack.node.findChild(HANDLER_KEY_ID)), 'Arn'] });

function checkovSkips(template: Template, logical: string): Array<{ id: string; comment: string }> {
  return template.toJSON().Resources[logical].Metadata?.checkov?.skip ?? [];
}

describe('the handler key', () => {
  test('one per stack, rotated, deleted with the stack, shared by every handler of the stack', () => {
    const { stack } = build();
    createHandlerFunction(stack, DataRetentionFunction, { ...OPTIONS, name: 'Other', functionId: 'OtherFunction' });
    const template = Template.fromStack(stack);
    const keys = template.findResources('AWS::KMS::Key', {
      Properties: { Description: Match.stringLikeRegexp('handlers') },
    });
    expect(Object.keys(keys)).toEqual([logicalId(stack, stack.node.findChild(HANDLER_KEY_ID))]);
    expect(Object.values(keys)[0]).toMatchObject({
      Properties: {
        Description:
          'Encrypts the dead-letter queues and the environment variables of the cdk-ha-patterns handlers in this stack',
        EnableKeyRotation: true,
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.KmsKeyArn).toEqual(keyArn(stack));
    }
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn(stack));
    }
  });

  test('its policy: the account (IAM grants) and EventBridge for requests of this account, nothing else', () => {
    const { stack } = build();
    const [key] = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'));
    expect(key.Properties.KeyPolicy.Statement).toEqual([
      {
        Action: 'kms:*',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } },
        Resource: '*',
      },
      {
        Sid: 'EventBridgeDeliversUndeliveredEventsOfThisAccount',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: '*',
      },
    ]);
  });

  test('the role may send to its KMS-encrypted dead-letter queue: GenerateDataKey and Decrypt on the key only', () => {
    const { stack } = build();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: keyArn(stack) },
        ]),
      },
    });
  });

  test("a dead-letter queue given (another handler's) gets the same grant on its key", () => {
    const { stack, made } = build();
    createHandlerFunction(stack, DataRetentionFunction, {
      ...OPTIONS,
      name: 'Second',
      functionId: 'SecondFunction',
      deadLetterQueue: made.deadLetterQueue,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const grants = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
      p.Properties.PolicyDocument.Statement.some(
        (s: any) => JSON.stringify(s.Action) === '["kms:GenerateDataKey","kms:Decrypt"]',
      ),
    );
    expect(grants).toHaveLength(2);
  });
});

describe('a handler function outside any VPC', () => {
  test('LambdaInsideVPC is acknowledged in every pack on the function resource only, with what it calls', () => {
    const { made } = build();
    const reason =
      'SweepFunction calls only the EC2 API (volumes): public AWS endpoints, no resource inside a VPC. Attached to a VPC, it would reach them only through a NAT gateway or interface endpoints there, and it has nothing to reach inside one.';
    expect(acknowledged(made.fn.node.defaultChild as lambda.CfnFunction)).toEqual(
      Object.fromEntries(PACKS.map((pack) => [`${pack}-LambdaInsideVPC`, reason])),
    );
    expect(acknowledged(made.fn)).toEqual({});
    expect(acknowledged(made.role)).toEqual({});
  });

  test('checkov CKV_AWS_117 is skipped on the function with the same reason, and nothing else is skipped', () => {
    const { stack, made } = build();
    const template = Template.fromStack(stack);
    expect(checkovSkips(template, logicalId(stack, made.fn))).toEqual([
      { id: 'CKV_AWS_117', comment: expect.stringMatching(/^SweepFunction calls only the EC2 API \(volumes\): /) },
    ]);
    expect(checkovSkips(template, logicalId(stack, made.deadLetterQueue!))).toEqual([]);
  });
});

/** The handler functions of the library's constructs, by builder (test/common/shared-pieces-builders.ts). */
const FUNCTIONS: Array<[string, string, RegExp]> = [
  [
    'standby',
    'Server/FailoverFunction',
    /^FailoverFunction calls only the EC2 API \(Elastic IP address, .*SNS, and the pre-signed Amazon S3 URL/,
  ],
  [
    'data-volume',
    'Server/LifecycleHookFunction',
    /^LifecycleHookFunction calls only the EC2 API .*the Auto Scaling API \(lifecycle actions\) and SNS:/,
  ],
  [
    'data-volume',
    'Server/DataRetentionFunction',
    /^DataRetentionFunction calls only the EC2 API \(data volumes and snapshots\) and SNS:/,
  ],
  [
    'pair',
    'Shop/CnameSwapFunction',
    /^CnameSwapFunction calls only the Elastic Beanstalk API \(DescribeEnvironments, DescribeEnvironmentHealth, SwapEnvironmentCNAMEs\), the CloudWatch API \(DescribeAlarms\), the CloudFormation API \(DescribeStacks of this stack\), the environment becoming live/,
  ],
  [
    'pair',
    'BeanstalkPlatformLookupFunction',
    /^BeanstalkPlatformLookupFunction calls only the Elastic Beanstalk API \(ListPlatformVersions\)/,
  ],
];

describe("the library's handler functions", () => {
  test.each(FUNCTIONS)(
    '%s %s: acknowledged and skipped with what it calls; environment and queue encrypted',
    (builder, fnPath, calls) => {
      const { stack, template: json } = synthWith(BUILDERS[builder]);
      const template = Template.fromJSON(json);
      const fn = stack.node.findChild(fnPath.split('/')[0]);
      const resource = (fnPath.includes('/') ? fn.node.findChild(fnPath.split('/')[1]) : fn).node
        .defaultChild as lambda.CfnFunction;
      const acks = acknowledged(resource);
      expect(Object.keys(acks).sort()).toEqual(PACKS.map((pack) => `${pack}-LambdaInsideVPC`).sort());
      for (const reason of Object.values(acks)) expect(reason).toMatch(calls);
      const logical = stack.getLogicalId(resource);
      expect(checkovSkips(template, logical)).toEqual([
        { id: 'CKV_AWS_117', comment: acks['NIST.800.53.R5-LambdaInsideVPC'] },
      ]);
      const fnProps = json.Resources[logical].Properties;
      expect(fnProps.KmsKeyArn).toEqual(keyArn(stack));
      const queue = fnProps.DeadLetterConfig.TargetArn['Fn::GetAtt'][0];
      expect(json.Resources[queue].Properties).toMatchObject({ KmsMasterKeyId: keyArn(stack) });
    },
  );
});

describe("the library's handler functions under the compliance packs", () => {
  /** Every pack finding on the library's functions, queues and keys (the builders' own VPCs aside). */
  function findings(builder: string): string[] {
    const app = newComplianceApp();
    BUILDERS[builder](new Stack(app, 'Stack', { env: ENV }));
    return synthFindings(app)
      .filter((f) => /^(NIST|HIPAA|PCI)/.test(f.rule))
      .filter((f) => /Function|DeadLetterQueue|HaPatternsHandlerKey/.test(f.path))
      .map((f) => `${f.rule} ${f.path}`);
  }

  test.each(['standby', 'data-volume', 'pair'])('%s: no finding on a handler, its queue or the key', (builder) => {
    expect(findings(builder)).toEqual([]);
  });
});

describe('the handler functions under checkov', () => {
  /** The checks this change settles, on the handlers, their queues and the keys of src/common. */
  const SETTLED = /^CKV_AWS_(117|173|27|33|115|116) /;

  test.each(['standby', 'data-volume', 'pair'])('%s: none of the settled checks fails', (builder) => {
    const { template } = synthWith(BUILDERS[builder]);
    expect(checkovFailures(template).filter((line) => SETTLED.test(line))).toEqual([]);
  });
});

describe('the handler functions updated from the release before the handler key', () => {
  // Templates the previous release synthesized for the builders of test/common/shared-pieces-builders.ts
  // in a stack 'Stack' of account 111111111111 in eu-west-1 (test/update-safety's ENV).
  const before = (name: string): CfnTemplate =>
    JSON.parse(
      fs.readFileSync(path.join(__dirname, 'fixtures', `before-shared-pieces.${name}.template.json`), 'utf-8'),
    );

  test.each(['standby', 'data-volume', 'pair'])(
    '%s: the queues and functions are updated in place, the key is added, nothing stateful is lost',
    (name) => {
      const old = before(name);
      const result = deployment(old, synthWith(BUILDERS[name]).template);
      expectStatefulKept(result);
      expectKept(
        result,
        'dead-letter queues, functions and roles',
        ofType('AWS::SQS::Queue', 'AWS::Lambda::Function', 'AWS::IAM::Role'),
      );
      for (const queue of idsOfType(old, 'AWS::SQS::Queue')) {
        const change = result.change(queue)!;
        expect(change.impact).toBe('WILL_UPDATE');
        expect(change.properties.map((p) => p.name).sort()).toEqual(['KmsMasterKeyId', 'SqsManagedSseEnabled']);
      }
      // The library's functions (not aws-cdk-lib's restrictDefaultSecurityGroup provider, whose
      // template gains only the checkov skips).
      for (const fn of idsOfType(old, 'AWS::Lambda::Function').filter((id) => !id.startsWith('Custom'))) {
        expect(result.change(fn)?.properties.map((p) => p.name)).toContain('KmsKeyArn');
      }
      const added = result.changes.filter((c) => c.impact === 'WILL_CREATE').map((c) => c.type);
      expect(added).toContain('AWS::KMS::Key');
    },
  );
});
