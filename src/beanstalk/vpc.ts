import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { createFlowLoggedVpc } from '../common/vpc';

/**
 * A VPC over 2 Availability Zones with flow logs: public and private subnets with one NAT gateway
 * per zone for load-balanced environments; public subnets only (no NAT cost) for single instances.
 * `webServer` says what the public subnets hold besides the NAT gateways (the reason their routes
 * to the internet gateway are acknowledged): the internet-facing load balancer or the single
 * instance of a web server, the single instance of a worker, or nothing else for a load-balanced
 * worker.
 */
export function createBeanstalkVpc(scope: Construct, id: string, loadBalanced: boolean, webServer = true): ec2.Vpc {
  return createFlowLoggedVpc(scope, id, {
    maxAzs: 2,
    natGateways: loadBalanced ? 2 : 0,
    privateSubnets: loadBalanced,
    flowLogsId: `${id}FlowLogs`,
    publicSubnetsHold: publicSubnetsHold(loadBalanced, webServer),
  });
}

function publicSubnetsHold(loadBalanced: boolean, webServer: boolean): string {
  if (loadBalanced) {
    return webServer
      ? "the environment's internet-facing load balancer (its instances are in the private subnets)"
      : 'no part of the worker environment (its instances are in the private subnets)';
  }
  return webServer
    ? "the environment's single instance, which serves its clients directly at its public address (there is no load balancer)"
    : "the worker environment's single instance, which reaches Elastic Beanstalk, SQS and CloudWatch through its public address (there is no NAT gateway)";
}
