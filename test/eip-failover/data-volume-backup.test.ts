import { App, Duration, Size, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  DailyDataVolumeBackupOptions,
  DataVolumeBackupPlan,
  DataVolumeOptions,
  ElasticIpFailoverInstance,
  ElasticIpFailoverInstanceProps,
  FailoverStrategy,
} from '../../src';
import { acknowledgementsOn } from '../support/acknowledgements';
import { publicOnlyVpc } from '../support/vpc';

// dataVolume.backupPlan: the data volume of FailoverStrategy.autoScalingGroup() in an AWS Backup
// plan (the construct's daily one, or a given one), its volumes selected by tag, through a role of
// its own with a customer managed policy.

const ENV = { env: { account: '111111111111', region: 'eu-west-1' } };
const GROUP_TAG = 'cdk-ha-patterns:data-volume';
const VOLUMES = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111111111111:volume/*']] };
const SNAPSHOTS = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1::snapshot/*']] };

interface Built {
  readonly stack: Stack;
  readonly server: ElasticIpFailoverInstance;
  readonly template: Template;
}

function build(dataVolume: Partial<DataVolumeOptions>, props: Partial<ElasticIpFailoverInstanceProps> = {}): Built {
  const stack = new Stack(new App(), 'Stack', ENV);
  const server = new ElasticIpFailoverInstance(stack, 'Server', {
    vpc: publicOnlyVpc(stack),
    strategy: FailoverStrategy.autoScalingGroup({
      autoScalingGroupName: 'file-server',
      dataVolume: { size: Size.gibibytes(20), ...dataVolume },
    }),
    ...props,
  });
  return { stack, server, template: Template.fromStack(stack) };
}

function daily(options?: DailyDataVolumeBackupOptions, dataVolume: Partial<DataVolumeOptions> = {}): Built {
  return build({ ...dataVolume, backupPlan: DataVolumeBackupPlan.daily(options) });
}

/** The one resource of `type` in the template, with its logical id. */
function only(template: Template, type: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/** The data volume's key in the stack (the template's logical id of `key`). */
function keyId(stack: Stack, key: kms.Key): string {
  return stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
}

describe('DataVolumeBackupPlan.daily()', () => {
  test('a daily rule at 05:00 UTC keeping each snapshot 35 days, into a vault of its own', () => {
    const { template } = daily();
    const vault = only(template, 'AWS::Backup::BackupVault');
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: Match.stringLikeRegexp('^StackServerDataVolumeBackup'),
        BackupPlanRule: [
          {
            RuleName: 'Daily',
            ScheduleExpression: 'cron(0 5 * * ? *)',
            Lifecycle: { DeleteAfterDays: 35 },
            TargetBackupVault: { 'Fn::GetAtt': [vault.id, 'BackupVaultName'] },
          },
        ],
      },
    });
    template.resourceCountIs('AWS::Backup::BackupPlan', 1);
  });

  test('retention sets how long each snapshot is kept', () => {
    const { template } = daily({ retention: Duration.days(90) });
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: 90 } })] },
    });
  });

  test('the vault is retained when it leaves the stack (its recovery points outlive it); the plan and the selection are not', () => {
    const { template } = daily();
    expect(only(template, 'AWS::Backup::BackupVault').resource).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    for (const type of ['AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection']) {
      const { resource } = only(template, type);
      expect(resource.DeletionPolicy).toBeUndefined();
      expect(resource.UpdateReplacePolicy).toBeUndefined();
    }
  });

  test("the vault is encrypted with the data volume's key, or the construct's EBS key, or the vault key given", () => {
    const withVolumeKey = (() => {
      const s = new Stack(new App(), 'Stack', ENV);
      const key = new kms.Key(s, 'VolumeKey', { enableKeyRotation: true });
      new ElasticIpFailoverInstance(s, 'Server', {
        vpc: publicOnlyVpc(s),
        strategy: FailoverStrategy.autoScalingGroup({
          dataVolume: { size: Size.gibibytes(20), encryptionKey: key, backupPlan: DataVolumeBackupPlan.daily() },
        }),
      });
      return { template: Template.fromStack(s), id: keyId(s, key) };
    })();
    withVolumeKey.template.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [withVolumeKey.id, 'Arn'] },
    });

    const withEbsKey = (() => {
      const s = new Stack(new App(), 'Stack', ENV);
      const key = new kms.Key(s, 'EbsKey', { enableKeyRotation: true });
      new ElasticIpFailoverInstance(s, 'Server', {
        vpc: publicOnlyVpc(s),
        ebsEncryptionKey: key,
        strategy: FailoverStrategy.autoScalingGroup({
          dataVolume: { size: Size.gibibytes(20), backupPlan: DataVolumeBackupPlan.daily() },
        }),
      });
      return { template: Template.fromStack(s), id: keyId(s, key) };
    })();
    withEbsKey.template.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [withEbsKey.id, 'Arn'] },
    });

    const withVaultKey = (() => {
      const s = new Stack(new App(), 'Stack', ENV);
      const volume = new kms.Key(s, 'VolumeKey', { enableKeyRotation: true });
      const vault = new kms.Key(s, 'VaultKey', { enableKeyRotation: true });
      new ElasticIpFailoverInstance(s, 'Server', {
        vpc: publicOnlyVpc(s),
        strategy: FailoverStrategy.autoScalingGroup({
          dataVolume: {
            size: Size.gibibytes(20),
            encryptionKey: volume,
            backupPlan: DataVolumeBackupPlan.daily({ vaultEncryptionKey: vault }),
          },
        }),
      });
      return { template: Template.fromStack(s), id: keyId(s, vault) };
    })();
    withVaultKey.template.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [withVaultKey.id, 'Arn'] },
    });
  });

  test("without any customer managed key the vault uses AWS Backup's default key, and checkov's CMK check is skipped on it with why", () => {
    const { template } = daily();
    const { resource } = only(template, 'AWS::Backup::BackupVault');
    expect(resource.Properties.EncryptionKeyArn).toBeUndefined();
    expect(resource.Metadata.checkov.skip).toEqual([
      {
        id: 'CKV_AWS_166',
        comment: expect.stringMatching(
          /only EBS snapshots of the data volume, which AWS Backup does not encrypt with the vault's key.*set dataVolume\.encryptionKey/,
        ),
      },
    ]);
  });

  test('with a customer managed key, nothing is skipped on the vault', () => {
    const s = new Stack(new App(), 'Stack', ENV);
    new ElasticIpFailoverInstance(s, 'Server', {
      vpc: publicOnlyVpc(s),
      strategy: FailoverStrategy.autoScalingGroup({
        dataVolume: {
          size: Size.gibibytes(20),
          encryptionKey: new kms.Key(s, 'Key', { enableKeyRotation: true }),
          backupPlan: DataVolumeBackupPlan.daily(),
        },
      }),
    });
    expect(only(Template.fromStack(s), 'AWS::Backup::BackupVault').resource.Metadata).toBeUndefined();
  });
});

