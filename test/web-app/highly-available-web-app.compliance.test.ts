import * as fs from 'fs';
import * as path from 'path';
import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { HighlyAvailableWebApp, HighlyAvailableWebAppProps, WebAcl } from '../../src';
import { acknowledgementsOn } from '../support/acknowledgements';
import { formatFindings, synthFindings } from '../support/checked-app';
import { checkovFailures } from '../support/checkov';
import { newComplianceApp } from '../support/compliance';
import { CfnTemplate, describeChange } from '../update-safety/diff';
import { deployment, ENV, expectKept, idsOfType, lostResources, ofType, synthWith } from '../update-safety/safety';

// HighlyAvailableWebApp under cdk-nag's NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs and
// checkov: a versioned access-log bucket (fixed), and typed options for what costs money or changes
// behaviour (certificate, deletionProtection, webAcl, accessLogsReplication), each acknowledged on
// its one resource when left off; and an update from the templates of the release before these
// changes replaces nothing.

const REGION = { env: { region: 'eu-west-1' } };
const CERT_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';
const GIVEN_ACL = 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/shop/a1b2c3d4-5678-90ab-cdef-111111111111';
const PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

type Props = (stack: Stack) => HighlyAvailableWebAppProps;

const certificate = (stack: Stack) => acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN);
const replica = (stack: Stack) => s3.Bucket.fromBucketName(stack, 'Replica', 'inventory-logs-replica-us-east-1');

/** The production configuration of the README: HTTPS, WAF, deletion protection, replicated logs. */
const PRODUCTION: Props = (stack) => ({
  certificate: certificate(stack),
  webAcl: WebAcl.managedRules(),
  deletionProtection: true,
  accessLogsReplication: { destination: replica(stack) },
});

function build(props: Props = () => ({})): { stack: Stack; webApp: HighlyAvailableWebApp; template: Template } {
  const stack = new Stack(new App(), 'Stack', REGION);
  const webApp = new HighlyAvailableWebApp(stack, 'Web', props(stack));
  return { stack, webApp, template: Template.fromStack(stack) };
}

function cfn<T extends IConstruct>(construct: IConstruct): T {
  return construct.node.defaultChild as T;
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(cfn(construct));
}

function accessLogs(webApp: HighlyAvailableWebApp): s3.CfnBucket {
  return cfn(webApp.node.findChild('AccessLogs'));
}

function httpListener(webApp: HighlyAvailableWebApp): elbv2.CfnListener {
  return cfn(webApp.loadBalancer.node.findChild('HttpListener'));
}

/**
 * The rules acknowledged on `scope` itself, by id. aws-cdk-lib records an id that names no plugin
 * (`NIST.800.53.R5-ALBWAFEnabled`) as `Annotation::<id>`; cdk-nag matches it either way.
 */
function acksOn(scope: IConstruct): Record<string, string> {
  return Object.fromEntries(
    Object.entries(acknowledgementsOn(scope)).map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]),
  );
}

/** The reasons acknowledged on `scope` for `rule`, one per pack that reports it. */
function packAcks(scope: IConstruct, rule: string): Record<string, string> {
  return Object.fromEntries(Object.entries(acksOn(scope)).filter(([id]) => id.endsWith(`-${rule}`)));
}

/** Every construct of the app that acknowledges `rule` (in any pack). */
function acknowledgingPaths(root: IConstruct, rule: string): string[] {
  return root.node
    .findAll()
    .filter((c) => Object.keys(acksOn(c)).some((id) => id.endsWith(`-${rule}`)))
    .map((c) => c.node.path);
}

function checkovSkips(template: Template, logical: string): Array<{ id: string; comment: string }> {
  return template.toJSON().Resources[logical].Metadata?.checkov?.skip ?? [];
}

