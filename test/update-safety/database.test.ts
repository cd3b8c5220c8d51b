import { ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { CfnTemplate, describeChange } from './diff';
import { deployment, expectKept, expectStatefulKept, expectUpdated, idsOfType, ofType, synth } from './safety';
import { DetachableDatabase, DetachableDatabaseProps } from '../../src';

// DetachableDatabase: a minor engine upgrade and a new backup retention modify the instance in
// place; its key, secret, parameter group and subnet group stay.

type Props = Omit<DetachableDatabaseProps, 'vpc'>;

const mysql = (version: rds.MysqlEngineVersion) => rds.DatabaseInstanceEngine.mysql({ version });
const postgres = (version: rds.PostgresEngineVersion) => rds.DatabaseInstanceEngine.postgres({ version });

function template(props: Props): CfnTemplate {
  return synth((stack: Stack) => {
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    new DetachableDatabase(stack, 'Db', { vpc, databaseName: 'inventory', ...props });
  });
}

/** What the data depends on besides the instance: its key, credentials and configuration. */
const DATA = ofType(
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::RDS::DBParameterGroup',
  'AWS::RDS::DBSubnetGroup',
  'AWS::EC2::SecurityGroup',
);

describe('DetachableDatabase update safety', () => {
  test.each<[string, Props, Props]>([
    [
      'MySQL 8.4.7 to 8.4.8',
      { engine: mysql(rds.MysqlEngineVersion.VER_8_4_7) },
      { engine: mysql(rds.MysqlEngineVersion.VER_8_4_8) },
    ],
    [
      'PostgreSQL 17.6 to 17.7',
      { engine: postgres(rds.PostgresEngineVersion.VER_17_6) },
      { engine: postgres(rds.PostgresEngineVersion.VER_17_7) },
    ],
  ])('engine minor version, %s: the instance is upgraded in place', (_, from, to) => {
    const before = template(from);
    const result = deployment(before, template(to));
    expectStatefulKept(result);
    expectKept(result, 'key, secret, parameter and subnet groups, security groups', DATA);
    const [instance] = idsOfType(before, 'AWS::RDS::DBInstance');
    expect(expectUpdated(result, instance).properties.map((p) => p.name)).toEqual(['EngineVersion']);
  });

  test.each<[string, number, number]>([
    ['longer', 7, 14],
    ['shorter', 14, 3],
  ])('backup retention, %s: the instance is modified in place', (_, from, to) => {
    const before = template({ backupRetention: Duration.days(from) });
    const result = deployment(before, template({ backupRetention: Duration.days(to) }));
    expectStatefulKept(result);
    expectKept(result, 'key, secret, parameter and subnet groups, security groups', DATA);
    const [instance] = idsOfType(before, 'AWS::RDS::DBInstance');
    // The specification marks BackupRetentionPeriod as a conditional replacement, so `cdk diff`
    // prints "may be replaced"; RDS changes one non-zero retention to another in place (only
    // turning automated backups on or off interrupts the instance), which expectStatefulKept allows.
    expect(describeChange(result.change(instance)!)).toBe(
      `${instance} (AWS::RDS::DBInstance) ${ResourceImpact.MAY_REPLACE}: BackupRetentionPeriod [${ResourceImpact.MAY_REPLACE}]`,
    );
  });

  test('backup retention turned off and on is not allowed by the construct (1 to 35 days), so the conditional replacement never applies', () => {
    expect(() => template({ backupRetention: Duration.days(0) })).toThrow(/backupRetention/);
  });

  test.each<[string, Props, Props]>([
    [
      'another instance class',
      {},
      { instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE) },
    ],
    ['more storage', {}, { allocatedStorage: 50 }],
  ])('%s: the instance is modified in place', (_, from, to) => {
    const before = template(from);
    const result = deployment(before, template(to));
    expectStatefulKept(result);
    expectKept(result, 'key, secret, parameter and subnet groups, security groups', DATA);
    expectUpdated(result, idsOfType(before, 'AWS::RDS::DBInstance')[0]);
  });
});
