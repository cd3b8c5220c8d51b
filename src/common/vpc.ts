import { CfnResource, CustomResourceProviderBase, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, skipCheckov } from './acknowledge';
import { logsEncryptionKey } from './logs-key';
import { ManagedPolicyRole } from './managed-policy-role';

// Internal: the VPC a construct creates when it is given none. Not exported from the package.

/** Options for {@link createFlowLoggedVpc}. */
export interface FlowLoggedVpcOptions {
  readonly maxAzs: number;
  /** One per zone for private subnets with egress; 0 with public subnets only. */
  readonly natGateways: number;
  /** Whether the VPC has private subnets with egress (`/22`) beside the public ones (`/24`). */
  readonly privateSubnets: boolean;
  /** The construct id of the flow logs' log group (kept on deletion, one year, KMS-encrypted). */
  readonly flowLogsId: string;
  /**
   * What the construct puts in the public subnets that must reach, or be reached from, the
   * internet (e.g. `'the internet-facing load balancer'`): the reason the compliance packs'
   * `VPCNoUnrestrictedRouteToIGW` finding on each public subnet's default route is acknowledged.
   * The NAT gateways, when there are any, are named beside it.
   *
   * @default - "the public endpoints of <the construct's path>"
   */
  readonly publicSubnetsHold?: string;
}

/** The cdk-nag compliance packs whose `VPCNoUnrestrictedRouteToIGW` rule a public subnet's route is acknowledged in. */
const ROUTE_TO_IGW_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/**
 * The construct id of aws-cdk-lib's provider behind `restrictDefaultSecurityGroup`, a direct child
 * of the stack (`Custom::VpcRestrictDefaultSG` followed by `CustomResourceProvider`).
 */
const RESTRICT_DEFAULT_SG_PROVIDER_ID = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

/**
 * A VPC whose public subnets give no public IP on launch, whose default security group admits
 * nothing, and whose traffic (all of it) is logged to a log group kept for a year and encrypted
 * with the stack's logs key. The public subnets' default routes to the internet gateway are
 * acknowledged (they are what a public subnet is), and aws-cdk-lib's provider that empties the
 * default security group has its checkov findings skipped with the reasons.
 */
export function createFlowLoggedVpc(scope: Construct, id: string, options: FlowLoggedVpcOptions): ec2.Vpc {
  const flowLogGroup = new logs.LogGroup(scope, options.flowLogsId, {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    encryptionKey: logsEncryptionKey(scope),
  });
  // The role VPC Flow Logs delivers with, whose permissions (write to this log group, pass itself)
  // aws-cdk-lib grants when the flow log is bound: in a managed policy of the role's own.
  // Assumed only by flow logs of this account and region (the confused-deputy conditions the VPC
  // user guide recommends; a flow log's id is not known before it exists).
  const stack = Stack.of(scope);
  const flowLogRole = new ManagedPolicyRole(scope, `${options.flowLogsId}Role`, {
    assumedBy: new iam.PrincipalWithConditions(new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'), {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
    }),
    description: `VPC Flow Logs: delivers the flow logs of ${scope.node.path}/${id} to their log group`,
  });
  const subnetConfiguration: ec2.SubnetConfiguration[] = [
    { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
  ];
  if (options.privateSubnets) {
    subnetConfiguration.push({ name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 });
  }
  const vpc = new ec2.Vpc(scope, id, {
    maxAzs: options.maxAzs,
    natGateways: options.natGateways,
    subnetConfiguration,
    restrictDefaultSecurityGroup: true,
    flowLogs: {
      All: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup, flowLogRole),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
  acknowledgePublicRoutes(vpc, options.publicSubnetsHold ?? `the public endpoints of ${scope.node.path}`, options);
  skipRestrictDefaultSecurityGroupProvider(stack);
  return vpc;
}

/**
 * Acknowledges `VPCNoUnrestrictedRouteToIGW` on each public subnet's `DefaultRoute` (0.0.0.0/0 to
 * the internet gateway) and on nothing else: the private subnets route through the NAT gateways.
 */
function acknowledgePublicRoutes(vpc: ec2.Vpc, publicSubnetsHold: string, options: FlowLoggedVpcOptions): void {
  const held =
    options.natGateways > 0
      ? `${publicSubnetsHold}, and the NAT gateways through which the private subnets reach the internet`
      : publicSubnetsHold;
  const reason =
    `A public subnet of this VPC, holding ${held}: its route table must send 0.0.0.0/0 to the internet gateway for them to reach the internet (and for clients to reach what serves them). ` +
    'The subnet assigns no public IP on launch, and the security groups admit only the ports the construct serves or the user opens.';
  for (const subnet of vpc.publicSubnets) {
    const route = subnet.node.tryFindChild('DefaultRoute');
    if (!(route instanceof ec2.CfnRoute)) continue;
    acknowledge(route, ...ROUTE_TO_IGW_PACKS.map((pack) => ({ id: `${pack}-VPCNoUnrestrictedRouteToIGW`, reason })));
  }
}

/**
 * Skips checkov's Lambda checks on the function of aws-cdk-lib's `restrictDefaultSecurityGroup`
 * provider (a stack singleton `CustomResourceProviderBase` whose `Handler` child is a raw
 * `AWS::Lambda::Function`), where there is one: its properties are aws-cdk-lib's, not ours.
 */
export function skipRestrictDefaultSecurityGroupProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(RESTRICT_DEFAULT_SG_PROVIDER_ID);
  if (!(provider instanceof CustomResourceProviderBase)) return;
  const handler = provider.node.tryFindChild('Handler');
  if (!CfnResource.isCfnResource(handler) || handler.cfnResourceType !== 'AWS::Lambda::Function') return;
  const what =
    "aws-cdk-lib's own custom resource provider for restrictDefaultSecurityGroup: CloudFormation invokes it when the VPC's Custom::VpcRestrictDefaultSG resource is created, updated or deleted, to revoke (or restore) the rules of the VPC's default security group.";
  skipCheckov(
    handler,
    {
      id: 'CKV_AWS_115',
      comment: `${what} It runs once per such stack operation; a concurrency limit would only throttle those calls.`,
    },
    {
      id: 'CKV_AWS_116',
      comment: `${what} A failed run fails the stack operation that made it, and CloudFormation reports it in the stack events: there is no event left to keep in a dead-letter queue.`,
    },
    {
      id: 'CKV_AWS_117',
      comment: `${what} It calls only the EC2 API (security group ingress and egress rules) and reaches nothing inside a VPC; attached to one, it would need a NAT gateway or an EC2 interface endpoint.`,
    },
  );
}
