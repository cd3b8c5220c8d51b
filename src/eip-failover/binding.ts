import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { ElasticIpFailoverInstanceProps } from './elastic-ip-failover-instance';

// Internal: what ElasticIpFailoverInstance hands a FailoverStrategy and what it gets back.
// Not exported from the package (src/eip-failover/index.ts does not re-export this file).

/** The resources every strategy shares, created by the construct before the strategy binds. */
export interface FailoverContext {
  readonly props: ElasticIpFailoverInstanceProps;
  /** Public subnets, one per Availability Zone, at least two. */
  readonly subnets: ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly elasticIp: ec2.CfnEIP;
  readonly notificationTopic: sns.ITopic;
  /** The tag whose value (`primary` or `standby`) names an instance's current role. */
  readonly roleTagKey: string;
  readonly terminationProtection: boolean;
}

/** What a strategy created, exposed by the construct. */
export interface FailoverBinding {
  readonly primaryInstance?: ec2.CfnInstance;
  readonly standbyInstance?: ec2.CfnInstance;
  readonly failoverFunction?: lambda.Function;
  readonly deadLetterQueue?: sqs.IQueue;
  readonly alarms: cloudwatch.Alarm[];
}
