import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import { DatabaseBackupPlan, DetachableDatabase, DetachableDatabaseProps } from '../../src';
import { acknowledgementsOn } from '../support/acknowledgements';
import { formatFindings, synthFindings } from '../support/checked-app';
import { newComplianceApp } from '../support/compliance';
import { databaseVpc } from '../support/vpc';
import { CfnTemplate } from '../update-safety/diff';
import { deployment, expectKept, expectStatefulKept, idsOfType, synthWith } from '../update-safety/safety';

// DetachableDatabase in an AWS Backup plan (`backupPlan`) and IAM database authentication on by
// default: the plan, vault, selection and role, the acknowledgements and checkov skip when they
// are off, and an update from the templates of the release before them.

const EU_WEST_1: StackProps = { env: { region: 'eu-west-1' } };
const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 });

function build(
  props: Partial<DetachableDatabaseProps> = {},
  stackProps: StackProps = EU_WEST_1,
): { stack: Stack; db: DetachableDatabase; template: Template } {
  const stack = new Stack(new App(), 'Stack', stackProps);
  const db = new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }), ...props });
  return { stack, db, template: Template.fromStack(stack) };
}

function idOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as any);
}

function child(db: DetachableDatabase, id: string): IConstruct {
  return db.node.findChild(id);
}

/** `arn:<partition>:rds:eu-west-1:<account>:<suffix>` as the template writes it. */
function rdsArn(...suffix: unknown[]): unknown {
  return {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:eu-west-1:', { Ref: 'AWS::AccountId' }, ...suffix]],
  };
}

