import { ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnTemplate, DeployTimeChanges } from './diff';
import {
  deployment,
  ENV,
  expectKept,
  expectStatefulKept,
  expectUpdated,
  idsOfType,
  LATEST_AMAZON_LINUX,
  ofType,
  synth,
} from './safety';
import { HighlyAvailableWebApp, HighlyAvailableWebAppProps } from '../../src';

// HighlyAvailableWebApp: the changes made every week replace no stateful resource, and what the
// instances run reaches them through a rolling update of the group, never a new group or load balancer.

const CERT_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

type Props = (stack: Stack) => HighlyAvailableWebAppProps;

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

const BASE: Props = () => ({ userData: userData('v1'), minCapacity: 2, maxCapacity: 4 });

function template(props: Props): CfnTemplate {
  return synth((stack) => new HighlyAvailableWebApp(stack, 'Web', props(stack)));
}

/** What must outlive every one of these deployments (the load balancer keeps its DNS name, the group its instances' history). */
const KEPT = ofType(
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::NatGateway',
  'AWS::S3::Bucket',
);

let base: CfnTemplate;
let group: string;
beforeAll(() => {
  base = template(BASE);
  [group] = idsOfType(base, 'AWS::AutoScaling::AutoScalingGroup');
});

describe('HighlyAvailableWebApp update safety', () => {
  // Each row has its four values (jest would take a missing one for the `done` callback).
  const launchTemplateChanges: Array<[string, Props, Props, DeployTimeChanges]> = [
    [
      'a new machine image (given explicitly)',
      (s) => ({ ...BASE(s), machineImage: image('ami-0aaaaaaaaaaaaaaa1') }),
      (s) => ({ ...BASE(s), machineImage: image('ami-0aaaaaaaaaaaaaaa2') }),
      {},
    ],
    [
      'a new machine image (AWS publishes a new latest Amazon Linux 2023)',
      BASE,
      BASE,
      { ssmParameters: [LATEST_AMAZON_LINUX] },
    ],
    ['new user data', BASE, (s) => ({ ...BASE(s), userData: userData('v2') }), {}],
    [
      'another instance type',
      BASE,
      (s) => ({ ...BASE(s), instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE) }),
      {},
    ],
  ];

  test.each(launchTemplateChanges)(
    '%s: a rolling update of the group, nothing stateful replaced',
    (_, from, to, deployTime) => {
      const before = from === BASE ? base : template(from);
      const result = deployment(before, template(to), deployTime);
      expectStatefulKept(result);
      expectKept(result, 'load balancer, target group, group, network and bucket', KEPT);
      // The change reaches the instances: the group follows the launch template's new version.
      expectUpdated(result, group, /LatestVersionNumber: .*LaunchTemplate.* is updated/);
    },
  );

  test.each<[string, Props]>([
    ['a larger minimum and maximum', (s) => ({ ...BASE(s), minCapacity: 3, maxCapacity: 6 })],
    ['a smaller minimum and maximum', (s) => ({ ...BASE(s), minCapacity: 1, maxCapacity: 2 })],
    ['a desired capacity', (s) => ({ ...BASE(s), desiredCapacity: 3 })],
  ])('capacity, %s: the group is updated in place', (_, to) => {
    const result = deployment(base, template(to));
    expectStatefulKept(result);
    expectKept(result, 'load balancer, target group, group, network and bucket', KEPT);
    expectUpdated(result, group);
  });

  test('a certificate added: HTTPS on 443 and a redirect on 80, the load balancer, target group and group kept', () => {
    const after = template((s) => ({
      ...BASE(s),
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN),
    }));
    const result = deployment(base, after);
    expectStatefulKept(result);
    expectKept(result, 'load balancer, target group, group, network and bucket', KEPT);
  });

  test('a certificate added: no listener is created on a port that a listener removed in the same deployment still holds', () => {
    // CloudFormation creates the new resources of an update before it deletes the removed ones, and
    // a load balancer takes one listener per port (CreateListener fails with DuplicateListener).
    const after = template((s) => ({
      ...BASE(s),
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN),
    }));
    const result = deployment(base, after);
    const listeners = (t: CfnTemplate, ids: string[]) =>
      ids.map((id) => ({
        id,
        key: JSON.stringify([t.Resources[id].Properties.LoadBalancerArn, String(t.Resources[id].Properties.Port)]),
      }));
    const listenerIds = (t: CfnTemplate) => idsOfType(t, 'AWS::ElasticLoadBalancingV2::Listener');
    const removed = listeners(
      base,
      listenerIds(base).filter((id) => result.change(id)?.impact === ResourceImpact.WILL_DESTROY),
    );
    const added = listeners(
      after,
      listenerIds(after).filter((id) => result.change(id)?.impact === ResourceImpact.WILL_CREATE),
    );
    const clashes = added.flatMap((a) =>
      removed
        .filter((r) => r.key === a.key)
        .map(
          (r) => `${a.id} is created on ${a.key} while ${r.id}, removed by the same deployment, still listens there`,
        ),
    );
    expect({ 'listeners created on a port still taken': clashes }).toEqual({
      'listeners created on a port still taken': [],
    });
  });
});
