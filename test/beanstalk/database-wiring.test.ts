import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { BUNDLE, ENV, idOf, PLATFORM_ARN, settingsOfEnv } from './support';
import {
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';
import { DetachableDatabase } from '../../src/database';

// A DetachableDatabase given to an environment or a pair: network access, settings, the secret.

describe('database wiring', () => {
  function withDatabase() {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const vpc = new ec2.Vpc(dataStack, 'Vpc', {
      maxAzs: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    const database = new DetachableDatabase(dataStack, 'Db', { vpc });
    const appStack = new Stack(app, 'Shop', { env: ENV });
    const pair = new BeanstalkEnvironmentPair(appStack, 'Pair', {
      vpc,
      database,
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
    });
    return {
      dataStack,
      appStack,
      pair,
      database,
      template: Template.fromStack(appStack),
      dataTemplate: Template.fromStack(dataStack),
    };
  }

  test('a database in another VPC is refused: with no vpc (a new one) or another VPC, naming both', () => {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const dataVpc = new ec2.Vpc(dataStack, 'DataVpc', { maxAzs: 2 });
    const database = new DetachableDatabase(dataStack, 'Db', { vpc: dataVpc });
    const appStack = new Stack(app, 'Shop', { env: ENV });
    const common = {
      database,
      platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
      green: {},
      live: Slot.BLUE,
    };
    expect(() => new BeanstalkEnvironmentPair(appStack, 'Pair', common)).toThrow(
      /vpc must be the database's VPC when database is given.*received 'no vpc \(a new VPC would be created\)'/,
    );
    const otherVpc = new ec2.Vpc(appStack, 'OtherVpc', { maxAzs: 2 });
    expect(() => new BeanstalkEnvironmentPair(appStack, 'Pair2', { ...common, vpc: otherVpc })).toThrow(
      /vpc must be the database's VPC \(database.vpc\).*received 'Shop\/OtherVpc, while the database runs in Data\/DataVpc'/,
    );
    const application = new BeanstalkApplication(appStack, 'App');
    expect(
      () =>
        new BeanstalkEnvironment(appStack, 'Env', {
          application,
          database,
          platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
        }),
    ).toThrow(/vpc must be the database's VPC when database is given/);
    // An adopted database whose VPC is not given is not checked.
    const adopted = DetachableDatabase.fromExisting(appStack, 'Legacy', {
      instanceIdentifier: 'legacy',
      endpointAddress: 'legacy.example.com',
      port: 3306,
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(appStack, 'LegacySg', 'sg-12345678')],
    });
    expect(adopted.vpc).toBeUndefined();
    expect(
      () => new BeanstalkEnvironmentPair(appStack, 'Pair3', { ...common, database: adopted, vpc: otherVpc }),
    ).not.toThrow();
  });

  test('each environment security group is allowed on the database port, in the consumer stack', () => {
    const { appStack, dataStack, pair, database, template } = withDatabase();
    for (const env of [pair.blue, pair.green]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: database.port,
        ToPort: database.port,
        GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Data:') },
        SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(appStack, env.securityGroup), 'GroupId'] },
      });
    }
    expect(appStack.dependencies).toContain(dataStack);
    expect(dataStack.dependencies).not.toContain(appStack);
  });

  test('connection settings become environment variables and the secret goes through environmentsecrets as its ARN', () => {
    const { appStack, pair, template } = withDatabase();
    for (const env of [pair.blue, pair.green]) {
      const settings = settingsOfEnv(template, appStack, env);
      expect(settings['aws:elasticbeanstalk:application:environment/DB_HOST']).toEqual({
        'Fn::ImportValue': expect.stringMatching(/^Data:.*Endpoint/),
      });
      expect(settings['aws:elasticbeanstalk:application:environment/DB_PORT']).toBeDefined();
      expect(settings['aws:elasticbeanstalk:application:environment/DB_SECRET_ARN']).toEqual({
        'Fn::ImportValue': expect.stringMatching(/^Data:.*Secret/),
      });
      expect(settings['aws:elasticbeanstalk:application:environmentsecrets/DB_SECRET']).toEqual(
        settings['aws:elasticbeanstalk:application:environment/DB_SECRET_ARN'],
      );
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager/);
  });

  test('an adopted database without a secret gives its settings but no secret and no grant', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const dbSg = new ec2.SecurityGroup(stack, 'DbSg', { vpc, allowAllOutbound: false });
    const database = DetachableDatabase.fromExisting(stack, 'Legacy', {
      instanceIdentifier: 'legacy-db',
      endpointAddress: 'legacy-db.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [dbSg],
    });
    const { settings, template } = (() => {
      const application = new BeanstalkApplication(stack, 'App');
      const env = new BeanstalkEnvironment(stack, 'Env', {
        application,
        vpc,
        database,
        platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
      });
      const t = Template.fromStack(stack);
      return { settings: settingsOfEnv(t, stack, env), template: t };
    })();
    expect(settings['aws:elasticbeanstalk:application:environment/DB_HOST']).toBe(
      'legacy-db.abc.eu-west-1.rds.amazonaws.com',
    );
    expect(settings['aws:elasticbeanstalk:application:environmentsecrets/DB_SECRET']).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/secretsmanager:GetSecretValue/);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3306,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbSg'), 'GroupId'] },
    });
  });

  test('the instance roles may read the secret', () => {
    const { template } = withDatabase();
    template.resourcePropertiesCountIs(
      'AWS::IAM::ManagedPolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: { 'Fn::ImportValue': Match.stringLikeRegexp('^Data:.*Secret') },
            }),
          ]),
        },
        Roles: [{ Ref: Match.stringLikeRegexp('InstanceRole') }],
      },
      2,
    );
  });
});
