import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HighlyAvailableWebApp } from '../../src';
import {
  createFlowLoggedVpc,
  FlowLoggedVpcOptions,
  skipRestrictDefaultSecurityGroupProvider,
} from '../../src/common/vpc';
import { acknowledgementsOn as acknowledged } from '../support/acknowledgements';
import { synthFindings } from '../support/checked-app';
import { checkovFailures } from '../support/checkov';
import { newComplianceApp } from '../support/compliance';
import { synthWith } from '../update-safety/safety';

// The VPC the library creates (createFlowLoggedVpc) under cdk-nag's NIST 800-53 R5, HIPAA Security
// and PCI DSS 3.2.1 packs and checkov: each public subnet's default route to the internet gateway
// acknowledged with what the subnet holds, and aws-cdk-lib's restrictDefaultSecurityGroup provider
// function skipped for checkov's Lambda checks with why.

const ENV = { account: '111111111111', region: 'eu-west-1' };
const PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];
const PROVIDER = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

const WITH_NAT: FlowLoggedVpcOptions = {
  maxAzs: 2,
  natGateways: 2,
  privateSubnets: true,
  flowLogsId: 'FlowLogs',
  publicSubnetsHold: 'the internet-facing load balancer',
};

function build(options: Partial<FlowLoggedVpcOptions> = {}, stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const vpc = createFlowLoggedVpc(stack, 'Vpc', { ...WITH_NAT, ...options });
  return { stack, vpc };
}

const defaultRoute = (subnet: ec2.ISubnet) => subnet.node.findChild('DefaultRoute');

function providerHandler(stack: Stack): CfnResource {
  return stack.node.findChild(PROVIDER).node.findChild('Handler') as CfnResource;
}

describe('the default routes of a library VPC', () => {
  test('each public subnet: VPCNoUnrestrictedRouteToIGW acknowledged in every pack, naming what it holds and the NAT gateways', () => {
    const { vpc } = build();
    expect(vpc.publicSubnets).toHaveLength(2);
    for (const subnet of vpc.publicSubnets) {
      const acks = acknowledged(defaultRoute(subnet));
      expect(Object.keys(acks).sort()).toEqual(PACKS.map((pack) => `${pack}-VPCNoUnrestrictedRouteToIGW`).sort());
      for (const reason of Object.values(acks)) {
        expect(reason).toBe(
          'A public subnet of this VPC, holding the internet-facing load balancer, and the NAT gateways through which the private subnets reach the internet: its route table must send 0.0.0.0/0 to the internet gateway for them to reach the internet (and for clients to reach what serves them). The subnet assigns no public IP on launch, and the security groups admit only the ports the construct serves or the user opens.',
        );
      }
    }
  });

  test('nothing else is acknowledged: not the private subnets (their routes go to a NAT gateway), the subnets, nor the VPC', () => {
    const { vpc } = build();
    for (const subnet of vpc.privateSubnets) expect(acknowledged(defaultRoute(subnet))).toEqual({});
    for (const subnet of [...vpc.publicSubnets, ...vpc.privateSubnets]) expect(acknowledged(subnet)).toEqual({});
    expect(acknowledged(vpc)).toEqual({});
  });

  test('public subnets only, no NAT gateway: no NAT gateway named; without publicSubnetsHold, the construct path is', () => {
    const { vpc } = build({ natGateways: 0, privateSubnets: false, publicSubnetsHold: undefined });
    for (const subnet of vpc.publicSubnets) {
      const reason = acknowledged(defaultRoute(subnet))['NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW'];
      expect(reason).toMatch(/^A public subnet of this VPC, holding the public endpoints of Stack: its route table/);
      expect(reason).not.toMatch(/NAT/);
    }
  });
});

describe("aws-cdk-lib's restrictDefaultSecurityGroup provider", () => {
  const skipsOf = (stack: Stack) => providerHandler(stack).getMetadata('checkov');

  test('CKV_AWS_115, 116 and 117 are skipped on its function, each with why', () => {
    const { stack } = build();
    const handler = providerHandler(stack);
    expect(handler.cfnResourceType).toBe('AWS::Lambda::Function');
    const skips: Array<{ id: string; comment: string }> =
      Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(handler)].Metadata.checkov.skip;
    expect(skips.map((s) => s.id)).toEqual(['CKV_AWS_115', 'CKV_AWS_116', 'CKV_AWS_117']);
    for (const skip of skips) {
      expect(skip.comment).toMatch(/^aws-cdk-lib's own custom resource provider for restrictDefaultSecurityGroup: /);
    }
    expect(skips[0].comment).toMatch(/a concurrency limit would only throttle those calls/);
    expect(skips[1].comment).toMatch(/no event left to keep in a dead-letter queue/);
    expect(skips[2].comment).toMatch(/calls only the EC2 API \(security group ingress and egress rules\)/);
  });

  test('two library VPCs in one stack share the provider: its skips are written once', () => {
    const { stack } = build();
    createFlowLoggedVpc(stack, 'Second', { ...WITH_NAT, flowLogsId: 'SecondFlowLogs' });
    expect(skipsOf(stack).skip).toHaveLength(3);
  });

  test('a stack without the provider: nothing is written and nothing fails', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    new ec2.Vpc(stack, 'UserVpc', { restrictDefaultSecurityGroup: false });
    expect(() => skipRestrictDefaultSecurityGroupProvider(stack)).not.toThrow();
    expect(stack.node.tryFindChild(PROVIDER)).toBeUndefined();
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    expect(functions).toEqual({});
  });
});

describe('a library VPC under the compliance packs', () => {
  test('HighlyAvailableWebApp with its own VPC: no VPCNoUnrestrictedRouteToIGW finding', () => {
    const app = newComplianceApp();
    new HighlyAvailableWebApp(new Stack(app, 'Stack', { env: ENV }), 'Web');
    const routes = synthFindings(app).filter((f) => /VPCNoUnrestrictedRouteToIGW/.test(f.rule));
    expect(routes.map((f) => `${f.rule} ${f.path}`)).toEqual([]);
  });
});

describe('a library VPC under checkov', () => {
  test("no Lambda check fails on aws-cdk-lib's provider function", () => {
    const { template } = synthWith((stack) => createFlowLoggedVpc(stack, 'Vpc', WITH_NAT));
    expect(checkovFailures(template).filter((line) => /CustomVpcRestrictDefaultSG/.test(line))).toEqual([]);
  });
});
