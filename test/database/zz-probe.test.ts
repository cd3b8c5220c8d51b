import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { newCheckedApp, synthFindings, formatFindings } from '../support/checked-app';

test('probe', () => {
  const app = newCheckedApp();
  const stack = new Stack(app, 'Db', { env: process.env.AGN ? undefined : { region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const pg = process.env.PG;
  const engine = pg
    ? rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 })
    : rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_7 });
  const params = new rds.ParameterGroup(stack, 'Params', {
    engine,
    parameters: pg ? { 'rds.force_ssl': '1' } : { require_secure_transport: 'ON' },
  });
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine,
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    port: 3307,
    multiAz: true,
    storageEncrypted: true,
    storageEncryptionKey: key,
    credentials: rds.Credentials.fromGeneratedSecret('dbadmin', { encryptionKey: key }),
    parameterGroup: params,
    allocatedStorage: 20,
    maxAllocatedStorage: 100,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    backupRetention: Duration.days(7),
    cloudwatchLogsExports: pg ? ['postgresql', 'upgrade'] : ['error', 'general', 'slowquery'],
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
  });
  db.addRotationSingleUser();
  const f = synthFindings(app);
  console.log(formatFindings(f));
});