describe('DetachableDatabase backupPlan: DatabaseBackupPlan.daily()', () => {
  test('a daily rule at 05:00 UTC keeping each snapshot 35 days, into the construct vault', () => {
    const { stack, db, template } = build({ backupPlan: DatabaseBackupPlan.daily() });
    template.resourceCountIs('AWS::Backup::BackupPlan', 1);
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: 'StackDbBC2A9128',
        BackupPlanRule: [
          {
            RuleName: 'Daily',
            ScheduleExpression: 'cron(0 5 * * ? *)',
            Lifecycle: { DeleteAfterDays: 35 },
            TargetBackupVault: { 'Fn::GetAtt': [idOf(stack, child(db, 'BackupVault')), 'BackupVaultName'] },
          },
        ],
      },
    });
    // Snapshot backups only: the instance's point-in-time recovery stays with RDS.
    const [plan] = Object.values(template.findResources('AWS::Backup::BackupPlan'));
    expect(plan.Properties.BackupPlan.BackupPlanRule[0].EnableContinuousBackup).toBeUndefined();
  });

  test('retention sets how long AWS Backup keeps each snapshot', () => {
    build({ backupPlan: DatabaseBackupPlan.daily({ retention: Duration.days(90) }) }).template.hasResourceProperties(
      'AWS::Backup::BackupPlan',
      { BackupPlan: { BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: 90 } })] } },
    );
  });

  test("the vault is encrypted with the database's key and retained", () => {
    const { stack, db, template } = build({ backupPlan: DatabaseBackupPlan.daily() });
    template.hasResource('AWS::Backup::BackupVault', {
      Properties: {
        BackupVaultName: 'StackDbBackupVault641865C1',
        EncryptionKeyArn: { 'Fn::GetAtt': [idOf(stack, db.encryptionKey), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(db.awsBackupVault).toBe(child(db, 'BackupVault'));
    expect(db.awsBackupPlan).toBe(child(db, 'BackupPlan'));
  });

  test('vaultEncryptionKey encrypts the vault with a key of its own', () => {
    const stack = new Stack(new App(), 'Stack', EU_WEST_1);
    const vaultKey = new kms.Key(stack, 'VaultKey', { enableKeyRotation: true });
    new DetachableDatabase(stack, 'Db', {
      vpc: databaseVpc(stack, { natGateways: 1 }),
      backupPlan: DatabaseBackupPlan.daily({ vaultEncryptionKey: vaultKey }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [idOf(stack, vaultKey), 'Arn'] },
    });
  });

  test('the selection names the instance by its ARN, through the construct role', () => {
    const { stack, db, template } = build({ backupPlan: DatabaseBackupPlan.daily() });
    const instance = idOf(stack, db.instance);
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: { 'Fn::GetAtt': [idOf(stack, child(db, 'BackupPlan')), 'BackupPlanId'] },
      BackupSelection: {
        SelectionName: 'StackDbBC2A9128',
        IamRoleArn: { 'Fn::GetAtt': [idOf(stack, child(db, 'BackupRole')), 'Arn'] },
        Resources: [rdsArn(':db:', { Ref: instance })],
        ListOfTags: Match.absent(),
        Conditions: Match.absent(),
      },
    });
  });

  test('the role is assumed by AWS Backup and holds one customer managed policy, no AWS managed policy', () => {
    const { stack, db, template } = build({ backupPlan: DatabaseBackupPlan.daily() });
    const roleId = idOf(stack, child(db, 'BackupRole'));
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } }],
      },
      ManagedPolicyArns: [{ Ref: idOf(stack, child(db, 'BackupPolicy')) }],
      Policies: Match.absent(),
    });
    const inline = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    });
    expect(Object.keys(inline)).toEqual([]);
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain('AWSBackupServiceRolePolicyForBackup');
    expect(text).not.toContain('AWSBackupServiceRolePolicyForRestores');
    expect(db.awsBackupRole).toBe(child(db, 'BackupRole'));
  });

  test("the policy holds the RDS snapshot statements of AWSBackupServiceRolePolicyForBackup, narrowed to this instance and AWS Backup's snapshots", () => {
    const { stack, db, template } = build({ backupPlan: DatabaseBackupPlan.daily() });
    const instanceArn = rdsArn(':db:', { Ref: idOf(stack, db.instance) });
    const snapshots = rdsArn(':snapshot:awsbackup:*');
    const key = { 'Fn::GetAtt': [idOf(stack, db.encryptionKey), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SnapshotThisInstance',
            Effect: 'Allow',
            Action: 'rds:CreateDBSnapshot',
            Resource: [instanceArn, snapshots],
          },
          { Sid: 'DescribeThisInstance', Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: instanceArn },
          {
            Sid: 'ReadThisInstanceAndItsBackups',
            Effect: 'Allow',
            Action: ['rds:DescribeDBSnapshots', 'rds:ListTagsForResource'],
            Resource: [instanceArn, snapshots],
          },
          {
            Sid: 'TagAndExpireItsBackups',
            Effect: 'Allow',
            Action: ['rds:AddTagsToResource', 'rds:DeleteDBSnapshot'],
            Resource: snapshots,
          },
          { Sid: 'UseTheInstanceKey', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: key },
          {
            Sid: 'LetRdsUseTheInstanceKey',
            Effect: 'Allow',
            Action: 'kms:CreateGrant',
            Resource: key,
            Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          },
        ],
      },
      Roles: Match.absent(),
    });
  });

  test('the logical ids of the vault, plan, selection, role and policy are pinned (a new vault id would strand the recovery points in the old one)', () => {
    const { template } = build({ backupPlan: DatabaseBackupPlan.daily() });
    const json = template.toJSON();
    expect({
      vault: idsOfType(json, 'AWS::Backup::BackupVault'),
      plan: idsOfType(json, 'AWS::Backup::BackupPlan'),
      selection: idsOfType(json, 'AWS::Backup::BackupSelection'),
    }).toEqual({
      vault: ['DbBackupVault5D094E6F'],
      plan: ['DbBackupPlan73FD641A'],
      selection: ['DbBackupSelection8B998C57'],
    });
    expect(idsOfType(json, 'AWS::IAM::Role')).toContain('DbBackupRole077F257D');
    expect(idsOfType(json, 'AWS::IAM::ManagedPolicy')).toContain('DbBackupPolicy6D2B081D');
  });

  test('a restored instance is selected the same way', () => {
    const { stack, db, template } = build({
      snapshotIdentifier: 'eb-final',
      masterUsername: 'ebroot',
      backupPlan: DatabaseBackupPlan.daily(),
    });
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [rdsArn(':db:', { Ref: idOf(stack, db.instance) })] }),
    });
  });

  test('two databases in one stack get plans and selections of different names', () => {
    const stack = new Stack(new App(), 'Stack', EU_WEST_1);
    const vpc = databaseVpc(stack, { natGateways: 1 });
    new DetachableDatabase(stack, 'Orders', { vpc, backupPlan: DatabaseBackupPlan.daily() });
    new DetachableDatabase(stack, 'Inventory', { vpc, backupPlan: DatabaseBackupPlan.daily() });
    const template = Template.fromStack(stack);
    const names = Object.values(template.findResources('AWS::Backup::BackupPlan')).map(
      (r) => r.Properties.BackupPlan.BackupPlanName,
    );
    expect(new Set(names).size).toBe(2);
  });
});

