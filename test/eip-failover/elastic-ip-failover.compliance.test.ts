import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ElasticIpFailoverInstance, ElasticIpFailoverInstanceProps, FailoverStrategy, StandbyState } from '../../src';
import { acknowledgementsOn } from '../support/acknowledgements';
import { Finding, formatFindings, synthFindings } from '../support/checked-app';
import { newComplianceApp } from '../support/compliance';
import { publicOnlyVpc } from '../support/vpc';
import { CfnTemplate } from '../update-safety/diff';
import { deployment, expectKept, expectStatefulKept, idsOfType, ofType, synth } from '../update-safety/safety';

// ElasticIpFailoverInstance under cdk-nag's NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs
// (beside AwsSolutions) and checkov: the stopped standby is stopped by the placement the failover
// function answers (no AwsCustomResource, so no provider function without a dead-letter queue, a
// concurrency limit or a VPC, and no inline policy); the instances' subnet, instance profile and
// public address are acknowledged on each instance with why; and an update from the templates of the
// release before these changes replaces no instance, Elastic IP or launch template.

const EU_WEST_1 = { env: { region: 'eu-west-1' } };
const PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/** The example app's licence server: a stopped standby, CPU threshold 95, HTTPS open to the internet. */
const LICENCE_SERVER: Partial<ElasticIpFailoverInstanceProps> = {
  strategy: FailoverStrategy.standbyInstance({ standbyState: StandbyState.STOPPED, cpuThreshold: 95 }),
};

/** The example app's file server: an Auto Scaling group of one with a data volume. */
const FILE_SERVER: Partial<ElasticIpFailoverInstanceProps> = {
  strategy: FailoverStrategy.autoScalingGroup({
    healthCheckGracePeriod: Duration.minutes(5),
    dataVolume: {
      size: Size.gibibytes(20),
      mountPath: '/var/lib/app',
      snapshotInterval: Duration.hours(1),
      snapshotRetention: 24,
      replacedDataRetention: Duration.days(14),
    },
  }),
};

function build(props: Partial<ElasticIpFailoverInstanceProps>): {
  stack: Stack;
  server: ElasticIpFailoverInstance;
  template: Template;
} {
  const stack = new Stack(new App(), 'Stack', EU_WEST_1);
  const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ...props });
  return { stack, server, template: Template.fromStack(stack) };
}

/**
 * The reasons acknowledged on `scope`, by rule id (`acknowledge()` records an id without `::` under
 * `Annotation::<id>`).
 */
function acknowledged(scope: Parameters<typeof acknowledgementsOn>[0]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(acknowledgementsOn(scope)).map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]),
  );
}

/** The `Metadata.checkov.skip` entries of each resource that has any, by logical id. */
function checkovSkips(template: Template): Record<string, { id: string; comment: string }[]> {
  const skips: Record<string, { id: string; comment: string }[]> = {};
  for (const [id, resource] of Object.entries<any>(template.toJSON().Resources)) {
    if (resource.Metadata?.checkov?.skip) skips[id] = resource.Metadata.checkov.skip;
  }
  return skips;
}

