import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { buildEnvironment, buildPair, CERT_ARN, ENV } from './support';
import { EXAMPLE_CONTEXT, EXAMPLES } from '../../examples/app';
import { EnvironmentPreset, EnvironmentTier } from '../../src/beanstalk';
import { BUILDERS } from '../common/shared-pieces-builders';
import { acknowledgementsOn } from '../support/acknowledgements';
import { synthFindings } from '../support/checked-app';
import { checkovFailures } from '../support/checkov';
import { newComplianceApp } from '../support/compliance';
import { CfnTemplate } from '../update-safety/diff';
import { deployment, expectStatefulKept, lostResources, synthWith } from '../update-safety/safety';

// Elastic Beanstalk environments under cdk-nag's NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1
// packs and checkov: port 80 open to the internet only where it is the listener the environment
// serves (skipped with the listener named, and `certificate` as the way to HTTPS only); the worker
// queues SQS-encrypted unless `workerQueueEncryptionKey` is given (then SSE-KMS); the routes of an
// environment's own VPC acknowledged with what its public subnets hold; and the example stacks clean.

const PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];
const WORKER = { tier: EnvironmentTier.WORKER };

type Skip = { id: string; comment: string };

function skipsOf(template: Template, stack: Stack, construct: IConstruct): Skip[] {
  const logical = stack.getLogicalId((construct.node.defaultChild ?? construct) as never);
  return template.toJSON().Resources[logical].Metadata?.checkov?.skip ?? [];
}

function acknowledged(scope: IConstruct): Record<string, string> {
  return Object.fromEntries(
    Object.entries(acknowledgementsOn(scope)).map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]),
  );
}

describe('port 80 open to the internet (checkov CKV_AWS_260)', () => {
  test('a pair without certificate: skipped on both load balancer groups, naming the port 80 listener and certificate', () => {
    const { stack, pair, template } = buildPair();
    for (const env of [pair.blue, pair.green]) {
      expect(skipsOf(template, stack, env.loadBalancerSecurityGroup!)).toEqual([
        {
          id: 'CKV_AWS_260',
          comment:
            "The security group of an internet-facing load balancer whose one listener is HTTP on port 80 (no certificate given): that port must be open to the load balancer's clients, and the instances admit only this group. Give certificate to serve HTTPS on 443 instead: port 80 is then turned off and closed here.",
        },
      ]);
      expect(skipsOf(template, stack, env.securityGroup)).toEqual([]);
    }
  });

  test('with certificate: port 80 is closed, nothing is skipped', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN);
    const { pair, template } = buildPair({ certificate }, stack);
    for (const env of [pair.blue, pair.green]) {
      expect(skipsOf(template, stack, env.loadBalancerSecurityGroup!)).toEqual([]);
    }
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroup',
      { SecurityGroupIngress: Match.arrayWith([Match.objectLike({ FromPort: 80, CidrIp: '0.0.0.0/0' })]) },
      0,
    );
  });

  test('a single-instance web environment: skipped on its instance group, naming the single instance and how to get HTTPS', () => {
    const { stack, environment, template } = buildEnvironment({ preset: EnvironmentPreset.singleInstance() });
    const skips = skipsOf(template, stack, environment.securityGroup);
    expect(skips.map((s) => s.id)).toEqual(['CKV_AWS_260']);
    expect(skips[0].comment).toMatch(
      /^The one instance of a single-instance web environment serves its clients directly, on port 80/,
    );
    expect(skips[0].comment).toMatch(/EnvironmentPreset\.highAvailability\(\) with certificate/);
  });

  test('a load-balanced environment: its instances admit only the load balancer, nothing is skipped on them', () => {
    const { stack, environment, template } = buildEnvironment();
    expect(skipsOf(template, stack, environment.securityGroup)).toEqual([]);
  });
});

describe('the worker queues (checkov CKV_AWS_27)', () => {
  test('by default SSE-SQS, skipped on both queues with why and the prop that turns SSE-KMS on', () => {
    const { stack, environment, template } = buildEnvironment(WORKER);
    for (const queue of [environment.queue!, environment.deadLetterQueue!]) {
      const skips = skipsOf(template, stack, queue);
      expect(skips.map((s) => s.id)).toEqual(['CKV_AWS_27']);
      expect(skips[0].comment).toMatch(/^Encrypted at rest with SQS-managed keys \(SqsManagedSseEnabled: true\)/);
      expect(skips[0].comment).toMatch(/give workerQueueEncryptionKey to encrypt both queues with your key\.$/);
    }
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, KmsMasterKeyId: Match.absent() });
  });

  test('workerQueueEncryptionKey: both queues SSE-KMS with it, no skip, the instances may decrypt', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
    const { environment, template } = buildEnvironment({ ...WORKER, workerQueueEncryptionKey: key }, stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] };
    for (const queue of [environment.queue!, environment.deadLetterQueue!]) {
      expect(skipsOf(template, stack, queue)).toEqual([]);
    }
    template.allResourcesProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: keyArn,
      SqsManagedSseEnabled: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn })]),
      },
      Roles: [{ Ref: stack.getLogicalId(environment.instanceRole.node.defaultChild as never) }],
    });
  });

  test('workerQueueEncryptionKey with the web server tier is refused, naming the prop and the tier', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const key = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
    expect(() => buildEnvironment({ workerQueueEncryptionKey: key }, stack)).toThrow(
      /workerQueueEncryptionKey is only for the worker tier \(tier: EnvironmentTier\.WORKER\), whose queues it encrypts, received 'a key with tier EnvironmentTier\.WEB_SERVER'/,
    );
  });
});

