import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import { DatabaseBackupPlan, DetachableDatabase, DetachableDatabaseProps } from '../../src';
import { acknowledgementsOn } from '../support/acknowledgements';
import { Finding, formatFindings, synthFindings } from '../support/checked-app';
import { newComplianceApp } from '../support/compliance';
import { databaseVpc } from '../support/vpc';
import { CfnTemplate } from '../update-safety/diff';
import { deployment, expectKept, expectStatefulKept, idsOfType, ofType, synthWith } from '../update-safety/safety';

// The DetachableDatabase under cdk-nag's NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs
// (beside AwsSolutions): Enhanced Monitoring with a role of its own, the MySQL audit log through
// the MariaDB Audit Plugin, the general log acknowledged, and the rotation function's ingress rule
// readable by the packs' port checks; and an update from the templates of the release before these
// changes replaces nothing stateful.

const EU_WEST_1: StackProps = { env: { region: 'eu-west-1' } };
const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 });
const mysql = (version: rds.MysqlEngineVersion) => rds.DatabaseInstanceEngine.mysql({ version });
const PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

function build(
  props: Partial<DetachableDatabaseProps> = {},
  stackProps: StackProps = EU_WEST_1,
): { stack: Stack; db: DetachableDatabase; template: Template } {
  const stack = new Stack(new App(), 'Stack', stackProps);
  const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }), ...props });
  allowDeprecatedVersion(db);
  return { stack, db, template: Template.fromStack(stack) };
}

/**
 * The audit plugin's version gate is tested with versions RDS no longer offers for new instances
 * (existing instances still run them): cfn-lint's W3691 (deprecated engine version) is expected on
 * those instances only.
 */
const DEPRECATED_VERSIONS = ['8.0.26', '8.0.28', '8.0.40', '5.7.44'];
function allowDeprecatedVersion(db: DetachableDatabase): void {
  const instance = db.instance.node.defaultChild as rds.CfnDBInstance;
  if (DEPRECATED_VERSIONS.includes(String(instance.engineVersion))) {
    instance.addMetadata('cfn-lint', { config: { ignore_checks: ['W3691'] } });
  }
}

function logicalId(stack: Stack, scope: IConstruct, childId: string): string {
  const child = scope.node.findChild(childId);
  return stack.getLogicalId((child.node.defaultChild ?? child) as any);
}

describe('DetachableDatabase Enhanced Monitoring', () => {
  test('is on, every 60 seconds, through a role of its own', () => {
    const { stack, db, template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': [logicalId(stack, db, 'MonitoringRole'), 'Arn'] },
    });
  });

  test('the role can be assumed by RDS monitoring for instances of this account only', () => {
    build().template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'monitoring.rds.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  test('the role holds the statements of AmazonRDSEnhancedMonitoringRole narrowed to RDSOSMetrics, in a customer managed policy', () => {
    const { stack, db, template } = build();
    const logs = (suffix: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:', { Ref: 'AWS::AccountId' }, `:${suffix}`],
      ],
    });
    const policyId = logicalId(stack, db, 'MonitoringPolicy');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
            Resource: [logs('log-group:RDSOSMetrics'), logs('log-group:RDSOSMetrics:*')],
            Sid: Match.anyValue(),
          },
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
            Resource: logs('log-group:RDSOSMetrics:log-stream:*'),
            Sid: Match.anyValue(),
          },
        ],
      },
      Roles: Match.absent(),
    });
    const roleId = logicalId(stack, db, 'MonitoringRole');
    template.hasResource('AWS::IAM::Role', {
      Properties: Match.objectLike({ ManagedPolicyArns: [{ Ref: policyId }], Policies: Match.absent() }),
    });
    // No inline policy is attached to it either, and no AWS managed policy anywhere.
    const inline = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    });
    expect(Object.keys(inline)).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('AmazonRDSEnhancedMonitoringRole');
  });

  test('PostgreSQL and a restored instance have it too', () => {
    build({ engine: POSTGRES }).template.hasResourceProperties('AWS::RDS::DBInstance', { MonitoringInterval: 60 });
    build({ snapshotIdentifier: 'eb-final', masterUsername: 'ebroot' }).template.hasResourceProperties(
      'AWS::RDS::DBInstance',
      { MonitoringInterval: 60, MonitoringRoleArn: Match.anyValue() },
    );
  });
});