describe('ElasticIpFailoverInstance instances under the compliance packs', () => {
  test.each(['PrimaryInstance', 'StandbyInstance'] as const)(
    '%s: subnet, instance profile and public address acknowledged in every pack, with what the instance is',
    (id) => {
      const { server } = build(LICENCE_SERVER);
      const instance = id === 'PrimaryInstance' ? server.primaryInstance! : server.standbyInstance!;
      const acks = acknowledged(instance);
      const role = id === 'PrimaryInstance' ? 'primary' : 'standby';
      for (const pack of PACKS) {
        expect(acks[`${pack}-EC2InstancesInVPC`]).toMatch(/NetworkInterfaces\[0\]\.SubnetId/);
        expect(acks[`${pack}-EC2InstanceProfileAttached`]).toMatch(/launch template Stack\/Server\/LaunchTemplate/);
        expect(acks[`${pack}-EC2InstanceNoPublicIp`]).toMatch(/before it holds the Elastic IP/);
        for (const rule of ['EC2InstancesInVPC', 'EC2InstanceProfileAttached', 'EC2InstanceNoPublicIp']) {
          expect(acks[`${pack}-${rule}`]).toContain(`The instance created as ${role}`);
        }
      }
    },
  );

  test('the instances keep their subnet on the network interface and get no IamInstanceProfile of their own (both would replace them)', () => {
    const { template } = build(LICENCE_SERVER);
    for (const instance of Object.values(template.findResources('AWS::EC2::Instance'))) {
      expect(instance.Properties.SubnetId).toBeUndefined();
      expect(instance.Properties.IamInstanceProfile).toBeUndefined();
      expect(instance.Properties.NetworkInterfaces[0]).toMatchObject({ AssociatePublicIpAddress: true });
    }
  });

  test('checkov CKV_AWS_88 (public IP) is skipped on each instance and, with the Auto Scaling strategy, on the launch template, with its reason, and on nothing else', () => {
    const standby = build(LICENCE_SERVER);
    const skips = checkovSkips(standby.template);
    const instances = idsOfType(standby.template.toJSON(), 'AWS::EC2::Instance');
    const skipped88 = (all: typeof skips) =>
      Object.keys(all)
        .filter((id) => all[id].some((s) => s.id === 'CKV_AWS_88'))
        .sort();
    expect(skipped88(skips)).toEqual(instances);
    for (const id of instances) {
      expect(skips[id]).toEqual([{ id: 'CKV_AWS_88', comment: expect.stringMatching(/Systems Manager.*Elastic IP/) }]);
    }

    const group = build(FILE_SERVER);
    const groupSkips = checkovSkips(group.template);
    const [launchTemplate] = idsOfType(group.template.toJSON(), 'AWS::EC2::LaunchTemplate');
    expect(skipped88(groupSkips)).toEqual([launchTemplate]);
    expect(groupSkips[launchTemplate]).toEqual([
      { id: 'CKV_AWS_88', comment: expect.stringMatching(/before the lifecycle hook gives it the Elastic IP/) },
    ]);
  });

  test("the standby strategy's launch template gives no public address (the instances set it on their interface), so it skips nothing", () => {
    const { template } = build(LICENCE_SERVER);
    const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
    expect(launchTemplate.Metadata).toBeUndefined();
    expect(JSON.stringify(launchTemplate.Properties)).not.toContain('AssociatePublicIpAddress');
  });
});

describe('ElasticIpFailoverInstance under AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1', () => {
  /**
   * The rules this change fixes or acknowledges: none may be reported on the construct. (The test
   * VPC's flow log and default security group, and the functions' VPC placement, are not this change's.)
   */
  const FIXED =
    /-(EC2InstancesInVPC|EC2InstanceProfileAttached|EC2InstanceNoPublicIp|IAMNoInlinePolicy|LambdaDLQ|LambdaConcurrency|IAM4|IAM5)\b/;

  function findings(props: Partial<ElasticIpFailoverInstanceProps>): Finding[] {
    const app = newComplianceApp();
    const stack = new Stack(app, 'Eip', EU_WEST_1);
    const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ...props });
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS licence service');
    return synthFindings(app);
  }

  test.each<[string, Partial<ElasticIpFailoverInstanceProps>]>([
    ['the licence server (stopped standby)', LICENCE_SERVER],
    ['a running standby (the default)', {}],
    ['the file server (Auto Scaling group with a data volume)', FILE_SERVER],
  ])('%s: no instance, inline policy, dead-letter, concurrency or IAM finding', (_, props) => {
    const fixed = findings(props).filter((f) => f.path.startsWith('Eip/Server/') && FIXED.test(f.rule));
    expect(formatFindings(fixed)).toBe('');
  });

  test('the licence server: nothing from an AwsCustomResource (its provider function or policy) is reported or created', () => {
    const all = findings(LICENCE_SERVER);
    expect(all.filter((f) => /AWS679f53fac002430cb0da5b7982bd2287|StopStandby/.test(f.path))).toEqual([]);
  });
});

