import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataVolumeBackupPlan, DataVolumeOptions, ElasticIpFailoverInstance, FailoverStrategy } from '../../src';
import { Finding, formatFindings, synthFindings } from '../support/checked-app';
import { checkovFailures } from '../support/checkov';
import { newComplianceApp } from '../support/compliance';
import { publicOnlyVpc } from '../support/vpc';
import { CfnTemplate } from '../update-safety/diff';
import { deployment, expectStatefulKept, synth } from '../update-safety/safety';

// dataVolume.backupPlan under cdk-nag's AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS
// 3.2.1 packs and checkov: the plan, vault, selection, role and policy it adds are reported for
// nothing, and it adds no finding anywhere else. Added to an existing deployment, it creates the
// backup resources and changes nothing else.

const EU_WEST_1 = { env: { region: 'eu-west-1' } };

/** The example app's file server, with a customer managed key for the volume or without. */
function fileServer(stack: Stack, options: { backup: boolean; key: boolean }): ElasticIpFailoverInstance {
  const dataVolume: DataVolumeOptions = {
    size: Size.gibibytes(20),
    mountPath: '/var/lib/app',
    replacedDataRetention: Duration.days(14),
    encryptionKey: options.key ? new kms.Key(stack, 'DataKey', { enableKeyRotation: true }) : undefined,
    backupPlan: options.backup ? DataVolumeBackupPlan.daily() : undefined,
  };
  return new ElasticIpFailoverInstance(stack, 'Server', {
    vpc: publicOnlyVpc(stack),
    strategy: FailoverStrategy.autoScalingGroup({ dataVolume }),
  });
}

const BACKUP_PATH = /\/Server\/DataVolumeBackup\//;

/** A finding the validation report lists as suppressed, with where it was acknowledged. */
interface Suppressed {
  readonly rule: string;
  readonly path: string;
  readonly acknowledgedAt: string;
}

function suppressedViolations(report: string): Suppressed[] {
  const json = JSON.parse(fs.readFileSync(report, 'utf-8'));
  return (json.pluginReports ?? []).flatMap((plugin: any) =>
    (plugin.suppressedViolations ?? []).flatMap((v: any) =>
      (v.violatingConstructs ?? []).map((c: any) => ({
        rule: v.ruleName,
        path: c.constructPath,
        acknowledgedAt: v.acknowledgedAt,
      })),
    ),
  );
}

describe.each([
  ['the account default EBS key', false],
  ['a customer managed key', true],
])('dataVolume.backupPlan with %s, under AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1', (_, key) => {
  function findings(backup: boolean): { found: Finding[]; suppressed: Suppressed[] } {
    const app = newComplianceApp();
    const stack = new Stack(app, 'Eip', EU_WEST_1);
    fileServer(stack, { backup, key }).allowFromInternet(ec2.Port.tcp(443), 'HTTPS file service');
    const found = synthFindings(app);
    return { found, suppressed: suppressedViolations(path.join(app.outdir, 'validation-report.json')) };
  }
  const line = (f: Finding) => `${f.rule} ${f.path}`;
  let withPlan: Finding[];
  let without: Finding[];
  let suppressed: Suppressed[];
  beforeAll(() => {
    ({ found: withPlan, suppressed } = findings(true));
    without = findings(false).found;
  });

  test('nothing on its resources is hidden by an acknowledgement made elsewhere with the same id', () => {
    // cdk-nag does not report a rule acknowledged on the resource's own construct (or an ancestor),
    // but aws-cdk-lib then suppresses what cdk-nag does report by its id wherever in the app that id
    // was acknowledged: the other roles' IAM5 acknowledgements would hide one missing here.
    const hidden = suppressed.filter((v) => BACKUP_PATH.test(v.path));
    expect(hidden.map((v) => `${v.rule} ${v.path} <- ${v.acknowledgedAt}`)).toEqual([]);
  });

  test('nothing is reported on the plan, the vault, the selection, the role or the policy', () => {
    // The packs did run (the test VPC and the functions have findings of their own, not this option's).
    expect(without.length).toBeGreaterThan(0);
    expect(formatFindings(withPlan.filter((f) => BACKUP_PATH.test(f.path)))).toBe('');
  });

  test('and nothing new anywhere else: the findings are those of the same construct without it', () => {
    expect(withPlan.map(line).sort()).toEqual(without.map(line).sort());
  });
});