describe('DetachableDatabase MySQL audit log', () => {
  test('the MariaDB Audit Plugin records connections, DDL and DCL, in a retained option group', () => {
    const { template } = build();
    template.hasResource('AWS::RDS::OptionGroup', {
      Properties: {
        EngineName: 'mysql',
        MajorEngineVersion: '8.4',
        OptionGroupDescription: 'DetachableDatabase: MySQL audit log (MariaDB Audit Plugin)',
        OptionConfigurations: [
          {
            OptionName: 'MARIADB_AUDIT_PLUGIN',
            OptionSettings: [{ Name: 'SERVER_AUDIT_EVENTS', Value: 'CONNECT,QUERY_DDL,QUERY_DCL' }],
          },
        ],
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the instance uses the option group and exports the audit log', () => {
    const { stack, db, template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      OptionGroupName: { Ref: logicalId(stack, db, 'OptionGroup') },
      EnableCloudwatchLogsExports: ['error', 'slowquery', 'audit'],
    });
  });

  test('the option group keeps its logical id (replacing it would re-add the plugin to the running instance)', () => {
    expect(idsOfType(build().template.toJSON(), 'AWS::RDS::OptionGroup')).toEqual(['DbOptionGroupCA82FCE2']);
  });

  test.each([
    ['8.0.28', mysql(rds.MysqlEngineVersion.VER_8_0_28), '8.0'],
    ['8.0.40', mysql(rds.MysqlEngineVersion.VER_8_0_40), '8.0'],
    ['5.7.44', mysql(rds.MysqlEngineVersion.of('5.7.44', '5.7')), '5.7'],
  ])('MySQL %s has it (RDS offers the plugin from 8.0.28, and on 5.7 and 8.4)', (_, engine, major) => {
    const { template } = build({ engine });
    template.hasResourceProperties('AWS::RDS::OptionGroup', { MajorEngineVersion: major });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnableCloudwatchLogsExports: ['error', 'slowquery', 'audit'],
    });
  });

  test('MySQL 8.0.26 (no plugin on RDS) gets no option group, and the audit findings are acknowledged on the instance', () => {
    const { db, template } = build({ engine: mysql(rds.MysqlEngineVersion.VER_8_0_26) });
    template.resourceCountIs('AWS::RDS::OptionGroup', 0);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      OptionGroupName: Match.absent(),
      EnableCloudwatchLogsExports: ['error', 'slowquery'],
    });
    const acks = acknowledgementsOn(db.instance);
    for (const pack of PACKS) {
      expect(acks[`${pack}-RDSLoggingEnabled[LogExport::audit]`]).toMatch(/8\.0\.26/);
    }
  });

  test('PostgreSQL has no option group and exports its postgresql and upgrade logs', () => {
    const { db, template } = build({ engine: POSTGRES });
    template.resourceCountIs('AWS::RDS::OptionGroup', 0);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      OptionGroupName: Match.absent(),
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    expect(Object.keys(acknowledgementsOn(db.instance)).filter((id) => id.includes('RDSLoggingEnabled'))).toEqual([]);
  });

  test('the general log is neither switched on nor exported; its findings are acknowledged on the instance only, saying what is exported instead', () => {
    const { db, template } = build();
    const [group] = Object.values(template.findResources('AWS::RDS::DBParameterGroup'));
    expect(group.Properties.Parameters.general_log).toBeUndefined();
    const acks = acknowledgementsOn(db.instance);
    for (const pack of PACKS) {
      expect(acks[`${pack}-RDSLoggingEnabled[LogExport::general]`]).toMatch(/every statement.*audit log/);
    }
    const elsewhere = db.node
      .findAll()
      .filter((c) => c !== db.instance)
      .filter((c) => Object.keys(acknowledgementsOn(c)).some((id) => id.includes('RDSLoggingEnabled')));
    expect(elsewhere.map((c) => c.node.path)).toEqual([]);
  });
});

