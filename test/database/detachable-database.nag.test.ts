import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { DetachableDatabase, DetachableDatabaseProps, HighlyAvailableWebApp } from '../../src';
import { expectNoFindings, newCheckedApp, synthFindings } from '../support/checked-app';
import { databaseVpc } from '../support/vpc';

// Every template passes strict CloudFormation Validate and cdk-nag AwsSolutions with zero findings,
// in a stack with a region and in an environment-agnostic one.

const EU_WEST_1: StackProps = { env: { region: 'eu-west-1' } };
const AGNOSTIC: StackProps = {};
const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 });

function checkedDatabase(
  stackProps: StackProps,
  props: Partial<DetachableDatabaseProps> = {},
  isolatedOnly = false,
): App {
  const app = newCheckedApp();
  const stack = new Stack(app, 'Data', stackProps);
  new DetachableDatabase(stack, 'Db', { vpc: databaseVpc(stack, { isolatedOnly }), ...props });
  return app;
}

describe('DetachableDatabase passes cdk-nag AwsSolutions and strict CloudFormation Validate', () => {
  test('MySQL (default) in eu-west-1', () => {
    expectNoFindings(checkedDatabase(EU_WEST_1));
  });

  test('MySQL (default), environment-agnostic', () => {
    expectNoFindings(checkedDatabase(AGNOSTIC));
  });

  test('PostgreSQL in eu-west-1', () => {
    expectNoFindings(checkedDatabase(EU_WEST_1, { engine: POSTGRES, databaseName: 'inventory' }));
  });

  test('PostgreSQL, environment-agnostic', () => {
    expectNoFindings(checkedDatabase(AGNOSTIC, { engine: POSTGRES }));
  });

  test('in a VPC without egress (rotation through a Secrets Manager endpoint), environment-agnostic', () => {
    expectNoFindings(checkedDatabase(AGNOSTIC, {}, true));
  });

  test('restored from a snapshot (MySQL and PostgreSQL)', () => {
    expectNoFindings(checkedDatabase(EU_WEST_1, { snapshotIdentifier: 'eb-final', masterUsername: 'ebroot' }));
    expectNoFindings(
      checkedDatabase(AGNOSTIC, {
        engine: POSTGRES,
        snapshotIdentifier: 'eb-final',
        masterUsername: 'ebroot',
        allocatedStorage: 50,
      }),
    );
  });

  test('behind a HighlyAvailableWebApp in the same stack', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Inventory', EU_WEST_1);
    const webApp = new HighlyAvailableWebApp(stack, 'Web');
    const db = new DetachableDatabase(stack, 'Db', { vpc: webApp.vpc, databaseName: 'inventory' });
    db.allowConnectionsFrom(webApp);
    db.grantSecretRead(webApp.autoScalingGroup);
    expectNoFindings(app);
  });

  test('in its own stack with the web app in another', () => {
    // Strong references (CloudFormation exports) keep the database stack from being deleted while
    // an application stack still uses it; set explicitly, as aws-cdk-lib asks.
    const app = newCheckedApp({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
    const data = new Stack(app, 'Data', EU_WEST_1);
    const vpc = databaseVpc(data);
    const db = new DetachableDatabase(data, 'Db', { vpc });
    const shop = new Stack(app, 'Shop', EU_WEST_1);
    const webApp = new HighlyAvailableWebApp(shop, 'Web', { vpc });
    db.allowConnectionsFrom(webApp);
    db.grantSecretRead(webApp.autoScalingGroup);
    expectNoFindings(app);
    expect(data.dependencies).not.toContain(shop);
  });

  test('an adopted database and its consumer', () => {
    const app = newCheckedApp();
    const stack = new Stack(app, 'Shop', EU_WEST_1);
    const vpc = databaseVpc(stack);
    const db = DetachableDatabase.fromExisting(stack, 'Legacy', {
      instanceIdentifier: 'awseb-e-abc123-stack-awsebrdsdatabase-xyz',
      endpointAddress: 'awseb-e-abc123.cxyz.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'EbDbSg', 'sg-0123456789abcdef0')],
    });
    const appSg = new ec2.SecurityGroup(stack, 'App', { vpc, description: 'App', allowAllOutbound: false });
    db.allowConnectionsFrom(appSg);
    expectNoFindings(app);
  });
});

describe('DetachableDatabase strict synthesis catches what CloudFormation Validate rejects', () => {
  test('a major-only engine version', () => {
    const app = checkedDatabase(EU_WEST_1, {
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }),
    });
    expect(synthFindings(app)).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'E9006', path: 'Data/Db/Instance/Resource' })]),
    );
  });

  test('an instance class the engine version does not run on', () => {
    const app = checkedDatabase(EU_WEST_1, {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T2, ec2.InstanceSize.NANO),
    });
    expect(synthFindings(app)).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'E3062', path: 'Data/Db/Instance/Resource' })]),
    );
  });
});
