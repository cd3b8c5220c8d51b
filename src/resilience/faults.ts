import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import { isoMinutes } from './experiment-spec';
import { nagArn } from '../common/acknowledge';

// Internal: the fault actions and the role statements several constructs' experiments share.
// Not exported from the package.

/** Every resource of a type in this account and region: `arn:...:ec2:<region>:<account>:<type>/*`. */
function ec2Arns(stack: Stack, type: string): string {
  return stack.formatArn({ service: 'ec2', resource: type, resourceName: '*' });
}

/** The AWS managed CPU stress document (no account in its ARN). */
export function cpuStressDocument(stack: Stack): string {
  return stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWSFIS-Run-CPU-Stress' });
}

/** A CPU stress of every CPU at 100% for `duration` (the document installs stress-ng if needed). */
export function cpuStress(stack: Stack, duration: Duration, target: string) {
  return {
    actionId: 'aws:ssm:send-command',
    parameters: {
      documentArn: cpuStressDocument(stack),
      documentParameters: JSON.stringify({
        DurationSeconds: String(duration.toSeconds()),
        InstallDependencies: 'True',
        CPU: '0',
        LoadPercent: '100',
      }),
      // The command's own time plus a minute to install the stress tool.
      duration: isoMinutes(duration.plus(Duration.minutes(1))),
    },
    targets: { Instances: target },
  };
}

export function subnetArn(stack: Stack, subnet: ec2.ISubnet): string {
  return stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet.subnetId });
}

/**
 * What aws:network:disrupt-connectivity needs (AWS FIS Actions reference; the managed policy
 * AWSFaultInjectionSimulatorNetworkAccess): it clones the subnet's network ACL into one tagged
 * managedByFIS=true in this VPC, adds deny entries, swaps the association, and deletes it after.
 * Creating, editing and deleting are limited to ACLs with that tag; the swap to these subnets.
 */
export function disruptConnectivityStatements(
  stack: Stack,
  vpc: ec2.IVpc,
  subnets: ec2.ISubnet[],
): iam.PolicyStatement[] {
  const acls = ec2Arns(stack, 'network-acl');
  const fisTag = { 'aws:RequestTag/managedByFIS': 'true' };
  return [
    new iam.PolicyStatement({
      sid: 'CreateFisNetworkAclsInThisVpc',
      actions: ['ec2:CreateNetworkAcl'],
      resources: [stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: vpc.vpcId })],
    }),
    new iam.PolicyStatement({
      sid: 'CreateFisNetworkAcls',
      actions: ['ec2:CreateNetworkAcl'],
      resources: [acls],
      conditions: { StringEquals: fisTag },
    }),
    new iam.PolicyStatement({
      sid: 'TagFisNetworkAclsOnCreation',
      actions: ['ec2:CreateTags'],
      resources: [acls],
      conditions: { StringEquals: { ...fisTag, 'ec2:CreateAction': 'CreateNetworkAcl' } },
    }),
    new iam.PolicyStatement({
      sid: 'EditAndDeleteFisNetworkAcls',
      actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
      resources: [acls],
      conditions: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } },
    }),
    new iam.PolicyStatement({
      sid: 'SwapTheNetworkAclOfTheseSubnets',
      actions: ['ec2:ReplaceNetworkAclAssociation'],
      resources: [acls, ...subnets.map((s) => subnetArn(stack, s))],
    }),
    new iam.PolicyStatement({
      sid: 'ReadTheNetwork',
      actions: ['ec2:DescribeNetworkAcls', 'ec2:DescribeVpcs', 'ec2:DescribeManagedPrefixLists'],
      resources: ['*'],
    }),
  ];
}

/** One Availability Zone of a group's instances: its name and the subnets cut off when it is lost. */
export interface ZoneSubnets {
  readonly zone: string;
  readonly subnets: ec2.ISubnet[];
}

/** What {@link groupExperiments} builds experiments for. */
export interface GroupExperimentsInput {
  readonly stack: Stack;
  /** The construct's path, for the descriptions. */
  readonly path: string;
  /** The tags every instance of the group has and no other instance has. */
  readonly tags: Record<string, string>;
  /** The zones, in order: `ZoneLost1` is the first. */
  readonly zones: ZoneSubnets[];
  readonly vpc: ec2.IVpc;
  readonly faultDuration: Duration;
  /** What a lost zone stops (for the descriptions): `the instances`. */
  readonly what: string;
  /** Whether the CPU stress experiment is used (its SSM permissions are granted only then). */
  readonly cpuStress: boolean;
}

/** The experiments and the role's statements of a group of instances behind a load balancer. */
export interface GroupExperiments {
  readonly terminate: ExperimentParts;
  readonly zonesLost: (ExperimentParts & { readonly name: string })[];
  readonly cpuStress: ExperimentParts;
  readonly statements: iam.PolicyStatement[];
  readonly acknowledgements: { readonly id: string; readonly reason: string }[];
}

/** An experiment without its name, stop conditions and budget. */
export interface ExperimentParts {
  readonly description: string;
  readonly targets: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty>;
  readonly actions: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty>;
}

/**
 * Terminate one instance of the group; per zone, stop its instances there and cut its subnets
 * off for the fault duration; stress the CPUs of one instance. The role may act only on instances
 * with the group's tags, on FIS's own network ACLs and on these subnets.
 */