describe('dataVolume.backupPlan under checkov', () => {
  const template = (options: { backup: boolean; key: boolean }) => {
    const stack = new Stack(new App(), 'Stack', EU_WEST_1);
    fileServer(stack, options);
    return Template.fromStack(stack).toJSON();
  };

  test.each([
    ['the account default EBS key (the vault CMK check skipped with why)', false],
    ['a customer managed key', true],
  ])('with %s: no failed check on its resources, and no failure the construct does not have without it', (_, key) => {
    const withPlan = checkovFailures(template({ backup: true, key }));
    expect(withPlan.filter((f) => /DataVolumeBackup/.test(f))).toEqual([]);
    expect(withPlan.sort()).toEqual(checkovFailures(template({ backup: false, key })).sort());
  });

  test('the vault CMK check (CKV_AWS_166) applies to the vault: without the skip, checkov fails it', () => {
    const t = template({ backup: true, key: false });
    for (const resource of Object.values<any>(t.Resources)) {
      if (resource.Type === 'AWS::Backup::BackupVault') delete resource.Metadata;
    }
    expect(checkovFailures(t).filter((f) => f.startsWith('CKV_AWS_166 '))).toEqual([
      expect.stringMatching(/^CKV_AWS_166 ServerDataVolumeBackupVault/),
    ]);
  });
});

describe('dataVolume.backupPlan added to an existing deployment', () => {
  // The template of the release before the compliance changes (stack 'Stack' in eu-west-1 of
  // account 111111111111, construct 'Server' with a 20 GiB data volume in the test VPC).
  const before: CfnTemplate = JSON.parse(
    fs.readFileSync(
      path.join(__dirname, 'fixtures', 'before-compliance.auto-scaling-data-volume.template.json'),
      'utf-8',
    ),
  );
  const after = (backupPlan?: DataVolumeBackupPlan) =>
    synth(
      (stack) =>
        new ElasticIpFailoverInstance(stack, 'Server', {
          vpc: publicOnlyVpc(stack),
          strategy: FailoverStrategy.autoScalingGroup({ dataVolume: { size: Size.gibibytes(20), backupPlan } }),
        }),
    );
  const BACKUP_RESOURCES = [
    'AWS::Backup::BackupPlan',
    'AWS::Backup::BackupSelection',
    'AWS::Backup::BackupVault',
    'AWS::IAM::ManagedPolicy',
    'AWS::IAM::Role',
  ];

  test('from the release before: the same update as without it, plus the five backup resources created', () => {
    const withPlan = deployment(before, after(DataVolumeBackupPlan.daily()));
    const without = deployment(before, after());
    expectStatefulKept(withPlan);
    const summary = (changes: typeof withPlan.changes) =>
      changes.map((c) => `${c.impact} ${c.type} ${c.logicalId} ${c.properties.map((p) => p.name).join(',')}`).sort();
    const added = withPlan.changes.filter((c) => !without.change(c.logicalId));
    expect(added.map((c) => c.impact)).toEqual(BACKUP_RESOURCES.map(() => 'WILL_CREATE'));
    expect(added.map((c) => c.type).sort()).toEqual(BACKUP_RESOURCES);
    for (const c of added) expect(c.logicalId).toMatch(/^ServerDataVolumeBackup/);
    expect(summary(withPlan.changes.filter((c) => without.change(c.logicalId)))).toEqual(summary(without.changes));
  });

  test('from the current release without it: only creations, all of them backup resources', () => {
    const result = deployment(after(), after(DataVolumeBackupPlan.daily()));
    expectStatefulKept(result);
    expect(result.changes.map((c) => `${c.impact} ${c.type}`).sort()).toEqual(
      BACKUP_RESOURCES.map((type) => `WILL_CREATE ${type}`),
    );
  });

  test('taking it off again deletes the plan, the selection and the role, and keeps the vault (retained)', () => {
    const withPlan = after(DataVolumeBackupPlan.daily());
    const vault = Object.entries<any>(withPlan.Resources).find(([, r]) => r.Type === 'AWS::Backup::BackupVault')!;
    expect(vault[1]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const result = deployment(withPlan, after());
    expect(result.changes.map((c) => `${c.impact} ${c.type}`).sort()).toEqual(
      BACKUP_RESOURCES.map(
        (type) => `${type === 'AWS::Backup::BackupVault' ? 'WILL_ORPHAN' : 'WILL_DESTROY'} ${type}`,
      ).sort(),
    );
  });
});
