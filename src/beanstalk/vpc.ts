import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvironmentPreset, EnvironmentTier } from './options';
import { PropsValidator } from '../common/validation';

/**
 * A VPC over 2 Availability Zones with flow logs: public and private subnets with one NAT gateway
 * per zone for load-balanced environments; public subnets only (no NAT cost) for single instances.
 */
export function createBeanstalkVpc(scope: Construct, id: string, loadBalanced: boolean): ec2.Vpc {
  const flowLogGroup = new logs.LogGroup(scope, `${id}FlowLogs`, {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const subnetConfiguration: ec2.SubnetConfiguration[] = [
    { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
  ];
  if (loadBalanced) {
    subnetConfiguration.push({ name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 });
  }
  return new ec2.Vpc(scope, id, {
    maxAzs: 2,
    natGateways: loadBalanced ? 2 : 0,
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

/**
 * Throws when the VPC cannot hold the environment: the high-availability preset needs private
 * subnets with egress (instances) and, for the web server tier, public subnets (load balancer) in
 * at least 2 Availability Zones; a single instance needs a public subnet.
 */
export function validateBeanstalkVpc(
  construct: string,
  vpc: ec2.IVpc,
  preset: EnvironmentPreset,
  tier: EnvironmentTier,
): void {
  const check = new PropsValidator(construct);
  const zonesOf = (subnetType: ec2.SubnetType) => {
    try {
      return new Set(vpc.selectSubnets({ subnetType }).subnets.map((s) => s.availabilityZone)).size;
    } catch {
      return 0;
    }
  };
  if (preset.loadBalanced) {
    const privateZones = zonesOf(ec2.SubnetType.PRIVATE_WITH_EGRESS);
    if (privateZones < 2) {
      check.fail(
        'vpc',
        'must have private subnets with egress in at least 2 Availability Zones for the highAvailability preset (the instances run there)',
        `${privateZones} zone(s)`,
      );
    }
    const publicZones = zonesOf(ec2.SubnetType.PUBLIC);
    if (tier === EnvironmentTier.WEB_SERVER && publicZones < 2) {
      check.fail(
        'vpc',
        'must have public subnets in at least 2 Availability Zones for the highAvailability preset (the load balancer runs there)',
        `${publicZones} zone(s)`,
      );
    }
  } else if (zonesOf(ec2.SubnetType.PUBLIC) < 1) {
    check.fail(
      'vpc',
      'must have a public subnet for the singleInstance preset (the instance gets an Elastic IP)',
      'none',
    );
  }
  check.throwIfInvalid();
}