describe("DetachableDatabase rotation function's ingress rule", () => {
  function rotationIngress(db: DetachableDatabase): ec2.CfnSecurityGroupIngress {
    const rules = db.securityGroup.node.children.filter(
      (c): c is ec2.CfnSecurityGroupIngress => c instanceof ec2.CfnSecurityGroupIngress,
    );
    expect(rules).toHaveLength(1);
    return rules[0];
  }

  test('carries the configured port for the port checks', () => {
    expect([rotationIngress(build().db).fromPort, rotationIngress(build().db).toPort]).toEqual([3307, 3307]);
    const custom = rotationIngress(build({ engine: POSTGRES, port: 6543 }).db);
    expect([custom.fromPort, custom.toPort]).toEqual([6543, 6543]);
  });

  test("keeps the template's rule as it was (the port read from the instance, the same logical id), so it is not replaced", () => {
    const { stack, db, template } = build();
    const instanceId = stack.getLogicalId(db.instance.node.defaultChild as rds.CfnDBInstance);
    const port = { 'Fn::GetAtt': [instanceId, 'Endpoint.Port'] };
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, db, 'RotationSecurityGroup'), 'GroupId'] },
      FromPort: port,
      ToPort: port,
    });
    expect(idsOfType(template.toJSON(), 'AWS::EC2::SecurityGroupIngress')).toEqual([
      'DbSecurityGroupfromStackDbRotationSecurityGroupF0BD032EIndirectPortD63EE570',
    ]);
  });
});

describe('DetachableDatabase updated from the release before Enhanced Monitoring and the audit log', () => {
  // Templates synthesized by the previous release (same app layout, stack 'Stack' in eu-west-1 of
  // account 111111111111): an existing user's deployment is updated, never replaced.
  const before = (name: string): CfnTemplate =>
    JSON.parse(
      fs.readFileSync(path.join(__dirname, 'fixtures', `before-compliance-defaults.${name}.template.json`), 'utf-8'),
    );
  const after = (props: Partial<DetachableDatabaseProps>) =>
    synthWith((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        maxAzs: 2,
        natGateways: 1,
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
          { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
        ],
      });
      new DetachableDatabase(stack, 'Db', { vpc, ...props });
    }).template;

  /** What the alarms and the event subscription add (stateless; none replaces anything). */
  const MONITORING_RESOURCES = [
    ...Array<string>(4).fill('AWS::CloudWatch::Alarm'),
    'AWS::KMS::Key',
    'AWS::RDS::EventSubscription',
    'AWS::SNS::Topic',
    'AWS::SNS::TopicPolicy',
  ];

  /** Everything the database had: its key, secret, groups, rules and rotation. */
  const EXISTING = ofType(
    'AWS::KMS::Key',
    'AWS::SecretsManager::Secret',
    'AWS::SecretsManager::SecretTargetAttachment',
    'AWS::SecretsManager::RotationSchedule',
    'AWS::Serverless::Application',
    'AWS::RDS::DBParameterGroup',
    'AWS::RDS::DBSubnetGroup',
    'AWS::EC2::SecurityGroup',
    'AWS::EC2::SecurityGroupIngress',
    'AWS::EC2::SecurityGroupEgress',
  );

  test.each<[string, Partial<DetachableDatabaseProps>, string[], string[]]>([
    [
      'mysql',
      {},
      [
        'EnableCloudwatchLogsExports',
        'EnableIAMDatabaseAuthentication',
        'MonitoringInterval',
        'MonitoringRoleArn',
        'OptionGroupName',
      ],
      ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::RDS::OptionGroup'],
    ],
    [
      'postgres',
      { engine: POSTGRES },
      ['EnableIAMDatabaseAuthentication', 'MonitoringInterval', 'MonitoringRoleArn'],
      ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'],
    ],
    [
      'snapshot',
      { snapshotIdentifier: 'snap', masterUsername: 'ebroot' },
      [
        'EnableCloudwatchLogsExports',
        'EnableIAMDatabaseAuthentication',
        'MonitoringInterval',
        'MonitoringRoleArn',
        'OptionGroupName',
      ],
      ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::RDS::OptionGroup'],
    ],
  ])('%s: the instance is modified in place, nothing else it had changes', (name, props, changed, added) => {
    const old = before(name);
    const result = deployment(old, after(props));
    expectStatefulKept(result);
    expectKept(result, 'key, secret, rotation, parameter and subnet groups, security groups and rules', EXISTING);
    const [instance] = idsOfType(old, 'AWS::RDS::DBInstance');
    const changes = result.changes.filter((c) => c.logicalId !== instance);
    expect(changes.map((c) => `${c.type} ${c.impact}`).sort()).toEqual(
      [...added, ...MONITORING_RESOURCES].map((type) => `${type} WILL_CREATE`).sort(),
    );
    const instanceChange = result.change(instance)!;
    expect(instanceChange.impact).toBe('WILL_UPDATE');
    expect(instanceChange.properties.map((p) => p.name).sort()).toEqual(changed);
  });
});

