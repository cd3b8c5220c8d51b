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
