import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * A VPC with only public subnets in `zones` AZs, no NAT gateway, and flow logs (so cdk-nag has
 * nothing to say about it): what an Elastic IP service runs in.
 */
export function publicOnlyVpc(stack: Stack, zones = 2): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: zones,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false }],
    flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}

/**
 * A VPC for a database in two AZs: public subnets (no public IPs on launch), private subnets with
 * egress through `natGateways` NAT gateways, isolated subnets for the database, and flow logs. With
 * `isolatedOnly`, isolated subnets alone (no egress: the rotation function needs an endpoint).
 */
export function databaseVpc(stack: Stack, options: { natGateways?: number; isolatedOnly?: boolean } = {}): ec2.Vpc {
  const { natGateways = 2, isolatedOnly = false } = options;
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: isolatedOnly ? 0 : natGateways,
    subnetConfiguration: isolatedOnly
      ? [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }]
      : [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
          { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
          { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
        ],
    restrictDefaultSecurityGroup: false,
    flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}