describe('DetachableDatabase under AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1', () => {
  /**
   * The rules this change fixes: none may be reported on the database (the test's own VPC has a
   * flow-log role with an inline policy, which is not the construct's).
   */
  const FIXED =
    /-(RDSEnhancedMonitoringEnabled|RDSLoggingEnabled|EC2RestrictedSSH|EC2RestrictedCommonPorts|IAMNoInlinePolicy|IAM4|IAM5)\b/;

  function findings(props: Partial<DetachableDatabaseProps>, stackProps: StackProps = EU_WEST_1): Finding[] {
    const app = newComplianceApp();
    const stack = new Stack(app, 'Data', stackProps);
    allowDeprecatedVersion(
      new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }), ...props }),
    );
    return synthFindings(app);
  }

  test.each<[string, Partial<DetachableDatabaseProps>, StackProps]>([
    ['MySQL (default) in eu-west-1', {}, EU_WEST_1],
    ['MySQL (default), environment-agnostic', {}, {}],
    ['MySQL 8.0.26 (no audit plugin on RDS)', { engine: mysql(rds.MysqlEngineVersion.VER_8_0_26) }, EU_WEST_1],
    ['PostgreSQL', { engine: POSTGRES, databaseName: 'inventory' }, EU_WEST_1],
    ['PostgreSQL, environment-agnostic', { engine: POSTGRES }, {}],
    ['restored from a snapshot', { snapshotIdentifier: 'eb-final', masterUsername: 'ebroot' }, EU_WEST_1],
  ])(
    '%s: no Enhanced Monitoring, logging, port-check, inline or AWS managed policy finding',
    (_, props, stackProps) => {
      const fixed = findings(props, stackProps).filter((f) => f.path.startsWith('Data/Db/') && FIXED.test(f.rule));
      expect(formatFindings(fixed)).toBe('');
    },
  );

  /** The README's production example (PostgreSQL on m7g.large, 100 GiB, 14 days of backups) in an AWS Backup plan. */
  const PRODUCTION: Partial<DetachableDatabaseProps> = {
    engine: POSTGRES,
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
    allocatedStorage: 100,
    backupRetention: Duration.days(14),
    backupPlan: DatabaseBackupPlan.daily({ retention: Duration.days(90) }),
  };

  test.each<[string, Partial<DetachableDatabaseProps>, StackProps]>([
    ['defaults', {}, EU_WEST_1],
    ['defaults, environment-agnostic', {}, {}],
    ['the production configuration', PRODUCTION, EU_WEST_1],
    ['the production configuration, environment-agnostic', PRODUCTION, {}],
  ])('%s: the packs report nothing on the database', (_, props, stackProps) => {
    const left = findings(props, stackProps).filter((f) => f.path.startsWith('Data/Db/'));
    expect(formatFindings(left)).toBe('');
  });
});