export function groupExperiments(input: GroupExperimentsInput): GroupExperiments {
  const { stack } = input;
  const running = [{ path: 'State.Name', values: ['running'] }];
  const tagged = (filters = running) => ({
    resourceType: 'aws:ec2:instance',
    resourceTags: input.tags,
    filters,
  });
  const condition = (prefix: string) => ({
    StringEquals: Object.fromEntries(Object.entries(input.tags).map(([k, v]) => [`${prefix}/${k}`, v])),
  });
  const allSubnets = input.zones.flatMap((z) => z.subnets);
  return {
    terminate: {
      description: `Terminates one instance of ${input.path}`,
      targets: { Instance: { ...tagged(), selectionMode: 'COUNT(1)' } },
      actions: { Terminate: { actionId: 'aws:ec2:terminate-instances', targets: { Instances: 'Instance' } } },
    },
    zonesLost: input.zones.map((z, i) => ({
      name: `ZoneLost${i + 1}`,
      description: `Stops ${input.what} of ${input.path} in ${z.zone} and cuts that zone's subnets off for the fault duration`,
      targets: {
        Instances: {
          ...tagged([...running, { path: 'Placement.AvailabilityZone', values: [z.zone] }]),
          selectionMode: 'ALL',
        },
        Subnets: {
          resourceType: 'aws:ec2:subnet',
          resourceArns: z.subnets.map((s) => subnetArn(stack, s)),
          selectionMode: 'ALL',
        },
      },
      actions: zoneLostActions(input.faultDuration, 'Instances', 'Subnets'),
    })),
    cpuStress: {
      description: `Loads every CPU of one instance of ${input.path} to 100% for the fault duration (AWSFIS-Run-CPU-Stress), to exercise the scaling and the alarms`,
      targets: { Instance: { ...tagged(), selectionMode: 'COUNT(1)' } },
      actions: { Stress: cpuStress(stack, input.faultDuration, 'Instance') },
    },
    statements: [
      new iam.PolicyStatement({
        sid: 'StopStartAndTerminateInstancesOfThisGroup',
        actions: ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:TerminateInstances'],
        resources: [ec2Arns(stack, 'instance')],
        conditions: condition('aws:ResourceTag'),
      }),
      ...(input.cpuStress
        ? [
            new iam.PolicyStatement({
              sid: 'StressInstancesOfThisGroup',
              actions: ['ssm:SendCommand'],
              resources: [ec2Arns(stack, 'instance')],
              conditions: condition('ssm:resourceTag'),
            }),
            new iam.PolicyStatement({
              sid: 'WithTheCpuStressDocument',
              actions: ['ssm:SendCommand'],
              resources: [cpuStressDocument(stack)],
            }),
          ]
        : []),
      new iam.PolicyStatement({
        sid: 'ResolveAndFollowUp',
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeSubnets',
          ...(input.cpuStress ? ['ssm:ListCommands', 'ssm:CancelCommand'] : []),
        ],
        resources: ['*'],
      }),
      ebsKeyGrant(stack),
      ...disruptConnectivityStatements(stack, input.vpc, allSubnets),
    ],
    acknowledgements: [
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'ec2', 'instance/*')}]`,
        reason: `The group's instance ids are known only at run time: stopping, starting, terminating and stressing require the tag(s) ${Object.keys(input.tags).join(', ')} of this group.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'ec2', 'network-acl/*')}]`,
        reason:
          'The network ACL aws:network:disrupt-connectivity uses is a clone AWS FIS creates at run time: creating it requires the request tag managedByFIS=true, editing and deleting it require that tag on it, and its association may be swapped on these subnets only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'kms', 'key/*')}]`,
        reason:
          "kms:CreateGrant is allowed only through EC2 and for AWS resources (kms:ViaService, kms:GrantIsForAWSResource), so that EC2 can start an instance stopped by an experiment with its encrypted volumes: their key is the account's EBS default key, unknown here.",
      },
    ],
  };
}

/**
 * A lost zone: its instances stopped (started again after `duration`, unless their group replaced
 * them meanwhile) and its subnets cut off (a network ACL denying all traffic) for `duration`.
 */
export function zoneLostActions(
  duration: Duration,
  instancesTarget: string,
  subnetsTarget: string,
): Record<string, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty> {
  const iso = isoMinutes(duration);
  return {
    Stop: {
      actionId: 'aws:ec2:stop-instances',
      // The group replaces stopped instances, so they may be gone when the fault ends.
      parameters: { startInstancesAfterDuration: iso, completeIfInstancesTerminated: 'true' },
      targets: { Instances: instancesTarget },
    },
    Disrupt: {
      actionId: 'aws:network:disrupt-connectivity',
      parameters: { duration: iso, scope: 'all' },
      targets: { Subnets: subnetsTarget },
    },
  };
}

/** kms:CreateGrant for EC2 on the volumes' key (`key` when known), to start stopped instances. */
export function ebsKeyGrant(stack: Stack, keyArn?: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'LetEc2UseTheVolumesKey',
    actions: ['kms:CreateGrant'],
    resources: [keyArn ?? stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
    conditions: {
      StringLike: { 'kms:ViaService': `ec2.${stack.region}.amazonaws.com` },
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    },
  });
}