describe('DetachableDatabase backupPlan: DatabaseBackupPlan.fromBackupPlan()', () => {
  test('adds a selection of the instance to the given plan and creates no plan or vault', () => {
    const stack = new Stack(new App(), 'Stack', EU_WEST_1);
    const plan = backup.BackupPlan.daily35DayRetention(stack, 'CompanyPlan');
    const db = new DetachableDatabase(stack, 'Db', {
      vpc: databaseVpc(stack, { natGateways: 1 }),
      backupPlan: DatabaseBackupPlan.fromBackupPlan(plan),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Backup::BackupPlan', 1);
    // Only the plan's own default vault: none of the database's.
    expect(db.node.tryFindChild('BackupVault')).toBeUndefined();
    expect(db.awsBackupVault).toBeUndefined();
    expect(db.awsBackupPlan).toBe(plan);
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: { 'Fn::GetAtt': [idOf(stack, plan), 'BackupPlanId'] },
      BackupSelection: Match.objectLike({
        IamRoleArn: { 'Fn::GetAtt': [idOf(stack, child(db, 'BackupRole')), 'Arn'] },
        Resources: [rdsArn(':db:', { Ref: idOf(stack, db.instance) })],
      }),
    });
  });

  test("a plan in another stack: the selection is created in the database's stack, importing the plan id", () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', EU_WEST_1);
    const plan = backup.BackupPlan.daily35DayRetention(shared, 'CompanyPlan');
    const data = new Stack(app, 'Data', EU_WEST_1);
    new DetachableDatabase(data, 'Db', {
      vpc: databaseVpc(data, { natGateways: 1 }),
      backupPlan: DatabaseBackupPlan.fromBackupPlan(plan),
    });
    const template = Template.fromStack(data);
    template.resourceCountIs('AWS::Backup::BackupPlan', 0);
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Shared:') },
    });
    Template.fromStack(shared).resourceCountIs('AWS::Backup::BackupSelection', 0);
    expect(data.dependencies).toContain(shared);
  });
});

