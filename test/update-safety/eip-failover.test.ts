import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnTemplate, DeployTimeChanges } from './diff';
import {
  deployment,
  ENV,
  expectAtMostOneLost,
  expectKept,
  expectStatefulKept,
  expectUpdated,
  idsOfType,
  LATEST_AMAZON_LINUX,
  ofType,
  synth,
} from './safety';
import {
  DataVolumeOptions,
  ElasticIpFailoverInstance,
  ElasticIpFailoverInstanceProps,
  FailoverStrategy,
} from '../../src';
import { publicOnlyVpc } from '../support/vpc';

// ElasticIpFailoverInstance: the Elastic IP survives every change made every week; with the
// standby strategy one deployment never takes both instances away at once; with the Auto Scaling
// strategy the group, its Data Lifecycle Manager policy and the group name that tags the data
// volume and its snapshots (how a new instance finds its data) stay as they are.

type Props = (stack: Stack) => Partial<ElasticIpFailoverInstanceProps>;
type Scenario = [name: string, from: Props, to: Props, deployTime: DeployTimeChanges];

function userData(version: string): ec2.UserData {
  const data = ec2.UserData.forLinux();
  data.addCommands(
    'dnf install -y nginx',
    `echo ${version} > /usr/share/nginx/html/version`,
    'systemctl enable --now nginx',
  );
  return data;
}

function image(ami: string): ec2.IMachineImage {
  return ec2.MachineImage.genericLinux({ [ENV.region]: ami });
}

function template(props: Props): CfnTemplate {
  return synth(
    (stack) => new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ...props(stack) }),
  );
}

/** The changes to what the instances run; each row has all four values (jest would take a missing one for `done`). */
function instanceChanges(base: Props): Scenario[] {
  return [
    [
      'a new machine image (given explicitly)',
      (s) => ({ ...base(s), machineImage: image('ami-0aaaaaaaaaaaaaaa1') }),
      (s) => ({ ...base(s), machineImage: image('ami-0aaaaaaaaaaaaaaa2') }),
      {},
    ],
    [
      'a new machine image (AWS publishes a new latest Amazon Linux 2023)',
      base,
      base,
      { ssmParameters: [LATEST_AMAZON_LINUX] },
    ],
    ['new user data', base, (s) => ({ ...base(s), userData: userData('v2') }), {}],
    [
      'another instance type',
      base,
      (s) => ({ ...base(s), instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL) }),
      {},
    ],
  ];
}

/** Synthesizes `from` once per distinct props (the base is shared by most scenarios). */
function beforeOf(from: Props, base: Props, baseTemplate: () => CfnTemplate): CfnTemplate {
  return from === base ? baseTemplate() : template(from);
}

describe('ElasticIpFailoverInstance with FailoverStrategy.standbyInstance(): update safety', () => {
  const STANDBY: Props = () => ({ userData: userData('v1') });
  let base: CfnTemplate;
  let instances: string[];
  beforeAll(() => {
    base = template(STANDBY);
    instances = idsOfType(base, 'AWS::EC2::Instance');
    expect(instances).toHaveLength(2);
  });

  test.each(instanceChanges(STANDBY))('%s: the Elastic IP is kept', (_, from, to, deployTime) => {
    const result = deployment(
      beforeOf(from, STANDBY, () => base),
      template(to),
      deployTime,
    );
    expectStatefulKept(result);
    // The change is seen at all: the launch template gets a new version.
    expectUpdated(result, idsOfType(base, 'AWS::EC2::LaunchTemplate')[0]);
  });

  test.each(instanceChanges(STANDBY))(
    '%s: at most one of the primary and standby instances is replaced',
    (_, from, to, deployTime) => {
      const result = deployment(
        beforeOf(from, STANDBY, () => base),
        template(to),
        deployTime,
      );
      expectAtMostOneLost(result, `the pair's two instances (${instances.join(', ')})`, instances);
    },
  );
});

