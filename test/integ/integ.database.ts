import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DetachableDatabase } from '../../src';
import { STRICT_VALIDATION_CONTEXT } from '../support/checked-app';

const app = new App({
  context: { ...STRICT_VALIDATION_CONTEXT, '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
});
const env = { region: 'eu-west-1' };

// The database lives in its own stack; the application stack only refers to it.
const dataStack = new Stack(app, 'DetachableDatabaseInteg', { env });
const vpc = new ec2.Vpc(dataStack, 'Vpc', {
  maxAzs: 2,
  natGateways: 1,
  subnetConfiguration: [
    { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
    { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
  ],
  flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
});
const db = new DetachableDatabase(dataStack, 'Db', {
  vpc,
  databaseName: 'inventory',
  // The test must be able to clean up after itself; real databases keep the defaults (protected, snapshot on delete).
  deletionProtection: false,
  removalPolicy: RemovalPolicy.DESTROY,
});
// The experiment and its verifier (nothing runs on deployment).
db.addResilienceExperiments();

const appStack = new Stack(app, 'DetachableDatabaseIntegApp', { env });
const appSecurityGroup = new ec2.SecurityGroup(appStack, 'AppSecurityGroup', {
  vpc,
  description: 'Application servers that use the database',
  allowAllOutbound: false,
});
db.allowConnectionsFrom(appSecurityGroup);

const integ = new IntegTest(app, 'DetachableDatabaseTest', {
  testCases: [dataStack, appStack],
  regions: ['eu-west-1'],
  assertionStack: new Stack(app, 'DetachableDatabaseIntegAssertions', { env }),
});

// Once deployed: encrypted, Multi-AZ, private, with its logs exported and IAM auth off.
integ.assertions
  .awsApiCall('RDS', 'describeDBInstances', { DBInstanceIdentifier: db.instance.instanceIdentifier })
  .expect(
    ExpectedResult.objectLike({
      DBInstances: [
        {
          StorageEncrypted: true,
          MultiAZ: true,
          PubliclyAccessible: false,
          DBName: 'inventory',
          EnabledCloudwatchLogsExports: ['error', 'general', 'slowquery'],
        },
      ],
    }),
  );

// The credentials secret is set up for rotation.
integ.assertions
  .awsApiCall('SecretsManager', 'describeSecret', { SecretId: db.secret.secretArn })
  .expect(ExpectedResult.objectLike({ RotationEnabled: true }));
