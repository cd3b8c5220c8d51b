import { Acknowledgment, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { StrategyExperimentFacts } from './binding';
import { FAILOVER_PAIR_TAG, PRIMARY_ROLE, ROLE_TAG } from './contract';
import type { HealthProbe } from './health-probe';
import { ec2Arn, ec2NagArn } from './naming';
import { nagArn } from '../common/acknowledge';
import { ExperimentSpec, isoMinutes, ResilienceExperimentsSpec } from '../resilience/experiment-spec';
import {
  cpuStress,
  cpuStressDocument,
  disruptConnectivityStatements,
  ebsKeyGrant,
  subnetArn,
  zoneLostActions,
} from '../resilience/faults';

// Internal: the resilience experiments of ElasticIpFailoverInstance, per strategy. Not exported
// from the package.

/** The tag Auto Scaling puts on the instances of a group. */
const GROUP_NAME_TAG = 'aws:autoscaling:groupName';

/** What the experiments target and stop on (internal). */
export interface FailoverExperimentsInput {
  readonly path: string;
  readonly facts: StrategyExperimentFacts;
  readonly allocationId: string;
  readonly publicIp: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.ISubnet[];
  readonly groupName?: string;
  readonly operatorAlarms: cloudwatch.IAlarm[];
  readonly notificationTopic: sns.ITopic;
  readonly ebsEncryptionKey?: kms.IKey;
  readonly faultDuration: Duration;
  /** The probe the verifier uses (the options', or the strategy's). */
  readonly probe?: HealthProbe;
}

/** The operator alarms an experiment stops on: failures of the recovery itself, never of the fault. */
function stopAlarms(alarms: cloudwatch.IAlarm[]): cloudwatch.IAlarm[] {
  const wanted = ['FailoverErrorsAlarm', 'DeadLetterMessagesAlarm', 'TimeToRecoveryAlarm', 'AbandonedLaunchesAlarm'];
  return alarms.filter((a) => wanted.includes(a.node.id));
}

/** The experiments of a pair (standby strategy) or a group (Auto Scaling strategy). */
export function failoverExperiments(input: FailoverExperimentsInput): ResilienceExperimentsSpec {
  const stack = Stack.of(input.vpc);
  const duration = isoMinutes(input.faultDuration);
  const stops = stopAlarms(input.operatorAlarms);
  const running = [{ path: 'State.Name', values: ['running'] }];
  const experiments: ExperimentSpec[] = [];
  const statements: iam.PolicyStatement[] = [];
  const instances = ec2Arn(stack, 'instance');
  const tagged: Record<string, string> = input.groupName
    ? { [GROUP_NAME_TAG]: input.groupName }
    : { [FAILOVER_PAIR_TAG]: input.allocationId };
  const ofTheseInstances = {
    StringEquals: Object.fromEntries(Object.entries(tagged).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
  };
  const ssmOfTheseInstances = {
    StringEquals: Object.fromEntries(Object.entries(tagged).map(([k, v]) => [`ssm:resourceTag/${k}`, v])),
  };

  if (!input.groupName) {
    // The primary is whichever instance is tagged primary when the experiment starts: after a
    // failover that is the former standby.
    const primary = { [FAILOVER_PAIR_TAG]: input.allocationId, [ROLE_TAG]: PRIMARY_ROLE };
    experiments.push(
      {
        name: 'StopPrimary',
        description: `Stops the primary of ${input.path} (the instance tagged ${ROLE_TAG}=${PRIMARY_ROLE} when it starts) for the fault duration: the Elastic IP moves to the standby`,
        targets: {
          Primary: { resourceType: 'aws:ec2:instance', resourceTags: primary, filters: running, selectionMode: 'ALL' },
        },
        actions: {
          Stop: {
            actionId: 'aws:ec2:stop-instances',
            parameters: { startInstancesAfterDuration: duration },
            targets: { Instances: 'Primary' },
          },
        },
        stopConditions: stops,
        budget: input.facts.standbyStopped ? Duration.seconds(75) : Duration.seconds(15),
      },
      {
        name: 'CpuStress',
        description: `Loads every CPU of the primary of ${input.path} to 100% for the fault duration (AWSFIS-Run-CPU-Stress), to exercise its CPU alarm`,
        targets: {
          Primary: { resourceType: 'aws:ec2:instance', resourceTags: primary, filters: running, selectionMode: 'ALL' },
        },
        actions: {
          Stress: cpuStress(stack, input.faultDuration, 'Primary'),
        },
        stopConditions: stops,
        budget: input.facts.standbyStopped ? Duration.seconds(75) : Duration.seconds(15),
      },
    );
    statements.push(
      new iam.PolicyStatement({
        sid: 'StopAndStartInstancesOfThisPair',
        actions: ['ec2:StopInstances', 'ec2:StartInstances'],
        resources: [instances],
        conditions: ofTheseInstances,
      }),
    );
  } else {
    experiments.push({
      name: 'TerminateInstance',
      description: `Terminates the instance of ${input.path}: the group launches a replacement, which gets the Elastic IP${input.facts.dataVolume ? ' and the data volume' : ''}`,
      targets: {
        Instance: { resourceType: 'aws:ec2:instance', resourceTags: tagged, filters: running, selectionMode: 'ALL' },
      },
      actions: { Terminate: { actionId: 'aws:ec2:terminate-instances', targets: { Instances: 'Instance' } } },
      stopConditions: stops,
      budget: input.facts.dataVolume ? Duration.minutes(10) : Duration.minutes(7),
      carriesData: input.facts.dataVolume,
    });
    input.subnets.forEach((subnet, i) => {
      experiments.push({
        name: `ZoneLost${i + 1}`,
        description: `Stops the instance of ${input.path} in ${subnet.availabilityZone} and cuts that zone's subnet off for the fault duration: run it for the zone the instance is in`,
        targets: {
          Instance: {
            resourceType: 'aws:ec2:instance',
            resourceTags: tagged,
            filters: [...running, { path: 'Placement.AvailabilityZone', values: [subnet.availabilityZone] }],
            selectionMode: 'ALL',
          },
          Subnet: { resourceType: 'aws:ec2:subnet', resourceArns: [subnetArn(stack, subnet)], selectionMode: 'ALL' },
        },
        actions: zoneLostActions(input.faultDuration, 'Instance', 'Subnet'),
        stopConditions: stops,
        budget: input.facts.dataVolume ? Duration.minutes(20) : Duration.minutes(7),
        carriesData: input.facts.dataVolume,
      });
    });
    statements.push(
      new iam.PolicyStatement({
        sid: 'StopStartAndTerminateInstancesOfThisGroup',
        actions: ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:TerminateInstances'],
        resources: [instances],
        conditions: ofTheseInstances,
      }),
      ...disruptConnectivityStatements(stack, input.vpc, input.subnets),
    );
  }

  statements.push(
    new iam.PolicyStatement({
      sid: 'ResolveInstances',
      actions: ['ec2:DescribeInstances', 'ec2:DescribeSubnets', 'ssm:ListCommands'],
      resources: ['*'],
    }),
    // Restarting a stopped instance with encrypted volumes needs a grant on their key, for EC2.
    ebsKeyGrant(stack, input.ebsEncryptionKey?.keyArn),
  );
  if (!input.groupName) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'StressTheseInstances',
        actions: ['ssm:SendCommand'],
        resources: [instances],
        conditions: ssmOfTheseInstances,
      }),
      new iam.PolicyStatement({
        sid: 'WithTheCpuStressDocument',
        actions: ['ssm:SendCommand'],
        resources: [cpuStressDocument(stack)],
      }),
      new iam.PolicyStatement({ sid: 'CancelTheStress', actions: ['ssm:CancelCommand'], resources: ['*'] }),
    );
  }

  const acknowledgements: Acknowledgment[] = [
    {
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'instance')}]`,
      reason: input.groupName
        ? `The group's instance ids are known only at run time: stopping, starting and terminating require the tag ${GROUP_NAME_TAG} = this group.`
        : `A failover swaps the roles of the two instances, so the primary is chosen at run time by tag: stopping, starting and stressing require the tag ${FAILOVER_PAIR_TAG} = this pair's Elastic IP.`,
    },
  ];
  if (input.groupName) {
    acknowledgements.push({
      id: `AwsSolutions-IAM5[Resource::${ec2NagArn(stack, 'network-acl')}]`,
      reason:
        'The network ACL aws:network:disrupt-connectivity uses is a clone AWS FIS creates at run time: creating it requires the request tag managedByFIS=true, editing and deleting it require that tag on it, and its association may be swapped on these subnets only.',
    });
  }
  if (!input.ebsEncryptionKey) {
    acknowledgements.push({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'kms', 'key/*')}]`,
      reason:
        "kms:CreateGrant is allowed only through EC2 and for AWS resources (kms:ViaService, kms:GrantIsForAWSResource), so that EC2 can start an instance stopped by an experiment with its encrypted volumes: their key is the account's EBS default key, unknown here (give ebsEncryptionKey to name it).",
    });
  }

  const probe = input.probe;
  const mountPath = input.facts.dataVolumeMountPath;
  return {
    acknowledgements,
    constructName: 'ElasticIpFailoverInstance',
    experiments,
    permissions: (role) => statements.forEach((s) => role.addToPrincipalPolicy(s)),
    notificationTopic: input.notificationTopic,
    probe: probe
      ? {
          protocol: probe.protocol as 'http' | 'https' | 'tcp',
          host: input.publicIp,
          port: probe.port,
          path: probe.path,
          what: 'the service through the Elastic IP',
        }
      : undefined,
    // The data volume moves with the instance: the verifier writes a marker to it before the
    // experiment and reads it on the replacement after the recovery.
    dataMarker:
      input.groupName && mountPath
        ? {
            allocationId: input.allocationId,
            mountPath,
            instanceTag: { key: GROUP_NAME_TAG, value: input.groupName },
          }
        : undefined,
  };
}