describe("the routes of an environment's own VPC", () => {
  test.each<[string, Parameters<typeof buildEnvironment>[0], RegExp]>([
    [
      'load-balanced web server',
      {},
      /holding the environment's internet-facing load balancer \(its instances are in the private subnets\), and the NAT gateways/,
    ],
    [
      'single-instance web server',
      { preset: EnvironmentPreset.singleInstance() },
      /holding the environment's single instance, which serves its clients directly at its public address \(there is no load balancer\): /,
    ],
    [
      'load-balanced worker',
      WORKER,
      /holding no part of the worker environment \(its instances are in the private subnets\), and the NAT gateways/,
    ],
    [
      'single-instance worker',
      { ...WORKER, preset: EnvironmentPreset.singleInstance() },
      /holding the worker environment's single instance, which reaches Elastic Beanstalk, SQS and CloudWatch through its public address/,
    ],
  ])('%s: each public default route acknowledged in every pack with what the subnet holds', (_, props, holds) => {
    const { environment } = buildEnvironment(props);
    const vpc = environment.vpc as ec2.Vpc;
    for (const subnet of vpc.publicSubnets) {
      const acks = acknowledged(subnet.node.findChild('DefaultRoute'));
      expect(Object.keys(acks).sort()).toEqual(PACKS.map((pack) => `${pack}-VPCNoUnrestrictedRouteToIGW`).sort());
      for (const reason of Object.values(acks)) expect(reason).toMatch(holds);
    }
  });
});

/** The example app's Beanstalk stacks (ShopDev: a single instance in its own VPC; ShopProd: a pair in the data tier's VPC). */
function beanstalkExample(app: App): Stack[] {
  const example = EXAMPLES.find((e) => e.construct === 'BeanstalkEnvironmentPair')!;
  return example.build(app).filter((s) => s.stackName !== 'ShopData');
}

describe('the Beanstalk examples under the compliance packs', () => {
  test('ShopDev and ShopProd: no finding of any pack', () => {
    const app = newComplianceApp({ context: EXAMPLE_CONTEXT });
    const stacks = beanstalkExample(app).map((s) => s.stackName);
    expect(stacks).toEqual(['ShopDev', 'ShopProd']);
    const findings = synthFindings(app).filter((f) => stacks.some((s) => f.path.startsWith(`${s}/`)));
    expect(findings.map((f) => `${f.rule} ${f.path}`)).toEqual([]);
  });
});

describe('the Beanstalk examples under checkov', () => {
  test('ShopDev and ShopProd: no failed check', () => {
    const app = new App({ context: EXAMPLE_CONTEXT });
    const stacks = beanstalkExample(app);
    const failures = stacks.flatMap((s) =>
      checkovFailures(Template.fromStack(s).toJSON()).map((f) => `${s.stackName} ${f}`),
    );
    expect(failures).toEqual([]);
  });
});

describe('Beanstalk environments updated from the release before these checks', () => {
  // Templates the previous release synthesized for the builders of test/common/shared-pieces-builders.ts.
  const before = (name: string): CfnTemplate =>
    JSON.parse(
      fs.readFileSync(
        path.join(__dirname, '..', 'common', 'fixtures', `before-shared-pieces.${name}.template.json`),
        'utf-8',
      ),
    );

  test('a worker: the queues keep their SSE-SQS (metadata only), nothing is replaced', () => {
    const old = before('worker');
    const result = deployment(old, synthWith(BUILDERS.worker).template);
    expectStatefulKept(result);
    expect(lostResources(result, () => true)).toEqual([]);
    for (const id of ['WorkerQueue9380F652', 'WorkerDeadLetterQueue2879C389']) {
      expect(result.change(id)?.properties.map((p) => p.name)).toEqual(['Metadata']);
    }
  });

  test('a pair: nothing is replaced; the load balancer groups change in their metadata only', () => {
    const old = before('pair');
    const result = deployment(old, synthWith(BUILDERS.pair).template);
    expect(lostResources(result, () => true)).toEqual([]);
    const groups = result.changes.filter((c) => c.type === 'AWS::EC2::SecurityGroup');
    expect(groups.map((c) => `${c.logicalId}: ${c.properties.map((p) => p.name).join(', ')}`).sort()).toEqual([
      expect.stringMatching(/^ShopBlueLoadBalancerSecurityGroup.*: Metadata$/),
      expect.stringMatching(/^ShopGreenLoadBalancerSecurityGroup.*: Metadata$/),
    ]);
  });
});
