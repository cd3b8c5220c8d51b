import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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
}

/**
 * A VPC whose public subnets give no public IP on launch, whose default security group admits
 * nothing, and whose traffic (all of it) is logged to a log group kept for a year and encrypted
 * with the stack's logs key.
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
  return new ec2.Vpc(scope, id, {
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
}
