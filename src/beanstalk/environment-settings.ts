import { Fn } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DeploymentPolicy, EnvironmentPreset, PlatformUpdateLevel } from './options';

// Internal: the option settings of a BeanstalkEnvironment, one function per concern, each
// returning its settings in the order the environment lists them. Not exported from the package.

type OptionSetting = elasticbeanstalk.CfnEnvironment.OptionSettingProperty;

/** The TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only. */
const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

const APPLICATION_ENVIRONMENT = 'aws:elasticbeanstalk:application:environment';

function setting(namespace: string, optionName: string, value: string): OptionSetting {
  return { namespace, optionName, value };
}

/** `aws:elasticbeanstalk:environment`: the environment type, the service role, the load balancer type. */
export function environmentTypeSettings(
  preset: EnvironmentPreset,
  serviceRole: iam.IRole,
  withLoadBalancer: boolean,
): OptionSetting[] {
  const env = 'aws:elasticbeanstalk:environment';
  return [
    setting(env, 'EnvironmentType', preset.loadBalanced ? 'LoadBalanced' : 'SingleInstance'),
    setting(env, 'ServiceRole', serviceRole.roleArn),
    ...(withLoadBalancer ? [setting(env, 'LoadBalancerType', 'application')] : []),
  ];
}

/**
 * The instances: launch configuration (instance profile, IMDSv2 only, gp3, security group), the
 * instance type and, when load balanced, the Auto Scaling group's size.
 */
export function instanceSettings(
  preset: EnvironmentPreset,
  instanceProfile: iam.InstanceProfile,
  securityGroup: ec2.ISecurityGroup,
  instanceType: ec2.InstanceType,
): OptionSetting[] {
  const launch = 'aws:autoscaling:launchconfiguration';
  return [
    setting(launch, 'IamInstanceProfile', instanceProfile.instanceProfileArn),
    setting(launch, 'DisableIMDSv1', 'true'),
    setting(launch, 'RootVolumeType', 'gp3'),
    setting(launch, 'SecurityGroups', securityGroup.securityGroupId),
    setting(launch, 'DisableDefaultEC2SecurityGroup', 'true'),
    setting('aws:ec2:instances', 'InstanceTypes', instanceType.toString()),
    ...(preset.loadBalanced
      ? [
          setting('aws:autoscaling:asg', 'MinSize', String(preset.minInstances)),
          setting('aws:autoscaling:asg', 'MaxSize', String(preset.maxInstances)),
        ]
      : []),
  ];
}

/**
 * `aws:ec2:vpc`: the instances in private subnets without public addresses (load balanced) or in
 * public subnets with one (single instance); the load balancer, if any, public in public subnets.
 */
export function vpcSettings(vpc: ec2.IVpc, preset: EnvironmentPreset, withLoadBalancer: boolean): OptionSetting[] {
  const namespace = 'aws:ec2:vpc';
  const instanceSubnets = vpc.selectSubnets({
    subnetType: preset.loadBalanced ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
  });
  const settings = [
    setting(namespace, 'VPCId', vpc.vpcId),
    setting(namespace, 'Subnets', Fn.join(',', instanceSubnets.subnetIds)),
    setting(namespace, 'AssociatePublicIpAddress', preset.loadBalanced ? 'false' : 'true'),
  ];
  if (withLoadBalancer) {
    const publicSubnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC });
    settings.push(setting(namespace, 'ELBSubnets', Fn.join(',', publicSubnets.subnetIds)));
    settings.push(setting(namespace, 'ELBScheme', 'public'));
  }
  return settings;
}

/**
 * The Application Load Balancer: its security group, the health check path and, with a
 * certificate, HTTPS on 443 with port 80 off. None without a load balancer (`securityGroup`).
 */
export function loadBalancerSettings(
  securityGroup: ec2.ISecurityGroup | undefined,
  healthCheckPath: string,
  certificate: acm.ICertificate | undefined,
): OptionSetting[] {
  if (securityGroup === undefined) return [];
  const settings = [
    setting('aws:elbv2:loadbalancer', 'SecurityGroups', securityGroup.securityGroupId),
    setting('aws:elbv2:loadbalancer', 'ManagedSecurityGroup', securityGroup.securityGroupId),
    setting('aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath', healthCheckPath),
  ];
  if (certificate) {
    settings.push(
      setting('aws:elbv2:listener:443', 'Protocol', 'HTTPS'),
      setting('aws:elbv2:listener:443', 'SSLCertificateArns', certificate.certificateArn),
      setting('aws:elbv2:listener:443', 'SSLPolicy', SSL_POLICY),
      setting('aws:elbv2:listener:default', 'ListenerEnabled', 'false'),
    );
  }
  return settings;
}