describe('the selection of the data volumes', () => {
  test("every EBS volume of this account and Region AND the group's data-volume tag (Conditions, not ListOfTags), through the construct's role", () => {
    const { template } = daily();
    const plan = only(template, 'AWS::Backup::BackupPlan');
    const { resource } = only(template, 'AWS::Backup::BackupSelection');
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.includes('DataVolumeBackupRole'),
    );
    expect(resource.Properties).toEqual({
      BackupPlanId: { 'Fn::GetAtt': [plan.id, 'BackupPlanId'] },
      BackupSelection: {
        SelectionName: expect.stringMatching(/^StackServerDataVolumeBackup/),
        IamRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        Resources: [VOLUMES],
        // CloudFormation's spelling: the L1 writes this JSON as given.
        Conditions: { StringEquals: [{ ConditionKey: `aws:ResourceTag/${GROUP_TAG}`, ConditionValue: 'file-server' }] },
      },
    });
  });

  test('the selection and plan names stay within the 50 characters AWS Backup allows and differ between two groups', () => {
    const stack = new Stack(new App(), 'AStackWithAVeryLongNameIndeedToPushTheLimitsOfNames', ENV);
    const vpc = publicOnlyVpc(stack);
    for (const id of ['FirstFileServerWithAVeryLongConstructId', 'SecondFileServerWithAVeryLongConstructId']) {
      new ElasticIpFailoverInstance(stack, id, {
        vpc,
        strategy: FailoverStrategy.autoScalingGroup({
          dataVolume: { size: Size.gibibytes(20), backupPlan: DataVolumeBackupPlan.daily() },
        }),
      });
    }
    const template = Template.fromStack(stack);
    const selections = Object.values(template.findResources('AWS::Backup::BackupSelection')).map(
      (r: any) => r.Properties.BackupSelection.SelectionName as string,
    );
    const plans = Object.values(template.findResources('AWS::Backup::BackupPlan')).map(
      (r: any) => r.Properties.BackupPlan.BackupPlanName as string,
    );
    for (const names of [selections, plans]) {
      expect(new Set(names).size).toBe(2);
      for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_.-]{1,50}$/);
    }
  });

  test('a given plan: only the selection and its role are created, in the given plan', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', ENV);
    const plan = backup.BackupPlan.daily35DayRetention(shared, 'OrgPlan');
    const stack = new Stack(app, 'Stack', ENV);
    const server = new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup({
        dataVolume: { size: Size.gibibytes(20), backupPlan: DataVolumeBackupPlan.fromBackupPlan(plan) },
      }),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Backup::BackupPlan', 0);
    template.resourceCountIs('AWS::Backup::BackupVault', 0);
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Shared:ExportsOutputFnGetAttOrgPlan') },
    });
    expect(server.dataVolumeBackupPlan).toBe(plan);
    expect(server.dataVolumeBackupVault).toBeUndefined();
    expect(server.dataVolumeBackupRole).toBeDefined();
  });
});