describe('DetachableDatabase without backupPlan', () => {
  test('creates no AWS Backup resource and exposes none', () => {
    const { db, template } = build();
    for (const type of ['AWS::Backup::BackupVault', 'AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection']) {
      template.resourceCountIs(type, 0);
    }
    expect([db.awsBackupPlan, db.awsBackupVault, db.awsBackupRole]).toEqual([undefined, undefined, undefined]);
  });

  test('acknowledges RDSInBackupPlan (NIST 800-53 R5, HIPAA) on the instance, naming the automated backups and the prop that adds a plan', () => {
    const acks = acknowledgementsOn(build().db.instance);
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      const reason = acks[`${pack}-RDSInBackupPlan`];
      expect(reason).toMatch(/RDS automated backups/);
      expect(reason).toMatch(/7 days \(backupRetention\)/);
      expect(reason).toMatch(/point-in-time recovery/);
      expect(reason).toMatch(/kept after the instance is deleted/);
      expect(reason).toMatch(/removalPolicy: SNAPSHOT/);
      expect(reason).toMatch(
        /set backupPlan \(DatabaseBackupPlan\.daily\(\) or DatabaseBackupPlan\.fromBackupPlan\(plan\)\)/,
      );
    }
    expect(Object.keys(acks).filter((id) => id.includes('PCI.DSS.321-RDSInBackupPlan'))).toEqual([]);
  });

  test('the reason follows backupRetention and removalPolicy', () => {
    const acks = acknowledgementsOn(
      build({ backupRetention: Duration.days(14), removalPolicy: RemovalPolicy.RETAIN }).db.instance,
    );
    expect(acks['NIST.800.53.R5-RDSInBackupPlan']).toMatch(/14 days \(backupRetention\)/);
    expect(acks['NIST.800.53.R5-RDSInBackupPlan']).not.toMatch(/final snapshot/);
  });

  test('acknowledges it on the instance only', () => {
    const { db } = build();
    const elsewhere = db.node
      .findAll()
      .filter((c) => c !== db.instance)
      .filter((c) => Object.keys(acknowledgementsOn(c)).some((id) => id.includes('RDSInBackupPlan')));
    expect(elsewhere.map((c) => c.node.path)).toEqual([]);
  });

  test('with backupPlan nothing about RDSInBackupPlan is acknowledged', () => {
    const { db } = build({ backupPlan: DatabaseBackupPlan.daily() });
    const acked = db.node
      .findAll()
      .flatMap((c) => Object.keys(acknowledgementsOn(c)))
      .filter((id) => id.includes('RDSInBackupPlan'));
    expect(acked).toEqual([]);
  });

  test("the IAM5 finding on AWS Backup's snapshot names is acknowledged on the backup policy, by its exact resource", () => {
    const { db } = build({ backupPlan: DatabaseBackupPlan.daily() });
    const acks = acknowledgementsOn(child(db, 'BackupPolicy'));
    expect(Object.keys(acks)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:eu-west-1:<AWS::AccountId>:snapshot:awsbackup:*]',
    ]);
    expect(Object.values(acks)[0]).toMatch(/awsbackup:job-<id>/);
  });
});

describe('DetachableDatabase backupPlan validation', () => {
  test.each<[string, Duration]>([
    ['shorter than a week', Duration.days(3)],
    ['not whole days', Duration.hours(200)],
  ])('DatabaseBackupPlan.daily({ retention }) %s is refused, naming the prop', (_, retention) => {
    expect(() => build({ backupPlan: DatabaseBackupPlan.daily({ retention }) })).toThrow(
      new RegExp(
        `backupPlan DatabaseBackupPlan\\.daily\\(\\{ retention \\}\\) must be a whole number of days, at least 7 .*received '${retention.toHumanString()}'`,
      ),
    );
  });

  test('a week, and a token, are accepted', () => {
    expect(() => build({ backupPlan: DatabaseBackupPlan.daily({ retention: Duration.days(7) }) })).not.toThrow();
    const token = Duration.days(Token.asNumber({ Ref: 'Days' }));
    expect(() => build({ backupPlan: DatabaseBackupPlan.daily({ retention: token }) })).not.toThrow();
  });

  test('its problem is reported with the others', () => {
    expect(() =>
      build({
        backupRetention: Duration.days(40),
        backupPlan: DatabaseBackupPlan.daily({ retention: Duration.days(1) }),
      }),
    ).toThrow(/backupRetention[\s\S]*backupPlan/);
  });
});