/**
 * `aws:elasticbeanstalk:healthreporting:system`: enhanced health, and the config document of the
 * custom metrics it publishes (`configDocument`, the web server tier's request metrics).
 */
export function healthReportingSettings(configDocument?: string): OptionSetting[] {
  const namespace = 'aws:elasticbeanstalk:healthreporting:system';
  return [
    setting(namespace, 'SystemType', 'enhanced'),
    ...(configDocument === undefined ? [] : [setting(namespace, 'ConfigDocument', configDocument)]),
  ];
}

/** Managed platform updates in a weekly window, with instance refresh. */
export function managedUpdatesSettings(
  maintenanceWindowStart: string,
  updateLevel: PlatformUpdateLevel,
): OptionSetting[] {
  const actions = 'aws:elasticbeanstalk:managedactions';
  const platformUpdate = 'aws:elasticbeanstalk:managedactions:platformupdate';
  return [
    setting(actions, 'ManagedActionsEnabled', 'true'),
    setting(actions, 'PreferredStartTime', maintenanceWindowStart),
    setting(platformUpdate, 'UpdateLevel', updateLevel),
    setting(platformUpdate, 'InstanceRefreshEnabled', 'true'),
  ];
}

/**
 * Instance and health logs streamed to CloudWatch Logs with retention, kept after termination;
 * rotated logs published to S3.
 */
export function logsSettings(retention: logs.RetentionDays): OptionSetting[] {
  const days = String(retention);
  const instanceLogs = 'aws:elasticbeanstalk:cloudwatch:logs';
  const healthLogs = 'aws:elasticbeanstalk:cloudwatch:logs:health';
  return [
    setting(instanceLogs, 'StreamLogs', 'true'),
    setting(instanceLogs, 'DeleteOnTerminate', 'false'),
    setting(instanceLogs, 'RetentionInDays', days),
    setting(healthLogs, 'HealthStreamingEnabled', 'true'),
    setting(healthLogs, 'DeleteOnTerminate', 'false'),
    setting(healthLogs, 'RetentionInDays', days),
    setting('aws:elasticbeanstalk:hostmanager', 'LogPublicationControl', 'true'),
  ];
}

/** `aws:elasticbeanstalk:command` and `aws:elasticbeanstalk:trafficsplitting`: the deployment policy. */
export function deploymentSettings(policy: DeploymentPolicy): OptionSetting[] {
  const command = 'aws:elasticbeanstalk:command';
  const settings = [setting(command, 'DeploymentPolicy', policy.policy)];
  if (policy.batch) {
    settings.push(
      setting(command, 'BatchSizeType', policy.batch.sizeType),
      setting(command, 'BatchSize', String(policy.batch.value)),
    );
  }
  if (policy.newVersionPercent !== undefined) {
    settings.push(
      setting('aws:elasticbeanstalk:trafficsplitting', 'NewVersionPercent', String(policy.newVersionPercent)),
      setting('aws:elasticbeanstalk:trafficsplitting', 'EvaluationTime', String(policy.evaluationTime!.toMinutes())),
    );
  }
  return settings;
}

/** `aws:elasticbeanstalk:sqsd`: the worker daemon's queue. None for the web server tier (no `queue`). */
export function workerQueueSettings(queue: sqs.IQueue | undefined): OptionSetting[] {
  if (queue === undefined) return [];
  return [
    setting('aws:elasticbeanstalk:sqsd', 'WorkerQueueURL', queue.queueUrl),
    setting('aws:elasticbeanstalk:sqsd', 'HttpPath', '/'),
  ];
}

/**
 * The database's connection settings as environment variables, and its secret (by ARN, resolved by
 * Elastic Beanstalk on the instance) as `DB_SECRET`. None without a database (`connection`).
 */
export function databaseSettings(connection: { [name: string]: string } | undefined): OptionSetting[] {
  if (connection === undefined) return [];
  const settings = applicationEnvironmentSettings(connection);
  if (connection.DB_SECRET_ARN !== undefined) {
    // Elastic Beanstalk resolves the secret on the instance; the template holds only its ARN.
    settings.push(
      setting('aws:elasticbeanstalk:application:environmentsecrets', 'DB_SECRET', connection.DB_SECRET_ARN),
    );
  }
  return settings;
}

/** `aws:elasticbeanstalk:application:environment`: the application's environment variables. */
export function applicationEnvironmentSettings(variables: { [name: string]: string }): OptionSetting[] {
  return Object.entries(variables).map(([name, value]) => setting(APPLICATION_ENVIRONMENT, name, value));
}