describe('HighlyAvailableWebApp access-log bucket', () => {
  test('is versioned; logs expire after 365 days, their noncurrent versions 30 days later, then their delete markers', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireAccessLogs',
            Status: 'Enabled',
            ExpirationInDays: 365,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          },
          { Id: 'RemoveExpiredDeleteMarkers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
        ],
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  test('SSE-KMS is acknowledged on the bucket quoting the load balancer guide (ALB access logs take SSE-S3 only)', () => {
    const { webApp } = build();
    const acks = packAcks(accessLogs(webApp), 'S3DefaultEncryptionKMS');
    expect(Object.keys(acks).sort()).toEqual(PACKS.map((p) => `${p}-S3DefaultEncryptionKMS`).sort());
    for (const reason of Object.values(acks)) {
      expect(reason).toMatch(
        /"The only server-side encryption option that's supported is Amazon S3-managed keys \(SSE-S3\)"/,
      );
    }
  });

  test("server access logging of the log bucket is acknowledged on it (every pack) and checkov's CKV_AWS_18 skipped, naming accessLogsBucket", () => {
    const { stack, webApp, template } = build();
    const acks = packAcks(accessLogs(webApp), 'S3BucketLoggingEnabled');
    expect(Object.keys(acks).sort()).toEqual(PACKS.map((p) => `${p}-S3BucketLoggingEnabled`).sort());
    for (const reason of Object.values(acks)) expect(reason).toMatch(/accessLogsBucket/);
    expect(checkovSkips(template, stack.getLogicalId(accessLogs(webApp)))).toEqual([
      { id: 'CKV_AWS_18', comment: expect.stringMatching(/holds the load balancer access logs.*accessLogsBucket/) },
    ]);
  });

  test('without accessLogsReplication, replication is acknowledged on the bucket only, naming the prop', () => {
    const { webApp } = build();
    const acks = packAcks(accessLogs(webApp), 'S3BucketReplicationEnabled');
    expect(Object.keys(acks).sort()).toEqual(PACKS.map((p) => `${p}-S3BucketReplicationEnabled`).sort());
    for (const reason of Object.values(acks)) expect(reason).toMatch(/accessLogsReplication: \{ destination \}/);
    expect(acknowledgingPaths(webApp, 'S3BucketReplicationEnabled')).toEqual(['Stack/Web/AccessLogs/Resource']);
  });

  test("a given accessLogsBucket gets none of these acknowledgements (it is not the construct's)", () => {
    const { webApp } = build((stack) => ({ accessLogsBucket: new s3.Bucket(stack, 'Logs') }));
    for (const rule of ['S3BucketReplicationEnabled', 'S3BucketLoggingEnabled', 'S3DefaultEncryptionKMS']) {
      expect(acknowledgingPaths(webApp, rule)).toEqual([]);
    }
  });
});