describe('DetachableDatabase IAM database authentication', () => {
  test('is on by default, for a new and a restored instance', () => {
    build().template.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
    build({ snapshotIdentifier: 'eb-final', masterUsername: 'ebroot' }).template.hasResourceProperties(
      'AWS::RDS::DBInstance',
      { EnableIAMDatabaseAuthentication: true },
    );
  });

  test('on, the instance carries no checkov skip', () => {
    const { template } = build();
    const [instance] = Object.values(template.findResources('AWS::RDS::DBInstance'));
    expect(instance.Metadata?.checkov).toBeUndefined();
  });

  test('iamAuthentication: false turns it off and skips CKV_AWS_161 on the instance, naming the prop', () => {
    const { template } = build({ iamAuthentication: false });
    template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ EnableIAMDatabaseAuthentication: false }),
      Metadata: Match.objectLike({
        checkov: {
          skip: [{ id: 'CKV_AWS_161', comment: Match.stringLikeRegexp('because iamAuthentication is false') }],
        },
      }),
    });
    const skipped = Object.values<any>(template.toJSON().Resources).filter((r) => r.Metadata?.checkov);
    expect(skipped.map((r) => r.Type)).toEqual(['AWS::RDS::DBInstance']);
  });
});

describe('DetachableDatabase backupPlan under the compliance packs', () => {
  function findingsOnDb(fill: (stack: Stack) => void): string {
    const app = newComplianceApp();
    const stack = new Stack(app, 'Data', EU_WEST_1);
    fill(stack);
    return formatFindings(synthFindings(app).filter((f) => f.path.startsWith('Data/Db/')));
  }

  test.each<[string, () => DatabaseBackupPlan]>([
    ['daily()', () => DatabaseBackupPlan.daily()],
    ['daily({ retention: 90 days })', () => DatabaseBackupPlan.daily({ retention: Duration.days(90) })],
  ])('%s: no finding on the database, its plan, vault, selection or role', (_, plan) => {
    const found = findingsOnDb((stack) => {
      new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { natGateways: 1 }), backupPlan: plan() });
    });
    expect(found).toBe('');
  });

  test('fromBackupPlan(): no finding on the database or its selection and role', () => {
    const found = findingsOnDb((stack) => {
      const plan = backup.BackupPlan.daily35DayRetention(stack, 'CompanyPlan');
      new DetachableDatabase(stack, 'Db', {
        vpc: databaseVpc(stack, { natGateways: 1 }),
        backupPlan: DatabaseBackupPlan.fromBackupPlan(plan),
      });
    });
    expect(found).toBe('');
  });
});

