import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { EnvironmentPreset, EnvironmentTier } from './options';
import { PropsValidator } from '../common/validation';

/**
 * Records in `check` why the VPC cannot hold the environment, if it cannot: the high-availability
 * preset needs private subnets with egress (instances) and, for the web server tier, public
 * subnets (load balancer) in at least 2 Availability Zones; a single instance needs a public subnet.
 */
export function checkBeanstalkVpc(
  check: PropsValidator,
  vpc: ec2.IVpc,
  preset: EnvironmentPreset,
  tier: EnvironmentTier,
): void {
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
}