describe("the selection's role", () => {
  function policyOf(template: Template): { id: string; resource: any } {
    const found = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) =>
      id.includes('DataVolumeBackupPolicy'),
    );
    expect(found).toHaveLength(1);
    return { id: found[0][0], resource: found[0][1] };
  }

  test('is assumed by AWS Backup only and holds one customer managed policy, no AWS managed one and no inline policy', () => {
    const { template } = daily();
    const policy = policyOf(template);
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.includes('DataVolumeBackupRole'),
    );
    expect(roles).toHaveLength(1);
    const [, role] = roles[0];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: policy.id }]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('AWSBackupServiceRolePolicy');
    const inline = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
      JSON.stringify(p.Properties.Roles ?? []).includes('DataVolumeBackupRole'),
    );
    expect(inline).toEqual([]);
  });

  test("without a customer managed key: snapshot the group's volumes, create and tag snapshots, delete only AWS Backup's, read", () => {
    const { template } = daily();
    expect(policyOf(template).resource.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'SnapshotVolumesOfThisGroup',
        Effect: 'Allow',
        Action: 'ec2:CreateSnapshot',
        Resource: VOLUMES,
        Condition: { StringEquals: { [`aws:ResourceTag/${GROUP_TAG}`]: 'file-server' } },
      },
      {
        Sid: 'CreateAndTagTheSnapshots',
        Effect: 'Allow',
        Action: ['ec2:CreateSnapshot', 'ec2:CreateTags'],
        Resource: SNAPSHOTS,
      },
      {
        Sid: 'ExpireOnlySnapshotsAwsBackupTook',
        Effect: 'Allow',
        Action: 'ec2:DeleteSnapshot',
        Resource: SNAPSHOTS,
        Condition: { Null: { 'aws:ResourceTag/aws:backup:source-resource': 'false' } },
      },
      {
        Sid: 'ReadVolumesSnapshotsAndTags',
        Effect: 'Allow',
        Action: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'tag:GetResources'],
        Resource: '*',
      },
    ]);
  });

  test("with the data volume's customer managed key: its use through EBS, on that key only", () => {
    const s = new Stack(new App(), 'Stack', ENV);
    const key = new kms.Key(s, 'VolumeKey', { enableKeyRotation: true });
    new ElasticIpFailoverInstance(s, 'Server', {
      vpc: publicOnlyVpc(s),
      strategy: FailoverStrategy.autoScalingGroup({
        dataVolume: { size: Size.gibibytes(20), encryptionKey: key, backupPlan: DataVolumeBackupPlan.daily() },
      }),
    });
    const template = Template.fromStack(s);
    const keyArn = { 'Fn::GetAtt': [keyId(s, key), 'Arn'] };
    const statements = policyOf(template).resource.Properties.PolicyDocument.Statement;
    expect(statements.filter((st: any) => JSON.stringify(st.Action).includes('kms:'))).toEqual([
      { Sid: 'DescribeTheVolumeKey', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: keyArn },
      {
        Sid: 'LetEbsUseTheVolumeKey',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: keyArn,
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
      {
        Sid: 'UseTheVolumeKeyThroughEbs',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  test('acknowledges AwsSolutions-IAM5 on its policy for exactly the three inherent wildcards, each with why', () => {
    const { server } = daily();
    const policy = server.node.findChild('DataVolumeBackup').node.findChild('Policy');
    const acks = acknowledgementsOn(policy);
    const ids = Object.keys(acks).map((id) => id.replace(/^Annotation::/, ''));
    expect(ids.sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:eu-west-1:111111111111:volume/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:eu-west-1::snapshot/*]',
      ].sort(),
    );
    const reasons = Object.values(acks).join('\n');
    expect(reasons).toMatch(/ec2:DescribeVolumes, ec2:DescribeSnapshots, ec2:DescribeTags and tag:GetResources/);
    expect(reasons).toMatch(/snapshot only volumes tagged cdk-ha-patterns:data-volume = this group/);
    expect(reasons).toMatch(/delete only those tagged aws:backup:source-resource/);
  });
});

describe('exposed members and the default', () => {
  test('with daily(): the plan, the vault and the role', () => {
    const { server } = daily();
    const scope = server.node.findChild('DataVolumeBackup');
    expect(server.dataVolumeBackupPlan).toBe(scope.node.findChild('Plan'));
    expect(server.dataVolumeBackupVault).toBe(scope.node.findChild('Vault'));
    expect(server.dataVolumeBackupRole).toBe(scope.node.findChild('Role'));
  });

  test('without backupPlan (the default): no AWS Backup resource, no role for it, no members', () => {
    const { server, template } = build({});
    for (const type of ['AWS::Backup::BackupPlan', 'AWS::Backup::BackupVault', 'AWS::Backup::BackupSelection']) {
      template.resourceCountIs(type, 0);
    }
    expect(JSON.stringify(template.toJSON())).not.toContain('backup.amazonaws.com');
    expect(server.dataVolumeBackupPlan).toBeUndefined();
    expect(server.dataVolumeBackupVault).toBeUndefined();
    expect(server.dataVolumeBackupRole).toBeUndefined();
  });

  test('the deprecated construct-level dataVolume takes it too', () => {
    const stack = new Stack(new App(), 'Stack', ENV);
    new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup(),
      dataVolume: { size: Size.gibibytes(20), backupPlan: DataVolumeBackupPlan.daily() },
    });
    Template.fromStack(stack).resourceCountIs('AWS::Backup::BackupSelection', 1);
  });
});

describe('validation', () => {
  test.each<[string, Duration]>([
    ['zero days', Duration.days(0)],
    ['a day and a half', Duration.hours(36)],
    ['a few minutes', Duration.minutes(30)],
  ])('DataVolumeBackupPlan.daily({ retention }) refuses %s, naming the prop', (_, retention) => {
    expect(() => daily({ retention })).toThrow(
      new RegExp(
        `dataVolume\\.backupPlan DataVolumeBackupPlan\\.daily\\(\\{ retention \\}\\) must be a whole number of days, at least 1 .*received '${retention.toHumanString()}'`,
      ),
    );
  });

  test('one day, a whole number of hours that makes days, and unresolved tokens are accepted', () => {
    expect(() => daily({ retention: Duration.days(1) })).not.toThrow();
    expect(() => daily({ retention: Duration.hours(48) })).not.toThrow();
    expect(() => daily({ retention: Duration.days(Token.asNumber({ Ref: 'RetentionDays' })) })).not.toThrow();
  });

  test('a retention problem is reported with the other problems of the props, in one error', () => {
    expect(() => daily({ retention: Duration.hours(12) }, { snapshotRetention: 0 })).toThrow(
      /dataVolume\.snapshotRetention[\s\S]*dataVolume\.backupPlan/,
    );
  });
});