describe('DetachableDatabase updated from the release before backupPlan and IAM authentication by default', () => {
  // Templates synthesized from the release before this change (same app layout as
  // before-compliance-defaults: stack 'Stack' in eu-west-1 of account 111111111111).
  const before = (name: string): CfnTemplate =>
    JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', `before-backup-plan.${name}.template.json`), 'utf-8'));
  const after = (props: Partial<DetachableDatabaseProps>, extra?: (stack: Stack) => Partial<DetachableDatabaseProps>) =>
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
      new DetachableDatabase(stack, 'Db', { vpc, ...props, ...extra?.(stack) });
    }).template;

  const CASES: Array<[string, Partial<DetachableDatabaseProps>]> = [
    ['mysql', {}],
    ['postgres', { engine: POSTGRES }],
    ['snapshot', { snapshotIdentifier: 'snap', masterUsername: 'ebroot' }],
    [
      'production',
      {
        engine: POSTGRES,
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
        allocatedStorage: 100,
        backupRetention: Duration.days(14),
      },
    ],
  ];

  const BACKUP_RESOURCES = [
    'AWS::Backup::BackupPlan',
    'AWS::Backup::BackupSelection',
    'AWS::Backup::BackupVault',
    'AWS::IAM::ManagedPolicy',
    'AWS::IAM::Role',
  ];

  /** What the alarms and the event subscription add to a deployment of the fixture (stateless). */
  const MONITORING_RESOURCES = [
    ...Array<string>(4).fill('AWS::CloudWatch::Alarm'),
    'AWS::KMS::Key',
    'AWS::RDS::EventSubscription',
    'AWS::SNS::Topic',
    'AWS::SNS::TopicPolicy',
  ];

  /** The instance of `template` (its one AWS::RDS::DBInstance). */
  const instanceOf = (template: CfnTemplate): any => template.Resources[idsOfType(template, 'AWS::RDS::DBInstance')[0]];

  test.each(CASES)(
    '%s: the fixture is what this release synthesizes with iamAuthentication, alarms and eventNotifications off, but for the checkov skip on the instance',
    (name, props) => {
      const current = after({ ...props, iamAuthentication: false, alarms: false, eventNotifications: false });
      expect(instanceOf(current).Metadata).toEqual({
        checkov: { skip: [{ id: 'CKV_AWS_161', comment: expect.stringContaining('iamAuthentication is false') }] },
      });
      delete instanceOf(current).Metadata;
      expect(current).toEqual(before(name));
    },
  );

  test.each(CASES)(
    '%s: adding DatabaseBackupPlan.daily() only creates the plan, vault, selection, role and policy; the instance is not changed',
    (_, props) => {
      const result = deployment(after(props), after({ ...props, backupPlan: DatabaseBackupPlan.daily() }));
      expectStatefulKept(result);
      expect(result.changes.map((c) => `${c.type} ${c.impact}`).sort()).toEqual(
        BACKUP_RESOURCES.map((type) => `${type} WILL_CREATE`),
      );
    },
  );

  test('mysql: adding DatabaseBackupPlan.fromBackupPlan() only creates the selection, its role and policy', () => {
    const result = deployment(
      after({}),
      after({}, (stack) => ({
        backupPlan: DatabaseBackupPlan.fromBackupPlan(
          backup.BackupPlan.fromBackupPlanId(stack, 'CompanyPlan', 'company-plan-id'),
        ),
      })),
    );
    expectStatefulKept(result);
    expect(result.changes.map((c) => `${c.type} ${c.impact}`).sort()).toEqual([
      'AWS::Backup::BackupSelection WILL_CREATE',
      'AWS::IAM::ManagedPolicy WILL_CREATE',
      'AWS::IAM::Role WILL_CREATE',
    ]);
  });

  test.each(CASES)(
    '%s: from the fixture, keeping iamAuthentication off and adding DatabaseBackupPlan.daily(), the instance only gains its checkov skip (Metadata, no property)',
    (name, props) => {
      const old = before(name);
      const result = deployment(
        old,
        after({ ...props, iamAuthentication: false, backupPlan: DatabaseBackupPlan.daily() }),
      );
      expectStatefulKept(result);
      expectKept(result, 'everything the database had', (c) => c.logicalId in old.Resources);
      const [instance] = idsOfType(old, 'AWS::RDS::DBInstance');
      expect(result.change(instance)!.properties.map((p) => p.name)).toEqual(['Metadata']);
      expect(
        result.changes
          .filter((c) => c.logicalId !== instance)
          .map((c) => `${c.type} ${c.impact}`)
          .sort(),
      ).toEqual([...BACKUP_RESOURCES, ...MONITORING_RESOURCES].map((type) => `${type} WILL_CREATE`).sort());
    },
  );

  test.each(CASES)(
    '%s: the new default turns IAM authentication on by modifying the instance in place, and changes nothing else',
    (name, props) => {
      const old = before(name);
      const result = deployment(old, after({ ...props, backupPlan: DatabaseBackupPlan.daily() }));
      expectStatefulKept(result);
      expectKept(result, 'everything the database had', (c) => c.logicalId in old.Resources);
      const [instance] = idsOfType(old, 'AWS::RDS::DBInstance');
      const change = result.change(instance)!;
      expect(change.impact).toBe('WILL_UPDATE');
      expect(change.properties.map((p) => `${p.name} ${p.impact}`)).toEqual([
        'EnableIAMDatabaseAuthentication WILL_UPDATE',
      ]);
      const others = result.changes.filter((c) => c.logicalId !== instance);
      expect(others.map((c) => `${c.type} ${c.impact}`).sort()).toEqual(
        [...BACKUP_RESOURCES, ...MONITORING_RESOURCES].map((type) => `${type} WILL_CREATE`).sort(),
      );
    },
  );
});
