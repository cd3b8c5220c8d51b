import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

// Internal: the VPC a construct creates when it is given none. Not exported from the package.

/** Options for {@link createFlowLoggedVpc}. */
export interface FlowLoggedVpcOptions {
  readonly maxAzs: number;
  /** One per zone for private subnets with egress; 0 with public subnets only. */
  readonly natGateways: number;
  /** Whether the VPC has private subnets with egress (`/22`) beside the public ones (`/24`). */
  readonly privateSubnets: boolean;
  /** The construct id of the flow logs' log group (kept on deletion, one year). */
  readonly flowLogsId: string;
}

/**
 * A VPC whose public subnets give no public IP on launch, whose default security group admits
 * nothing, and whose traffic (all of it) is logged to a log group kept for a year.
 */
export function createFlowLoggedVpc(scope: Construct, id: string, options: FlowLoggedVpcOptions): ec2.Vpc {
  const flowLogGroup = new logs.LogGroup(scope, options.flowLogsId, {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
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
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
}
