import { App, CfnParameter, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ElasticIpFailoverInstance, FailoverStrategy } from '../../src';
import { acknowledgementsOn } from '../support/acknowledgements';
import { expectNoFindings, newCheckedApp, synthFindings } from '../support/checked-app';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(strategy?: FailoverStrategy, vpcOf: (stack: Stack) => ec2.IVpc = (s) => publicOnlyVpc(s)) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: vpcOf(stack), strategy });
  return { stack, server };
}

function dualStackVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    ipProtocol: ec2.IpProtocol.DUAL_STACK,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false }],
    flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}

describe('ElasticIpFailoverInstance.allowFromInternet', () => {
  test('adds one ingress rule from 0.0.0.0/0 on exactly the port, to the instances security group', () => {
    const { stack, server } = build();
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: stack.resolve(server.securityGroup.securityGroupId),
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      CidrIp: '0.0.0.0/0',
      Description: 'HTTPS',
    });
    // The rule is its own resource, so the security group's inline rules stay closed.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Elastic IP failover instances'),
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('acknowledges AwsSolutions-EC23 on that rule alone, with a reason naming the port', () => {
    const { server } = build();
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    const ingress = server.securityGroup.node.findChild('FromInternetTcp443Ipv4');
    expect(acknowledgementsOn(ingress)).toEqual({
      'AwsSolutions-EC23': expect.stringMatching(/^TCP port 443 \(HTTPS\) from any IPv4 address is the public service/),
    });
    expect(acknowledgementsOn(server.securityGroup)).toEqual({});
  });

  test.each([
    ['standby instance', FailoverStrategy.standbyInstance()],
    ['Auto Scaling group', FailoverStrategy.autoScalingGroup()],
  ])('a public service on 80 and 443 has zero findings (%s)', (_name, strategy) => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack), strategy });
    server.allowFromInternet(ec2.Port.tcp(80), 'HTTP');
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    expectNoFindings(app);
  });

  test('a rule from 0.0.0.0/0 added through connections still gets AwsSolutions-EC23', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack) });
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    server.connections.allowFromAnyIpv4(ec2.Port.tcp(8080), 'Admin from anywhere');
    const rules = synthFindings(app).map((f) => `${f.rule} ${f.path}`);
    expect(rules).toEqual([expect.stringMatching(/^AwsSolutions-EC23 Stack\/Server\/SecurityGroup\/Resource$/)]);
  });

  test('opens ::/0 as well when the subnets have IPv6 (dual-stack VPC), with zero findings', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: dualStackVpc(stack) });
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 2);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { CidrIp: '0.0.0.0/0', FromPort: 443 });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { CidrIpv6: '::/0', FromPort: 443 });
    expect(acknowledgementsOn(server.securityGroup.node.findChild('FromInternetTcp443Ipv6'))).toEqual({
      'AwsSolutions-EC23': expect.stringMatching(/^TCP port 443 \(HTTPS\) from any IPv6 address/),
    });
    expectNoFindings(app);
  });

  test('an IPv4-only VPC gets no ::/0 rule', () => {
    const { stack, server } = build();
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    Template.fromStack(stack).resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { CidrIpv6: Match.anyValue() },
      0,
    );
  });

  test('the same port twice adds one rule; UDP and ranges get their own stable ids', () => {
    const { stack, server } = build();
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
    server.allowFromInternet(ec2.Port.udp(443), 'QUIC');
    server.allowFromInternet(ec2.Port.tcpRange(8000, 8080), 'Application ports');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 3);
    const ids = Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ids).toEqual([
      expect.stringMatching(/^ServerSecurityGroupFromInternetTcp443Ipv4/),
      expect.stringMatching(/^ServerSecurityGroupFromInternetUdp443Ipv4/),
      expect.stringMatching(/^ServerSecurityGroupFromInternetTcp8000To8080Ipv4/),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: 'udp', FromPort: 443, ToPort: 443 });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 8000, ToPort: 8080 });
    expect(
      acknowledgementsOn(server.securityGroup.node.findChild('FromInternetTcp8000To8080Ipv4'))['AwsSolutions-EC23'],
    ).toMatch(/^TCP ports 8000-8080 \(Application ports\)/);
  });

  test('a port given as a deploy-time value is accepted', () => {
    const { stack, server } = build();
    const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
    server.allowFromInternet(ec2.Port.tcp(port), 'Service');
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: { Ref: 'Port' },
      ToPort: { Ref: 'Port' },
      CidrIp: '0.0.0.0/0',
    });
    expect(Token.isUnresolved(port)).toBe(true);
  });

  test.each([
    [ec2.Port.allTraffic(), "port must be a TCP or UDP port or port range, received 'ALL TRAFFIC'"],
    [ec2.Port.icmpPing(), "port must be a TCP or UDP port or port range, received 'ICMP Type 8'"],
    [ec2.Port.allTcp(), "port must name the service's ports, not every port, received 'ALL PORTS'"],
    [ec2.Port.udpRange(1, 65535), "port must name the service's ports, not every port, received 'UDP 1-65535'"],
  ])('refuses %s', (port, message) => {
    const { server } = build();
    expect(() => server.allowFromInternet(port, 'Service')).toThrow(message);
  });

  test.each([
    ['', "description must be 1 to 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, received ''"],
    ['HTTPS <public>', "received 'HTTPS <public>'"],
    ['x'.repeat(256), 'description must be 1 to 255 characters'],
  ])('refuses the description %p', (description, message) => {
    const { server } = build();
    expect(() => server.allowFromInternet(ec2.Port.tcp(443), description)).toThrow(message);
  });

  test('the error names the method', () => {
    const { server } = build();
    expect(() => server.allowFromInternet(ec2.Port.allTraffic(), 'x')).toThrow(
      /^Invalid ElasticIpFailoverInstance.allowFromInternet props:/,
    );
  });
});