describe('HighlyAvailableWebApp accessLogsReplication', () => {
  test('replicates every log to the destination through a role of its own, delete markers not replicated', () => {
    const { stack, webApp, template } = build((s) => ({
      accessLogsReplication: { destination: replica(s), storageClass: s3.StorageClass.INFREQUENT_ACCESS },
    }));
    const role = webApp.node.findChild('AccessLogsReplicationRole');
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ReplicationConfiguration: {
        Role: { 'Fn::GetAtt': [logicalId(stack, role), 'Arn'] },
        Rules: [
          {
            Id: 'ReplicateAccessLogs',
            Status: 'Enabled',
            Destination: {
              Bucket: {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::inventory-logs-replica-us-east-1']],
              },
              StorageClass: 'STANDARD_IA',
            },
            DeleteMarkerReplication: { Status: 'Disabled' },
            Filter: { Prefix: '' },
          },
        ],
      },
    });
    expect(acknowledgingPaths(webApp, 'S3BucketReplicationEnabled')).toEqual([]);
  });

  test('the role is assumed by S3 and holds the replication permissions only, in a customer managed policy', () => {
    const { stack, webApp, template } = build((s) => ({ accessLogsReplication: { destination: replica(s) } }));
    const role = webApp.node.findChild('AccessLogsReplicationRole');
    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(accessLogs(webApp)), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' } }],
      },
      Policies: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logicalId(stack, role) }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: bucketArn },
          {
            Effect: 'Allow',
            Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
            Resource: { 'Fn::Join': ['', [bucketArn, '/*']] },
          },
          {
            Effect: 'Allow',
            Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::inventory-logs-replica-us-east-1/*']],
            },
          },
        ],
      },
    });
    const inline = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: logicalId(stack, role) }]) },
    });
    expect(Object.keys(inline)).toEqual([]);
  });
});

describe('HighlyAvailableWebApp deletionProtection', () => {
  test('is off by default (deletion_protection.enabled false, as before), acknowledged on the load balancer (NIST, HIPAA) naming the prop', () => {
    const { webApp, template } = build();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
    });
    const acks = packAcks(cfn(webApp.loadBalancer), 'ELBDeletionProtectionEnabled');
    expect(Object.keys(acks).sort()).toEqual([
      'HIPAA.Security-ELBDeletionProtectionEnabled',
      'NIST.800.53.R5-ELBDeletionProtectionEnabled',
    ]);
    for (const reason of Object.values(acks)) expect(reason).toMatch(/deletionProtection: true/);
  });

  test('true sets deletion_protection.enabled on the load balancer, and nothing is acknowledged', () => {
    const { webApp, template } = build(() => ({ deletionProtection: true }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
    expect(acknowledgingPaths(webApp, 'ELBDeletionProtectionEnabled')).toEqual([]);
  });
});

describe('HighlyAvailableWebApp webAcl', () => {
  test('WebAcl.managedRules(): a regional web ACL allowing by default and blocking with three AWS managed rule groups', () => {
    const { template } = build(() => ({ webAcl: WebAcl.managedRules() }));
    const group = (name: string, priority: number) => ({
      Name: name,
      Priority: priority,
      Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } },
      OverrideAction: { None: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: Match.anyValue() },
    });
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        group('AWSManagedRulesAmazonIpReputationList', 0),
        group('AWSManagedRulesCommonRuleSet', 1),
        group('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });
  });

  test('the managed web ACL is associated with the load balancer and logs to an encrypted, retained aws-waf-logs- group', () => {
    const { stack, webApp, template } = build(() => ({ webAcl: WebAcl.managedRules() }));
    const acl = stack.getLogicalId(webApp.node.findChild('WebAcl') as any);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalId(stack, webApp.loadBalancer) },
      WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] },
    });
    expect(stack.resolve(webApp.webAclArn)).toEqual({ 'Fn::GetAtt': [acl, 'Arn'] });
    // Named as WAF requires, ending with the stack id's unique part (a retained group must not take
    // the name from the same stack created again).
    const stackGuid = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };
    const named = Object.entries<any>(template.findResources('AWS::Logs::LogGroup')).filter(([, g]) =>
      JSON.stringify(g.Properties.LogGroupName ?? '').includes('aws-waf-logs-'),
    );
    expect(named).toHaveLength(1);
    const [[logsId, group]] = named;
    const join = group.Properties.LogGroupName['Fn::Join'];
    expect(join[0]).toBe('');
    expect(join[1][0]).toMatch(/^aws-waf-logs-[A-Za-z0-9-]+-$/);
    expect(join[1][1]).toEqual(stackGuid);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    expect(group.DeletionPolicy).toBe('Retain');
    // WAF takes the log group's ARN without the ':*' that LogGroup.logGroupArn ends with.
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [acl, 'Arn'] },
      LogDestinationConfigs: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':logs:eu-west-1:',
              { Ref: 'AWS::AccountId' },
              `:log-group:${join[1][0]}`,
              stackGuid,
            ],
          ],
        },
      ],
    });
    expect(logsId).toMatch(/WebAclLogs/);
  });

  test('WebAcl.fromArn(): only the association, with the given ARN', () => {
    const { stack, webApp, template } = build(() => ({ webAcl: WebAcl.fromArn(GIVEN_ACL) }));
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalId(stack, webApp.loadBalancer) },
      WebACLArn: GIVEN_ACL,
    });
    expect(webApp.webAclArn).toBe(GIVEN_ACL);
  });

  test('with a web ACL nothing is acknowledged; without one ALBWAFEnabled (NIST, PCI) is, on the load balancer, naming webAcl', () => {
    expect(acknowledgingPaths(build(() => ({ webAcl: WebAcl.managedRules() })).webApp, 'ALBWAFEnabled')).toEqual([]);
    expect(acknowledgingPaths(build(() => ({ webAcl: WebAcl.fromArn(GIVEN_ACL) })).webApp, 'ALBWAFEnabled')).toEqual(
      [],
    );
    const { webApp, template } = build();
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(webApp.webAclArn).toBeUndefined();
    const acks = packAcks(cfn(webApp.loadBalancer), 'ALBWAFEnabled');
    expect(Object.keys(acks).sort()).toEqual(['NIST.800.53.R5-ALBWAFEnabled', 'PCI.DSS.321-ALBWAFEnabled']);
    for (const reason of Object.values(acks)) {
      expect(reason).toMatch(/webAcl: WebAcl\.managedRules\(\).*WebAcl\.fromArn/);
    }
    expect(acknowledgingPaths(webApp, 'ALBWAFEnabled')).toEqual(['Stack/Web/LoadBalancer/Resource']);
  });
});

describe('HighlyAvailableWebApp HTTPS (certificate)', () => {
  test('HTTPS on 443 with the TLS 1.2 and 1.3 policy of earlier releases, forwarding to the HTTP target group on the app port', () => {
    const { stack, webApp, template } = build((s) => ({ certificate: certificate(s), appPort: 8080 }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: CERT_ARN }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(stack, webApp.targetGroup) } }],
    });
    // TLS ends at the load balancer: the targets and their health checks stay HTTP on the app port.
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      HealthCheckPath: '/',
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
  });

  test('a given sslPolicy is used', () => {
    const { template } = build((s) => ({ certificate: certificate(s), sslPolicy: elbv2.SslPolicy.TLS13_13_PQ }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-PQ-2025-09',
    });
  });

  test('port 80 only redirects to HTTPS (301); the security group still admits 80 for it, and 443', () => {
    const { template } = build((s) => ({ certificate: certificate(s) }));
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Internet-facing load balancer'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 }),
      ],
    });
  });

  test('with a certificate: only ELBv2ACMCertificateRequired is acknowledged on the redirect listener; CKV_AWS_260 skipped for the redirect', () => {
    const { stack, webApp, template } = build((s) => ({ certificate: certificate(s) }));
    const http = httpListener(webApp);
    const acks = packAcks(http, 'ELBv2ACMCertificateRequired');
    expect(Object.keys(acks).sort()).toEqual(PACKS.map((p) => `${p}-ELBv2ACMCertificateRequired`).sort());
    for (const reason of Object.values(acks)) {
      expect(reason).toMatch(/only redirects every request \(301\) to the HTTPS listener/);
    }
    expect(acknowledgingPaths(webApp, 'ALBHttpToHttpsRedirection')).toEqual([]);
    expect(acknowledgingPaths(webApp, 'ELBv2ACMCertificateRequired')).toEqual([
      'Stack/Web/LoadBalancer/HttpListener/Resource',
    ]);
    expect(checkovSkips(template, stack.getLogicalId(http))).toEqual([]);
    expect(checkovSkips(template, logicalId(stack, webApp.loadBalancerSecurityGroup))).toEqual([
      { id: 'CKV_AWS_260', comment: expect.stringMatching(/only for the listener that redirects HTTP to HTTPS/) },
    ]);
  });

  test('without one: HTTPS redirection and the ACM certificate acknowledged on the HTTP listener, CKV_AWS_2/103 and CKV_AWS_260 skipped, naming certificate', () => {
    const { stack, webApp, template } = build();
    const http = httpListener(webApp);
    for (const rule of ['ALBHttpToHttpsRedirection', 'ELBv2ACMCertificateRequired']) {
      const acks = packAcks(http, rule);
      expect(Object.keys(acks).sort()).toEqual(PACKS.map((p) => `${p}-${rule}`).sort());
      for (const reason of Object.values(acks)) expect(reason).toMatch(/Give certificate/);
      expect(acknowledgingPaths(webApp, rule)).toEqual(['Stack/Web/LoadBalancer/HttpListener/Resource']);
    }
    const skips = checkovSkips(template, stack.getLogicalId(http));
    expect(skips.map((s) => s.id)).toEqual(['CKV_AWS_2', 'CKV_AWS_103']);
    for (const skip of skips) expect(skip.comment).toMatch(/Give certificate/);
    expect(checkovSkips(template, logicalId(stack, webApp.loadBalancerSecurityGroup))).toEqual([
      { id: 'CKV_AWS_260', comment: expect.stringMatching(/listener is HTTP on port 80 \(no certificate given\)/) },
    ]);
  });
});

describe('HighlyAvailableWebApp validation of the compliance options', () => {
  const cases: Array<[string, Props, RegExp]> = [
    [
      'sslPolicy without a certificate',
      () => ({ sslPolicy: elbv2.SslPolicy.TLS13_12_RES_PQ }),
      /sslPolicy is the policy of the HTTPS listener, which only a certificate creates.*received 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09'/,
    ],
    [
      'a TLS 1.0 policy (ELBSecurityPolicy-2016-08)',
      (s) => ({ certificate: certificate(s), sslPolicy: elbv2.SslPolicy.RECOMMENDED }),
      /sslPolicy must accept TLS 1\.2 and later only .*received 'ELBSecurityPolicy-2016-08'/,
    ],
    [
      'a TLS 1.3 policy that still accepts TLS 1.0',
      (s) => ({ certificate: certificate(s), sslPolicy: elbv2.SslPolicy.TLS13_10_PQ }),
      /sslPolicy must accept TLS 1\.2 and later only .*received 'ELBSecurityPolicy-TLS13-1-0-PQ-2025-09'/,
    ],
    [
      'a CloudFront (global) web ACL',
      () => ({ webAcl: WebAcl.fromArn('arn:aws:wafv2:us-east-1:111111111111:global/webacl/cdn/a1b2') }),
      /webAcl must be the ARN of a regional web ACL .*received 'arn:aws:wafv2:us-east-1:111111111111:global\/webacl\/cdn\/a1b2'/,
    ],
    [
      'something else than a web ACL ARN',
      () => ({ webAcl: WebAcl.fromArn('shop-acl') }),
      /webAcl must be the ARN of a regional web ACL .*received 'shop-acl'/,
    ],
    [
      'a web ACL of another region',
      () => ({ webAcl: WebAcl.fromArn('arn:aws:wafv2:us-east-1:111111111111:regional/webacl/shop/a1b2') }),
      /webAcl must be a web ACL in the load balancer's region \(eu-west-1\).*received 'arn:aws:wafv2:us-east-1/,
    ],
    [
      'accessLogsReplication with accessLogsBucket',
      (s) => ({ accessLogsBucket: new s3.Bucket(s, 'Logs'), accessLogsReplication: { destination: replica(s) } }),
      /accessLogsReplication replicates the bucket the construct creates; it must not be set with accessLogsBucket.*received '\{ destination: Stack\/Replica \}'/,
    ],
  ];

  test.each(cases)('rejects %s', (_, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('every TLS 1.2+ policy family is accepted', () => {
    for (const sslPolicy of [
      elbv2.SslPolicy.TLS13_12_PQ,
      elbv2.SslPolicy.TLS13_13,
      elbv2.SslPolicy.TLS12_EXT,
      elbv2.SslPolicy.FORWARD_SECRECY_TLS12_RES_GCM,
      elbv2.SslPolicy.RECOMMENDED_TLS,
    ]) {
      expect(() => build((s) => ({ certificate: certificate(s), sslPolicy }))).not.toThrow();
    }
  });

  test('unresolved values are not checked', () => {
    const later = Lazy.string({ produce: () => GIVEN_ACL });
    expect(() => build(() => ({ webAcl: WebAcl.fromArn(later) }))).not.toThrow();
    const agnostic = new Stack(new App(), 'Agnostic');
    expect(
      () =>
        new HighlyAvailableWebApp(agnostic, 'Web', {
          accessLogsBucket: s3.Bucket.fromBucketName(agnostic, 'Logs', 'logs'),
          webAcl: WebAcl.fromArn('arn:aws:wafv2:us-east-1:111111111111:regional/webacl/shop/a1b2'),
        }),
    ).not.toThrow();
  });
});

describe('HighlyAvailableWebApp under AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1', () => {
  /**
   * The routes of the public subnets to the internet gateway (NIST/HIPAA/PCI
   * VPCNoUnrestrictedRouteToIGW) belong to the VPC the construct creates in src/common/vpc.ts,
   * outside the scope of these options; every other finding on the construct counts.
   */
  const VPC_ROUTES = /-VPCNoUnrestrictedRouteToIGW$/;

  function findings(props: Props): string {
    const app = newComplianceApp();
    const stack = new Stack(app, 'Inventory', REGION);
    new HighlyAvailableWebApp(stack, 'Web', props(stack));
    return formatFindings(
      synthFindings(app).filter(
        (f) => f.path.startsWith('Inventory/Web/') && !(VPC_ROUTES.test(f.rule) && /\/Vpc\/Public/.test(f.path)),
      ),
    );
  }

  test.each<[string, Props]>([
    ['defaults', () => ({})],
    ['HTTPS only', (s) => ({ certificate: certificate(s) })],
    ['production: certificate, WAF managed rules, deletion protection, replicated logs', PRODUCTION],
    [
      'a given web ACL and a given access-log bucket',
      (s) => ({ certificate: certificate(s), webAcl: WebAcl.fromArn(GIVEN_ACL), accessLogsBucket: replica(s) }),
    ],
  ])('%s: no finding on the construct', (_, props) => {
    expect(findings(props)).toBe('');
  });
});

