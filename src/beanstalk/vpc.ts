import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { createFlowLoggedVpc } from '../common/vpc';

/**
 * A VPC over 2 Availability Zones with flow logs: public and private subnets with one NAT gateway
 * per zone for load-balanced environments; public subnets only (no NAT cost) for single instances.
 */
export function createBeanstalkVpc(scope: Construct, id: string, loadBalanced: boolean): ec2.Vpc {
  return createFlowLoggedVpc(scope, id, {
    maxAzs: 2,
    natGateways: loadBalanced ? 2 : 0,
    privateSubnets: loadBalanced,
    flowLogsId: `${id}FlowLogs`,
  });
}