describe('ElasticIpFailoverInstance updated from the release before the compliance changes', () => {
  // Templates synthesized by the previous release (stack 'Stack' in eu-west-1 of account
  // 111111111111, construct 'Server' in the test VPC): an existing deployment is updated in place.
  const before = (name: string): CfnTemplate =>
    JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', `before-compliance.${name}.template.json`), 'utf-8'));
  const after = (props: Partial<ElasticIpFailoverInstanceProps>) =>
    synth((stack) => new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), ...props }));

  /** What holds the service's state or address, or would start a new instance when replaced. */
  const STATEFUL = ofType(
    'AWS::EC2::Instance',
    'AWS::EC2::EIP',
    'AWS::EC2::Volume',
    'AWS::EC2::LaunchTemplate',
    'AWS::AutoScaling::AutoScalingGroup',
    'AWS::DLM::LifecyclePolicy',
    'Custom::ElasticIpPlacement',
  );

  /** `<type> <logicalId>` of the resources the deployment deletes, sorted. */
  function destroyed(result: ReturnType<typeof deployment>): string[] {
    return result.changes
      .filter((c) => c.impact === 'WILL_DESTROY')
      .map((c) => `${c.type} ${c.logicalId}`)
      .sort();
  }

  /** The construct's resources that serve or place the address: none may be replaced by this update. */
  const SERVING = (c: { type: string }) =>
    c.type.startsWith('AWS::EC2::') ||
    c.type.startsWith('AWS::AutoScaling::') ||
    c.type.startsWith('Custom::ElasticIp') ||
    c.type === 'AWS::Lambda::Function' ||
    c.type === 'AWS::DLM::LifecyclePolicy';

  test('stopped standby: the AwsCustomResource, its inline policy and the shared provider are deleted; the instances, the Elastic IP and the placement are kept', () => {
    const old = before('standby-stopped');
    const next = after({ strategy: FailoverStrategy.standbyInstance({ standbyState: StandbyState.STOPPED }) });
    const result = deployment(old, next);
    expectStatefulKept(result);
    expectKept(result, 'instances, Elastic IP, launch template, placement', STATEFUL);
    expect(result.changes.filter((c) => SERVING(c) && c.impact === 'WILL_REPLACE')).toEqual([]);
    expect(destroyed(result)).toEqual([
      'AWS::IAM::Policy ServerStopStandbyCustomResourcePolicy15E129F5',
      'AWS::IAM::Role AWS679f53fac002430cb0da5b7982bd2287ServiceRoleC1EA0FF2',
      'AWS::Lambda::Function AWS679f53fac002430cb0da5b7982bd22872D164C4C',
      'Custom::StopStandbyInstance ServerStopStandbyF3B9D589',
    ]);
    // Nothing new stops anything: no custom resource is created, and the placement is not touched,
    // so no request reaches the failover function during the update.
    expect(result.changes.filter((c) => c.impact === 'WILL_CREATE' && c.type.startsWith('Custom::'))).toEqual([]);
    expect(result.change('ServerElasticIpPlacement0670C851')).toBeUndefined();
    // The instances change only in their template metadata (the checkov skip), no property.
    for (const id of ['ServerPrimaryInstance1BC472F9', 'ServerStandbyInstanceEEE48B1E']) {
      expect(result.change(id)).toMatchObject({ impact: 'WILL_UPDATE' });
      expect(result.change(id)!.properties.map((p) => p.name)).toEqual(['Metadata']);
    }
    // The failover function's managed policy is updated in place with the stop of the standby.
    expect(result.change('ServerFailoverRolePolicy6C0E9722')).toMatchObject({ impact: 'WILL_UPDATE' });
    const sids = next.Resources.ServerFailoverRolePolicy6C0E9722.Properties.PolicyDocument.Statement.map(
      (st: { Sid?: string }) => st.Sid,
    );
    expect(sids).toContain('StopTheStandbyOfThisPair');
    // The resource deleted had no Delete call: its provider answers the Delete without an API call.
    const stop = old.Resources.ServerStopStandbyF3B9D589;
    expect(Object.keys(stop.Properties).sort()).toEqual(['Create', 'InstallLatestAwsSdk', 'ServiceToken', 'Update']);
    // It is deleted before its provider, which it depends on (CloudFormation deletes in reverse order).
    expect(JSON.stringify(stop)).toContain('AWS679f53fac002430cb0da5b7982bd22872D164C4C');
  });

  test('running standby: the instances change only in their metadata, and nothing is deleted', () => {
    const result = deployment(before('standby-running'), after({}));
    expectStatefulKept(result);
    expectKept(result, 'instances, Elastic IP, launch template, placement', STATEFUL);
    expect(result.changes.filter((c) => SERVING(c) && c.impact === 'WILL_REPLACE')).toEqual([]);
    expect(destroyed(result)).toEqual([]);
    for (const id of ['ServerPrimaryInstance1BC472F9', 'ServerStandbyInstanceEEE48B1E']) {
      expect(result.change(id)!.properties.map((p) => p.name)).toEqual(['Metadata']);
    }
    expect(result.change('ServerElasticIpPlacement0670C851')).toBeUndefined();
  });

  test('Auto Scaling group with a data volume: the launch template changes only in its metadata (no new version, no instance refresh)', () => {
    const old = before('auto-scaling-data-volume');
    const result = deployment(
      old,
      after({ strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20) } }) }),
    );
    expectStatefulKept(result);
    expectKept(result, 'group, launch template, snapshot policy, Elastic IP', STATEFUL);
    expect(result.changes.filter((c) => SERVING(c) && c.impact === 'WILL_REPLACE')).toEqual([]);
    expect(destroyed(result)).toEqual([]);
    const [launchTemplate] = idsOfType(old, 'AWS::EC2::LaunchTemplate');
    expect(result.change(launchTemplate)!.properties.map((p) => p.name)).toEqual(['Metadata']);
    const [group] = idsOfType(old, 'AWS::AutoScaling::AutoScalingGroup');
    expect(result.change(group)).toBeUndefined();
  });
});
