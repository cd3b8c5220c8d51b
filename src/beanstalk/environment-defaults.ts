import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BeanstalkEnvironmentOptions } from './environment-options';
import { DeploymentPolicy, EnvironmentPreset, EnvironmentTier, PlatformUpdateLevel } from './options';

// Internal: the defaults of the settings an environment and a pair share, applied in one place.
// Not exported from the package.

/** {@link BeanstalkEnvironmentOptions} with every default applied. */
export interface ResolvedEnvironmentOptions extends BeanstalkEnvironmentOptions {
  readonly preset: EnvironmentPreset;
  readonly tier: EnvironmentTier;
  readonly deploymentPolicy: DeploymentPolicy;
  readonly instanceType: ec2.InstanceType;
  readonly healthCheckPath: string;
  readonly environmentVariables: { [name: string]: string };
  readonly logRetention: logs.RetentionDays;
  readonly maintenanceWindowStart: string;
  readonly updateLevel: PlatformUpdateLevel;
  readonly optionSettings: elasticbeanstalk.CfnEnvironment.OptionSettingProperty[];
}

/** Applies the documented defaults of {@link BeanstalkEnvironmentOptions}. */
export function resolveEnvironmentOptions(options: BeanstalkEnvironmentOptions): ResolvedEnvironmentOptions {
  const preset = options.preset ?? EnvironmentPreset.highAvailability();
  return {
    ...options,
    preset,
    tier: options.tier ?? EnvironmentTier.WEB_SERVER,
    deploymentPolicy: options.deploymentPolicy ?? defaultDeploymentPolicy(preset),
    instanceType: options.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
    healthCheckPath: options.healthCheckPath ?? '/',
    environmentVariables: options.environmentVariables ?? {},
    logRetention: options.logRetention ?? logs.RetentionDays.ONE_YEAR,
    maintenanceWindowStart: options.maintenanceWindowStart ?? 'Sun:03:00',
    updateLevel: options.updateLevel ?? PlatformUpdateLevel.MINOR,
    optionSettings: options.optionSettings ?? [],
  };
}

/** Immutable for a load-balanced environment (full capacity, quick rollback); all at once for one instance. */
function defaultDeploymentPolicy(preset: EnvironmentPreset): DeploymentPolicy {
  return preset.loadBalanced ? DeploymentPolicy.immutable() : DeploymentPolicy.allAtOnce();
}
