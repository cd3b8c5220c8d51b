import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { DataVolumeBackupResources } from './data-volume-backup-binding';
import type { HealthProbe } from './health-probe';
import type { DataVolumeOptions } from './options';

// Internal: what ElasticIpFailoverInstance hands a FailoverStrategy and what it gets back.
// Not exported from the package (src/eip-failover/index.ts does not re-export this file).

/** The resources every strategy shares, created by the construct before the strategy binds. */
export interface FailoverContext {
  readonly vpc: ec2.IVpc;
  /** Public subnets, one per Availability Zone, at least two. */
  readonly subnets: ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly elasticIp: ec2.CfnEIP;
  readonly notificationTopic: sns.ITopic;
  /** The customer managed key EBS encrypts the construct's volumes with, if one was given. */
  readonly ebsEncryptionKey?: kms.IKey;
}

/**
 * The construct-level props that belong to one strategy, kept one release as deprecated aliases:
 * each strategy takes the ones it has an option for, or refuses them.
 */
export interface DeprecatedStrategyProps {
  readonly dataVolume?: DataVolumeOptions;
  readonly terminationProtection?: boolean;
}

/** What a strategy needs from the shared resources, asked before they are created. */
export interface StrategyRequirements {
  /** The user data of the launch template. */
  readonly userData?: ec2.UserData;
  /** Whether the launch template gives instances a public IP (and so carries the security group on its interface). */
  readonly associatePublicIpAddress?: boolean;
  /** Whether instances can read their tags from instance metadata. */
  readonly instanceMetadataTags?: boolean;
  /** Service-linked roles that publish to the notification topic (and so must use its key). */
  readonly topicPublishers?: { service: string; roleName: string }[];
}

/** What a strategy created, exposed by the construct. */
export interface FailoverBinding {
  readonly autoScalingGroup?: autoscaling.AutoScalingGroup;
  readonly snapshotPolicy?: dlm.CfnLifecyclePolicy;
  /** With `dataVolume.backupPlan`. */
  readonly dataVolumeBackup?: DataVolumeBackupResources;
  readonly primaryInstance?: ec2.CfnInstance;
  readonly standbyInstance?: ec2.CfnInstance;
  readonly failoverFunction?: lambda.Function;
  readonly deadLetterQueue?: sqs.IQueue;
  readonly alarms: cloudwatch.Alarm[];
}

/** What the resilience experiments need to know of a strategy. */
export interface StrategyExperimentFacts {
  readonly healthProbe?: HealthProbe;
  readonly standbyStopped: boolean;
  readonly dataVolume: boolean;
  /** Where the data volume is mounted (with a data volume). */
  readonly dataVolumeMountPath?: string;
}