describe('HighlyAvailableWebApp under checkov', () => {
  function failedChecks(props: Props): string[] {
    return checkovFailures(build(props).template.toJSON());
  }

  test.each<[string, Props]>([
    ['defaults', () => ({})],
    ['production', PRODUCTION],
  ])('%s: no failed check on the resources of the web tier', (_, props) => {
    expect(failedChecks(props)).toEqual([]);
  });
});

describe('HighlyAvailableWebApp updated from the release before these options', () => {
  // Templates the previous release synthesized for `new HighlyAvailableWebApp(stack, 'Web', props)`
  // in a stack 'Stack' of account 111111111111 in eu-west-1 (test/update-safety's ENV).
  const before = (name: string): CfnTemplate =>
    JSON.parse(
      fs.readFileSync(path.join(__dirname, 'fixtures', `before-compliance-defaults.${name}.template.json`), 'utf-8'),
    );
  const after = (props: Props): CfnTemplate =>
    synthWith((stack) => new HighlyAvailableWebApp(stack, 'Web', props(stack))).template;

  /**
   * The resources the construct takes from src/common (the VPC's default-security-group custom
   * resource, the notification topic's key): changes to their metadata alone (checkov skips) are
   * settled and tested there.
   */
  const FROM_COMMON = ofType('AWS::Lambda::Function', 'AWS::KMS::Key');

  /** What a deployment changes, one line a resource: `Type impact: properties`. */
  function changes(from: CfnTemplate, to: CfnTemplate): string[] {
    return deployment(from, to)
      .changes.filter((c) => !(FROM_COMMON(c) && c.properties.every((p) => p.name === 'Metadata')))
      .map((c) => `${c.type} ${c.impact}: ${c.properties.map((p) => p.name).join(', ')}`)
      .sort();
  }

  /**
   * What upgrading to this release changes in every web app, besides `more`: six new alarms; the
   * topic admitting them (topic and key policy, in place); the user data's bake (launch template,
   * the group's signal waits, and the instances' permission to read the alarms), which the group
   * rolls out as a release, one instance at a time; the bucket's versioning; metadata.
   */
  const UPGRADE_CHANGES = (more: string[]) =>
    [
      'AWS::AutoScaling::AutoScalingGroup WILL_UPDATE: CreationPolicy, LaunchTemplate, UpdatePolicy',
      ...Array(6).fill('AWS::CloudWatch::Alarm WILL_CREATE: '),
      'AWS::EC2::LaunchTemplate WILL_UPDATE: LaunchTemplateData',
      'AWS::EC2::SecurityGroup WILL_UPDATE: Metadata',
      'AWS::IAM::ManagedPolicy WILL_UPDATE: PolicyDocument',
      'AWS::KMS::Key WILL_UPDATE: KeyPolicy, Metadata',
      'AWS::S3::Bucket WILL_UPDATE: LifecycleConfiguration, Metadata, VersioningConfiguration',
      'AWS::SNS::TopicPolicy WILL_UPDATE: PolicyDocument',
      ...more,
    ].sort();

  test('defaults: the bucket gains versioning and the lifecycle rule in place, alarms are added, the rest updates in place', () => {
    expect(ENV.region).toBe('eu-west-1');
    const result = deployment(
      before('default'),
      after(() => ({})),
    );
    expect(lostResources(result, () => true)).toEqual([]);
    expect(
      changes(
        before('default'),
        after(() => ({})),
      ),
    ).toEqual(UPGRADE_CHANGES(['AWS::ElasticLoadBalancingV2::Listener WILL_UPDATE: Metadata']));
  });

  test('with a certificate: the same, and the HTTPS listener keeps its TLS policy', () => {
    const to = after((s) => ({ certificate: certificate(s) }));
    expect(lostResources(deployment(before('certificate'), to), () => true)).toEqual([]);
    expect(changes(before('certificate'), to)).toEqual(UPGRADE_CHANGES([]));
  });

  test('turning on the production options later replaces nothing: the load balancer, listener, target group, group and bucket stay', () => {
    const from = before('default');
    const result = deployment(from, after(PRODUCTION));
    expect(
      result.changes.filter((c) => c.impact !== 'WILL_CREATE' && c.impact !== 'WILL_UPDATE').map(describeChange),
    ).toEqual([]);
    expectKept(
      result,
      'load balancer, listener, target group, group and bucket',
      ofType(
        'AWS::ElasticLoadBalancingV2::LoadBalancer',
        'AWS::ElasticLoadBalancingV2::Listener',
        'AWS::ElasticLoadBalancingV2::TargetGroup',
        'AWS::AutoScaling::AutoScalingGroup',
        'AWS::S3::Bucket',
      ),
    );
    // The port 80 listener is the same resource, now a redirect; the HTTPS listener is new.
    const [http] = idsOfType(from, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(result.change(http)?.impact).toBe('WILL_UPDATE');
    const added = result.changes
      .filter((c) => c.impact === 'WILL_CREATE')
      .map((c) => c.type)
      .sort();
    expect(added).toEqual([
      ...Array(6).fill('AWS::CloudWatch::Alarm'),
      'AWS::ElasticLoadBalancingV2::Listener',
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Role',
      'AWS::Logs::LogGroup',
      'AWS::WAFv2::LoggingConfiguration',
      'AWS::WAFv2::WebACL',
      'AWS::WAFv2::WebACLAssociation',
    ]);
  });

  test('turning deletion protection off again (before a teardown) updates the load balancer in place', () => {
    const on = after(() => ({ deletionProtection: true }));
    const off = after(() => ({ deletionProtection: false }));
    const [lb] = idsOfType(on, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const result = deployment(on, off);
    expect(lostResources(result, () => true)).toEqual([]);
    expect(result.change(lb)?.impact).toBe('WILL_UPDATE');
    expect(result.change(lb)?.properties.map((p) => p.name)).toEqual(['LoadBalancerAttributes']);
  });
});