describe('ElasticIpFailoverInstance with FailoverStrategy.autoScalingGroup() and a data volume: update safety', () => {
  const VOLUME: DataVolumeOptions = { size: Size.gibibytes(20) };
  const GROUP: Props = () => ({
    strategy: FailoverStrategy.autoScalingGroup({ dataVolume: VOLUME }),
    userData: userData('v1'),
  });
  const withVolume =
    (volume: Partial<DataVolumeOptions>): Props =>
    (s) => ({ ...GROUP(s), strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { ...VOLUME, ...volume } }) });

  let base: CfnTemplate;
  let group: string;
  beforeAll(() => {
    base = template(GROUP);
    [group] = idsOfType(base, 'AWS::AutoScaling::AutoScalingGroup');
  });

  /**
   * Where the template keeps the data volume's lineage: the group's name, which the lifecycle hook
   * function tags new volumes and snapshots with and looks them up by, the tag Data Lifecycle
   * Manager targets, and the data retention function's group.
   */
  function lineage(t: CfnTemplate): { [where: string]: unknown } {
    const resources = Object.entries<any>(t.Resources);
    const groupNames = resources
      .filter(([, r]) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')
      .map(([id, r]) => [`${id} AutoScalingGroupName`, r.Properties.AutoScalingGroupName]);
    const targetTags = resources
      .filter(([, r]) => r.Type === 'AWS::DLM::LifecyclePolicy')
      .map(([id, r]) => [`${id} TargetTags`, r.Properties.PolicyDetails.TargetTags]);
    const functions = resources
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.GROUP_NAME)
      .map(([id, r]) => [`${id} GROUP_NAME`, r.Properties.Environment.Variables.GROUP_NAME]);
    return Object.fromEntries([...groupNames, ...targetTags, ...functions]);
  }

  function expectLineageKept(before: CfnTemplate, after: CfnTemplate, result: ReturnType<typeof deployment>): void {
    expectStatefulKept(result);
    expectKept(
      result,
      'the group and its snapshot policy',
      ofType('AWS::AutoScaling::AutoScalingGroup', 'AWS::DLM::LifecyclePolicy'),
    );
    expect(Object.keys(lineage(before))).toHaveLength(4);
    expect(lineage(after)).toEqual(lineage(before));
    // Nothing on the way to these values changes at deployment either.
    expect(lineage(result.effectiveTemplate)).toEqual(lineage(before));
  }

  test.each(instanceChanges(GROUP))(
    '%s: the Elastic IP and the data lineage are kept, the group is updated in place',
    (_, from, to, deployTime) => {
      const before = beforeOf(from, GROUP, () => base);
      const after = template(to);
      const result = deployment(before, after, deployTime);
      expectLineageKept(before, after, result);
      expectUpdated(result, group, /LatestVersionNumber: .*LaunchTemplate.* is updated/);
    },
  );

  test.each<[string, Props]>([
    ['a larger data volume', withVolume({ size: Size.gibibytes(50) })],
    ['more IOPS and throughput', withVolume({ iops: 6000, throughput: 250 })],
    ['another volume type', withVolume({ volumeType: ec2.EbsDeviceVolumeType.IO2, iops: 4000 })],
    ['another mount path', withVolume({ mountPath: '/var/lib/app' })],
    ['another device name', withVolume({ deviceName: '/dev/sdg' })],
    [
      'another snapshot interval and retention',
      withVolume({ snapshotInterval: Duration.hours(4), snapshotRetention: 48 }),
    ],
    ['a longer replacedDataRetention', withVolume({ replacedDataRetention: Duration.days(14) })],
    ['a shorter replacedDataRetention', withVolume({ replacedDataRetention: Duration.days(2) })],
  ])('dataVolume, %s: the Elastic IP and the data lineage are kept', (_, to) => {
    const after = template(to);
    const result = deployment(base, after);
    expect(result.changes.length).toBeGreaterThan(0);
    expectLineageKept(base, after, result);
  });
});
