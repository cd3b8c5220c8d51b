import { App, CfnParameter, Duration, RemovalPolicy, Stack, StackProps, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DetachableDatabase, DetachableDatabaseProps, HighlyAvailableWebApp } from '../../src';

const ENV = { region: 'eu-west-1' };
const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 });

type Options = Partial<DetachableDatabaseProps> & { isolatedOnly?: boolean; stackProps?: StackProps };

function build(options: Options = {}): { stack: Stack; vpc: ec2.Vpc; db: DetachableDatabase; template: Template } {
  const { isolatedOnly, stackProps, ...props } = options;
  const stack = new Stack(new App(), 'Stack', stackProps ?? { env: ENV });
  const vpc = newVpc(stack, isolatedOnly);
  const db = new DetachableDatabase(stack, 'Db', { vpc, ...props });
  // Synthesized on first use, so a test can add to the stack before reading the template.
  let template: Template | undefined;
  return {
    stack,
    vpc,
    db,
    get template() {
      return (template ??= Template.fromStack(stack));
    },
  };
}

function newVpc(stack: Stack, isolatedOnly = false): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: isolatedOnly ? 0 : 1,
    subnetConfiguration: isolatedOnly
      ? [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }]
      : [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
          { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
        ],
  });
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as ec2.CfnSecurityGroup).logicalId);
}

function instanceOf(template: Template): { id: string; resource: any } {
  const instances = template.findResources('AWS::RDS::DBInstance');
  const [id] = Object.keys(instances);
  return { id, resource: instances[id] };
}

describe('DetachableDatabase lifecycle', () => {
  test('keeps a final snapshot on deletion and on replacement, with deletion protection on', () => {
    const { template } = build();
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
      Properties: Match.objectLike({ DeletionProtection: true }),
    });
  });

  test('keeps 7 days of automated backups, and keeps them after the instance is deleted', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      BackupRetentionPeriod: 7,
      DeleteAutomatedBackups: false,
      CopyTagsToSnapshot: true,
    });
  });

  test('RETAIN keeps the instance and its secret', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.RETAIN });
    template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('DESTROY is honoured once deletion protection is turned off', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: false }),
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  test('backupRetention sets the retention period', () => {
    const { template } = build({ backupRetention: Duration.days(35) });
    template.hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 35 });
  });
});

describe('DetachableDatabase engine and storage', () => {
  test('defaults to Multi-AZ MySQL 8.4.7 on t3.micro with 20 GiB of gp3 growing to 100 GiB', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'mysql',
      EngineVersion: '8.4.7',
      DBInstanceClass: 'db.t3.micro',
      MultiAZ: true,
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
      StorageType: 'gp3',
    });
  });

  test('encrypts storage with its own rotating KMS key, retained on deletion', () => {
    const { stack, db, template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(stack, db.encryptionKey), 'Arn'] },
    });
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('multiAz: false runs a single instance', () => {
    const { template } = build({ multiAz: false });
    template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false });
  });

  test('storage autoscaling grows to twice a large allocation', () => {
    const { template } = build({ allocatedStorage: 200 });
    template.hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: '200', MaxAllocatedStorage: 400 });
  });

  test('maxAllocatedStorage equal to allocatedStorage turns storage autoscaling off', () => {
    const { template } = build({ allocatedStorage: 50, maxAllocatedStorage: 50 });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      AllocatedStorage: '50',
      MaxAllocatedStorage: Match.absent(),
    });
  });

  test('instanceType and databaseName are passed through', () => {
    const { template } = build({
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
      databaseName: 'inventory',
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.m7g.large', DBName: 'inventory' });
  });

  test('PostgreSQL with a full version works, on port 5433', () => {
    const { template } = build({ engine: POSTGRES });
    template.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', EngineVersion: '17.6', Port: '5433' });
  });

  test('IAM database authentication is on by default and can be turned off', () => {
    build().template.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
    build({ iamAuthentication: false }).template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnableIAMDatabaseAuthentication: false,
    });
  });
});

describe('DetachableDatabase TLS and logs', () => {
  test('MySQL: the parameter group requires secure transport and turns on the slow query log', () => {
    const { stack, db, template } = build();
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'mysql8.4',
      Parameters: { require_secure_transport: '1', slow_query_log: '1', log_output: 'FILE' },
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBParameterGroupName: { Ref: logicalId(stack, db.parameterGroup as rds.ParameterGroup) },
    });
  });

  test('PostgreSQL: the parameter group forces SSL', () => {
    const { template } = build({ engine: POSTGRES });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres17',
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  test('MySQL exports the error, slow query and audit logs, each switched on and written to files', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnableCloudwatchLogsExports: ['error', 'slowquery', 'audit'],
    });
    // RDS writes a MySQL log only when it is switched on (a parameter, or for the audit log the
    // MariaDB Audit Plugin in the option group), and publishes only file output.
    const [instance] = Object.values(template.findResources('AWS::RDS::DBInstance'));
    const [group] = Object.values(template.findResources('AWS::RDS::DBParameterGroup'));
    const [options] = Object.values(template.findResources('AWS::RDS::OptionGroup'));
    const switches: Record<string, string> = { slowquery: 'slow_query_log', general: 'general_log' };
    for (const log of instance.Properties.EnableCloudwatchLogsExports as string[]) {
      if (log === 'error') continue; // written by default
      if (log === 'audit') {
        expect(options.Properties.OptionConfigurations).toEqual([
          expect.objectContaining({ OptionName: 'MARIADB_AUDIT_PLUGIN' }),
        ]);
        continue;
      }
      expect([log, group.Properties.Parameters[switches[log]]]).toEqual([log, '1']);
    }
    expect(group.Properties.Parameters.log_output).toBe('FILE');
  });

  test('PostgreSQL exports the postgresql and upgrade logs to CloudWatch Logs', () => {
    build({ engine: POSTGRES }).template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
  });
});

describe('DetachableDatabase network', () => {
  test('is not publicly accessible and runs in the isolated subnets by default', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBInstance', { PubliclyAccessible: false });
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('^VpcDataSubnet1') },
        { Ref: Match.stringLikeRegexp('^VpcDataSubnet2') },
      ],
    });
  });

  test('runs in the private subnets with egress of a VPC without isolated subnets', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new DetachableDatabase(stack, 'Db', { vpc });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') },
        { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2') },
      ],
    });
  });

  test('listens on 3307 (not the well-known MySQL port) by default, or on the port given', () => {
    build().template.hasResourceProperties('AWS::RDS::DBInstance', { Port: '3307' });
    build({ port: 4406 }).template.hasResourceProperties('AWS::RDS::DBInstance', { Port: '4406' });
  });

  test('its security group admits nothing from a CIDR range and sends nothing out', () => {
    const { stack, db, template } = build();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Database'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
    const sgId = logicalId(stack, db.securityGroup as ec2.SecurityGroup);
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] } },
    });
    for (const rule of Object.values(ingress)) {
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
    }
  });
});

describe('DetachableDatabase credentials', () => {
  test('generates the master credentials into a secret encrypted with the customer managed key', () => {
    const { stack, db, template } = build();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [logicalId(stack, db.encryptionKey), 'Arn'] },
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"dbadmin"}',
        GenerateStringKey: 'password',
        PasswordLength: 30,
      }),
    });
    template.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      TargetType: 'AWS::RDS::DBInstance',
    });
  });

  test('rotates the password every 30 days with the single-user rotation application', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({ kmsKeyArn: Match.anyValue() }),
    });
  });

  test('secretRotationInterval sets the rotation schedule', () => {
    build({ secretRotationInterval: Duration.days(7) }).template.hasResourceProperties(
      'AWS::SecretsManager::RotationSchedule',
      { RotationRules: { ScheduleExpression: 'rate(7 days)' } },
    );
  });

  test('the rotation function runs in the private subnets with egress and reaches Secrets Manager through NAT', () => {
    const { template } = build();
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({
        endpoint: { 'Fn::Join': ['', ['https://secretsmanager.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
        vpcSubnetIds: {
          'Fn::Join': [
            '',
            [{ Ref: Match.stringLikeRegexp('^VpcAppSubnet1') }, ',', { Ref: Match.stringLikeRegexp('^VpcAppSubnet2') }],
          ],
        },
      }),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Secret rotation'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
  });

  test('in a VPC without egress the rotation function calls Secrets Manager by its standard name, resolved by its own endpoint', () => {
    const { template } = build({ isolatedOnly: true });
    // Private DNS on: the standard name resolves to the endpoint inside the VPC (which has DNS on).
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.eu-west-1.secretsmanager',
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
    template.hasResourceProperties('AWS::EC2::VPC', { EnableDnsHostnames: true, EnableDnsSupport: true });
    // The standard name, never a vpce-<id>.secretsmanager... name (no such record exists).
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({
        endpoint: { 'Fn::Join': ['', ['https://secretsmanager.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
        vpcSubnetIds: {
          'Fn::Join': [
            '',
            [
              { Ref: Match.stringLikeRegexp('^VpcDataSubnet1') },
              ',',
              { Ref: Match.stringLikeRegexp('^VpcDataSubnet2') },
            ],
          ],
        },
      }),
    });
    // The function's group: HTTPS to the endpoint's group and the database port, nothing else out.
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbRotationSecurityGroup'), 'GroupId'] },
      DestinationSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^DbSecretsManagerEndpointSecurityGroup'), 'GroupId'],
      },
    });
    // The endpoint admits HTTPS from the rotation function only.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbRotationSecurityGroup'), 'GroupId'] },
    });
  });

  test('without egress, a VPC without DNS host names and an endpoint without private DNS are refused', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      enableDnsHostnames: false,
      subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    expect(() => new DetachableDatabase(stack, 'Db', { vpc })).toThrow(
      /vpc must have enableDnsSupport and enableDnsHostnames on when it has no private subnets with egress.*received 'enableDnsSupport: true, enableDnsHostnames: false'/,
    );
    const other = new Stack(new App(), 'Other', { env: ENV });
    const isolated = newVpc(other, true);
    const endpoint = isolated.addInterfaceEndpoint('Sm', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      privateDnsEnabled: false,
    });
    expect(() => new DetachableDatabase(other, 'Db', { vpc: isolated, secretsManagerEndpoint: endpoint })).toThrow(
      /secretsManagerEndpoint must have privateDnsEnabled: true.*received 'an endpoint with privateDnsEnabled: false'/,
    );
  });

  test('secretsManagerEndpoint is used instead of creating one', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = newVpc(stack, true);
    const endpoint = vpc.addInterfaceEndpoint('Sm', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    new DetachableDatabase(stack, 'Db', { vpc, secretsManagerEndpoint: endpoint });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({
        endpoint: { 'Fn::Join': ['', ['https://secretsmanager.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
      }),
    });
    // The given endpoint admits the rotation function on 443.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VpcSmSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbRotationSecurityGroup'), 'GroupId'] },
    });
  });

  test('masterUsername names the master user', () => {
    build({ masterUsername: 'inventory_admin' }).template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"inventory_admin"}' }),
    });
  });

  test('grantSecretRead lets a principal read the secret and decrypt it', () => {
    const { stack, db } = build();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    db.grantSecretRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('^DbSecretAttachment') },
          }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': ['DbKey15491AC0', 'Arn'] },
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          }),
        ]),
      },
    });
  });
});

describe('DetachableDatabase connections', () => {
  test('allowConnectionsFrom opens the engine port from the other security group only', () => {
    const { stack, vpc, db } = build();
    const app = new ec2.SecurityGroup(stack, 'App', { vpc, allowAllOutbound: false });
    db.allowConnectionsFrom(app);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 3307,
      ToPort: 3307,
      GroupId: { 'Fn::GetAtt': [logicalId(stack, db.securityGroup as ec2.SecurityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, app), 'GroupId'] },
      CidrIp: Match.absent(),
    });
    // The other group restricts outbound traffic, so it is allowed out to the database.
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      FromPort: 3307,
      ToPort: 3307,
      GroupId: { 'Fn::GetAtt': [logicalId(stack, app), 'GroupId'] },
      DestinationSecurityGroupId: {
        'Fn::GetAtt': [logicalId(stack, db.securityGroup as ec2.SecurityGroup), 'GroupId'],
      },
    });
  });

  test('allowConnectionsFrom a HighlyAvailableWebApp admits its application security group', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const webApp = new HighlyAvailableWebApp(stack, 'Web');
    const db = new DetachableDatabase(stack, 'Db', { vpc: webApp.vpc });
    db.allowConnectionsFrom(webApp);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3307,
      ToPort: 3307,
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, webApp.appSecurityGroup), 'GroupId'] },
    });
  });

  test('allowConnectionsFrom refuses a web app that built a VPC of its own (its groups cannot be named across VPCs)', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const dataVpc = newVpc(stack);
    const db = new DetachableDatabase(stack, 'Db', { vpc: dataVpc });
    const webApp = new HighlyAvailableWebApp(stack, 'Web');
    expect(() => db.allowConnectionsFrom(webApp)).toThrow(
      /allowConnectionsFrom\(\) on Stack\/Db: other must run in the database's VPC \(Stack\/Vpc\).*Received one in Stack\/Web\/Vpc/,
    );
    // In the database's VPC it is let in.
    const inVpc = new HighlyAvailableWebApp(stack, 'Shop', { vpc: dataVpc });
    expect(() => db.allowConnectionsFrom(inVpc)).not.toThrow();
  });

  test('allowConnectionsFrom adds no egress rule to a group that allows all outbound traffic', () => {
    const { stack, vpc, db } = build();
    const open = new ec2.SecurityGroup(stack, 'Open', { vpc, allowAllOutbound: true });
    db.allowConnectionsFrom(open);
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupEgress',
      { GroupId: { 'Fn::GetAtt': [logicalId(stack, open), 'GroupId'] } },
      0,
    );
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, open), 'GroupId'] },
    });
  });

  test('allowConnectionsFrom refuses something without a security group (a CIDR peer)', () => {
    const { db } = build();
    const cidrOnly = { connections: new ec2.Connections({ peer: ec2.Peer.ipv4('10.0.0.0/16') }) };
    expect(() => db.allowConnectionsFrom(cidrOnly)).toThrow(/at least one security group/);
  });

  test('connections has the database port as its default port', () => {
    const { stack, vpc, db } = build();
    const other = new ec2.SecurityGroup(stack, 'Other', { vpc });
    other.connections.allowToDefaultPort(db);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3307,
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, other), 'GroupId'] },
    });
  });

  test('connectionEnvironment returns host, port, database name and secret ARN', () => {
    const { stack, db } = build({ databaseName: 'inventory' });
    const env = db.connectionEnvironment();
    expect(Object.keys(env).sort()).toEqual(['DB_HOST', 'DB_NAME', 'DB_PORT', 'DB_SECRET_ARN']);
    const instanceId = instanceOf(Template.fromStack(stack)).id;
    expect(stack.resolve(env.DB_HOST)).toEqual({ 'Fn::GetAtt': [instanceId, 'Endpoint.Address'] });
    expect(env.DB_PORT).toBe('3307');
    expect(env.DB_NAME).toBe('inventory');
    expect(stack.resolve(env.DB_SECRET_ARN)).toEqual({ Ref: expect.stringMatching(/^DbSecretAttachment/) });
  });

  test('connectionEnvironment has no DB_NAME when no database is named', () => {
    const { db } = build();
    expect(db.connectionEnvironment().DB_NAME).toBeUndefined();
  });

  test('port and endpointAddress are exposed', () => {
    const { stack, db } = build({ engine: POSTGRES });
    expect(db.port).toBe(5433);
    expect(stack.resolve(db.endpointAddress)).toEqual({ 'Fn::GetAtt': ['DbInstanceD710EDDF', 'Endpoint.Address'] });
    expect(db.instance).toBeInstanceOf(rds.DatabaseInstance);
  });
});

describe('DetachableDatabase across stacks', () => {
  function twoStacks() {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const vpc = newVpc(dataStack);
    const db = new DetachableDatabase(dataStack, 'Db', { vpc });
    const shopStack = new Stack(app, 'Shop', { env: ENV });
    const appSg = new ec2.SecurityGroup(shopStack, 'AppSecurityGroup', { vpc, allowAllOutbound: false });
    db.allowConnectionsFrom(appSg);
    const dataTemplate = Template.fromStack(dataStack);
    const shopTemplate = Template.fromStack(shopStack);
    return { dataStack, shopStack, appSg, dataTemplate, shopTemplate };
  }

  test('the database stack does not depend on, or refer to, the consumer stack', () => {
    const { dataStack, shopStack, dataTemplate } = twoStacks();
    expect(dataStack.dependencies).not.toContain(shopStack);
    expect(shopStack.dependencies).toContain(dataStack);
    const text = JSON.stringify(dataTemplate.toJSON());
    expect(text).not.toMatch(/Fn::ImportValue/);
    expect(text).not.toMatch(/AppSecurityGroup|Shop/);
  });

  test('the consumer stack holds the ingress rule into the database security group', () => {
    const { shopStack, appSg, shopTemplate } = twoStacks();
    shopTemplate.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 3307,
      ToPort: 3307,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Data:ExportsOutputFnGetAttDbSecurityGroup') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(shopStack, appSg), 'GroupId'] },
    });
    shopTemplate.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      FromPort: 3307,
      DestinationSecurityGroupId: {
        'Fn::ImportValue': Match.stringLikeRegexp('^Data:ExportsOutputFnGetAttDbSecurityGroup'),
      },
    });
  });
});

describe("DetachableDatabase in its own stack on another stack's VPC", () => {
  test("refuses allowConnectionsFrom() a web app whose stack owns the database's VPC (a dependency cycle), saying how to lay out the stacks", () => {
    const app = new App();
    const web = new Stack(app, 'Web', { env: ENV });
    const webApp = new HighlyAvailableWebApp(web, 'Shop');
    const data = new Stack(app, 'Data', { env: ENV });
    const db = new DetachableDatabase(data, 'Db', { vpc: webApp.vpc });
    expect(() => db.allowConnectionsFrom(webApp)).toThrow(
      "allowConnectionsFrom() on Data/Db would make the stacks Data and Web depend on each other: the database's stack (Data) runs in the VPC Web/Shop/Vpc of the stack Web, and the rule letting Web/Shop/AppSecurityGroup in is created in Web naming the database's security group. Create the VPC in its own stack (or in the database's) and pass it to both: new DetachableDatabase(dataStack, 'Db', { vpc }) and new HighlyAvailableWebApp(webStack, 'Web', { vpc })",
    );
  });

  test('without the check, the same layout fails at synthesis with a DependencyCycle', () => {
    // What a user saw before: shown so the refusal above is known to stand for a real failure.
    const app = new App();
    const web = new Stack(app, 'Web', { env: ENV });
    const webApp = new HighlyAvailableWebApp(web, 'Shop');
    const data = new Stack(app, 'Data', { env: ENV });
    const db = new DetachableDatabase(data, 'Db', { vpc: webApp.vpc });
    db.connections.securityGroups[0].addIngressRule(
      webApp.connections.securityGroups[0],
      ec2.Port.tcp(3307),
      'as allowConnectionsFrom() adds it',
      true,
    );
    expect(() => app.synth()).toThrow(/cyclic reference|DependencyCycle|would create a cyclic/i);
  });

  test('refuses it too when the database stack was told to depend on the consumer stack', () => {
    const app = new App();
    const net = new Stack(app, 'Net', { env: ENV });
    const vpc = newVpc(net);
    const web = new Stack(app, 'Web', { env: ENV });
    const webApp = new HighlyAvailableWebApp(web, 'Shop', { vpc });
    const data = new Stack(app, 'Data', { env: ENV });
    const db = new DetachableDatabase(data, 'Db', { vpc });
    data.addDependency(web);
    expect(() => db.allowConnectionsFrom(webApp)).toThrow(
      /would make the stacks Data and Web depend on each other: the database's stack \(Data\) was made to depend on the stack Web/,
    );
  });

  test('the VPC in its own stack, passed to both: accepted, and the app synthesizes', () => {
    const app = new App();
    const net = new Stack(app, 'Net', { env: ENV });
    const vpc = newVpc(net);
    const data = new Stack(app, 'Data', { env: ENV });
    const db = new DetachableDatabase(data, 'Db', { vpc });
    const web = new Stack(app, 'Web', { env: ENV });
    const webApp = new HighlyAvailableWebApp(web, 'Shop', { vpc });
    db.allowConnectionsFrom(webApp);
    expect(() => app.synth()).not.toThrow();
    expect(web.dependencies).toContain(data);
    expect(data.dependencies).not.toContain(web);
  });

  test("the VPC in the database's stack, passed to the web app: accepted", () => {
    const app = new App();
    const data = new Stack(app, 'Data', { env: ENV });
    const vpc = newVpc(data);
    const db = new DetachableDatabase(data, 'Db', { vpc });
    const web = new Stack(app, 'Web', { env: ENV });
    const webApp = new HighlyAvailableWebApp(web, 'Shop', { vpc });
    db.allowConnectionsFrom(webApp);
    expect(() => app.synth()).not.toThrow();
  });

  test("a VPC imported by literal ids in the consumer's stack makes no dependency: accepted", () => {
    const app = new App();
    const web = new Stack(app, 'Web', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(web, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetIds: ['subnet-0a', 'subnet-0b'],
      privateSubnetIds: ['subnet-1a', 'subnet-1b'],
    });
    const sg = new ec2.SecurityGroup(web, 'AppSecurityGroup', { vpc, allowAllOutbound: false });
    const data = new Stack(app, 'Data', { env: ENV });
    const db = new DetachableDatabase(data, 'Db', { vpc });
    expect(() => db.allowConnectionsFrom(sg)).not.toThrow();
  });
});

describe('DetachableDatabase grants across stacks', () => {
  test('grantSecretRead to a role in another stack changes only that stack', () => {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const db = new DetachableDatabase(dataStack, 'Db', { vpc: newVpc(dataStack) });
    const shopStack = new Stack(app, 'Shop', { env: ENV });
    const role = new iam.Role(shopStack, 'AppRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    db.grantSecretRead(role);
    const dataTemplate = Template.fromStack(dataStack);
    Template.fromStack(shopStack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Resource: { 'Fn::ImportValue': Match.stringLikeRegexp('^Data:') },
          }),
        ]),
      },
    });
    expect(dataStack.dependencies).not.toContain(shopStack);
    expect(JSON.stringify(dataTemplate.toJSON())).not.toMatch(/AppRole/);
  });
});

describe('DetachableDatabase restored from a snapshot', () => {
  const restore = (extra: Options = {}) =>
    build({ snapshotIdentifier: 'eb-final-snapshot', masterUsername: 'ebroot', ...extra });

  test('restores the snapshot with a new password generated into the secret for its master user', () => {
    const { template } = restore();
    const { id } = instanceOf(template);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBSnapshotIdentifier: 'eb-final-snapshot',
      DBName: Match.absent(),
      MasterUsername: Match.absent(),
      StorageEncrypted: Match.absent(),
      AllocatedStorage: Match.absent(),
      MaxAllocatedStorage: Match.absent(),
      MasterUserPassword: {
        'Fn::Join': [
          '',
          ['{{resolve:secretsmanager:', { Ref: Match.stringLikeRegexp('^DbSecret') }, ':SecretString:password::}}'],
        ],
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"ebroot"}' }),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', Match.anyValue());
    expect(id).toBe('DbInstanceD710EDDF');
  });

  test('keeps the same protections as a new instance', () => {
    const { template } = restore();
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
      Properties: Match.objectLike({
        DeletionProtection: true,
        MultiAZ: true,
        PubliclyAccessible: false,
        BackupRetentionPeriod: 7,
        DBParameterGroupName: Match.anyValue(),
        OptionGroupName: { Ref: Match.stringLikeRegexp('^DbOptionGroup') },
        EnableCloudwatchLogsExports: ['error', 'slowquery', 'audit'],
        MonitoringInterval: 60,
      }),
    });
  });

  test('allocatedStorage sizes the restored instance and turns autoscaling on', () => {
    restore({ allocatedStorage: 50 }).template.hasResourceProperties('AWS::RDS::DBInstance', {
      AllocatedStorage: '50',
      MaxAllocatedStorage: 100,
    });
  });

  test('the instance is a DatabaseInstanceFromSnapshot with an attached secret', () => {
    const { db } = restore();
    expect(db.instance).toBeInstanceOf(rds.DatabaseInstanceFromSnapshot);
    expect(db.secret).toBeDefined();
    expect(db.connectionEnvironment().DB_SECRET_ARN).toBeDefined();
  });
});

describe('DetachableDatabase.fromExisting', () => {
  function adopt(withSecret = true) {
    const stack = new Stack(new App(), 'Shop', { env: ENV });
    const vpc = newVpc(stack);
    const dbSg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'EbDbSg', 'sg-0123456789abcdef0');
    const secret = withSecret
      ? secretsmanager.Secret.fromSecretCompleteArn(
          stack,
          'EbDbSecret',
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:eb-db-AbCdEf',
        )
      : undefined;
    const db = DetachableDatabase.fromExisting(stack, 'Legacy', {
      instanceIdentifier: 'awseb-e-abc123-stack-awsebrdsdatabase-xyz',
      endpointAddress: 'awseb-e-abc123.cxyz.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [dbSg],
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_7 }),
      secret,
      databaseName: 'ebdb',
    });
    const appSg = new ec2.SecurityGroup(stack, 'App', { vpc });
    return { stack, db, appSg };
  }

  test('creates no database resources', () => {
    const { stack } = adopt();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  test('connectionEnvironment returns the given settings', () => {
    const { db } = adopt();
    expect(db.connectionEnvironment()).toEqual({
      DB_HOST: 'awseb-e-abc123.cxyz.eu-west-1.rds.amazonaws.com',
      DB_PORT: '3306',
      DB_NAME: 'ebdb',
      DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:eb-db-AbCdEf',
    });
    expect(db.instance.instanceIdentifier).toBe('awseb-e-abc123-stack-awsebrdsdatabase-xyz');
    expect(db.port).toBe(3306);
  });

  test('allowConnectionsFrom adds an ingress rule to the adopted security group from the other group', () => {
    const { stack, db, appSg } = adopt();
    db.allowConnectionsFrom(appSg);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 3306,
      ToPort: 3306,
      GroupId: 'sg-0123456789abcdef0',
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, appSg), 'GroupId'] },
      CidrIp: Match.absent(),
    });
  });

  test('without a secret, connectionEnvironment has no DB_SECRET_ARN and grantSecretRead throws', () => {
    const { stack, db } = adopt(false);
    expect(db.connectionEnvironment().DB_SECRET_ARN).toBeUndefined();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    expect(() => db.grantSecretRead(role)).toThrow(/attrs.secret/);
  });

  test('rejects an invalid port and no security groups', () => {
    const stack = new Stack(new App(), 'Shop', { env: ENV });
    expect(() =>
      DetachableDatabase.fromExisting(stack, 'Legacy', {
        instanceIdentifier: 'db',
        endpointAddress: 'db.example.com',
        port: 0,
        securityGroups: [],
      }),
    ).toThrow(/port must be a whole number from 1 to 65535, received 0[\s\S]*securityGroups must name at least one/);
  });
});

describe('DetachableDatabase validation', () => {
  test('rejects DESTROY while deletion protection is on', () => {
    expect(() => build({ removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /removalPolicy must be SNAPSHOT or RETAIN while deletionProtection is on .*received 'RemovalPolicy.DESTROY'/,
    );
  });

  test('rejects a backup retention below 1 day', () => {
    expect(() => build({ backupRetention: Duration.days(0) })).toThrow(
      /backupRetention must be a whole number of days from 1 to 35, received '0 days'/,
    );
  });

  test('rejects a backup retention above 35 days', () => {
    expect(() => build({ backupRetention: Duration.days(36) })).toThrow(
      /backupRetention must be a whole number of days from 1 to 35, received '36 days'/,
    );
  });

  test('rejects maxAllocatedStorage below allocatedStorage', () => {
    expect(() => build({ allocatedStorage: 100, maxAllocatedStorage: 50 })).toThrow(
      /maxAllocatedStorage must be at least 10% above allocatedStorage \(100 GiB\), i.e. >= 110, .*received 50/,
    );
  });

  test('rejects maxAllocatedStorage less than 10% above allocatedStorage', () => {
    expect(() => build({ allocatedStorage: 100, maxAllocatedStorage: 105 })).toThrow(
      /maxAllocatedStorage .*received 105/,
    );
  });

  test('rejects allocatedStorage outside 20 to 65536 GiB', () => {
    expect(() => build({ allocatedStorage: 10, maxAllocatedStorage: 100 })).toThrow(
      /allocatedStorage must be a whole number from 20 to 65536, received 10/,
    );
  });

  test('rejects a port outside 1150 to 65535', () => {
    expect(() => build({ port: 80 })).toThrow(/port must be a whole number from 1150 to 65535, received 80/);
  });

  test('rejects snapshotIdentifier with databaseName', () => {
    expect(() => build({ snapshotIdentifier: 'snap', masterUsername: 'ebroot', databaseName: 'ebdb' })).toThrow(
      /databaseName must not be set with snapshotIdentifier.*received 'ebdb'/,
    );
  });

  test('rejects snapshotIdentifier without masterUsername', () => {
    expect(() => build({ snapshotIdentifier: 'snap' })).toThrow(/masterUsername is required with snapshotIdentifier/);
  });

  test('rejects an engine other than MySQL or PostgreSQL', () => {
    const engine = rds.DatabaseInstanceEngine.mariaDb({ version: rds.MariaDbEngineVersion.VER_11_4_5 });
    expect(() => build({ engine })).toThrow(/engine must be MySQL or PostgreSQL.*received 'mariadb'/);
  });

  test('rejects an engine without a version', () => {
    expect(() => build({ engine: rds.DatabaseInstanceEngine.MYSQL })).toThrow(/engine must name a full engine version/);
  });

  test('rejects a master user name RDS would refuse', () => {
    expect(() => build({ masterUsername: '1admin' })).toThrow(
      /masterUsername must be 1 to 16 letters.*received '1admin'/,
    );
  });

  test('rejects public subnets', () => {
    expect(() => build({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toThrow(
      /vpcSubnets must select private or isolated subnets only.*received '2 public subnet\(s\)'/,
    );
  });

  test('rejects subnets in a single Availability Zone', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = newVpc(stack);
    expect(
      () => new DetachableDatabase(stack, 'Db', { vpc, vpcSubnets: { subnets: [vpc.isolatedSubnets[0]] } }),
    ).toThrow(/vpcSubnets must span at least 2 Availability Zones.*received '1 zone\(s\)'/);
  });

  test('reports every problem at once', () => {
    expect(() => build({ removalPolicy: RemovalPolicy.DESTROY, backupRetention: Duration.days(40), port: 22 })).toThrow(
      /removalPolicy[\s\S]*backupRetention[\s\S]*port|port[\s\S]*removalPolicy[\s\S]*backupRetention/,
    );
  });

  test('reports the problems of the VPC, its subnets and the other props in one error', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      enableDnsHostnames: false,
      subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    let message = '';
    try {
      new DetachableDatabase(stack, 'Db', { vpc, vpcSubnets: { subnets: [vpc.isolatedSubnets[0]] }, port: 80 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'Invalid DetachableDatabase props:',
      '  - port must be a whole number from 1150 to 65535, received 80',
      "  - vpcSubnets must span at least 2 Availability Zones (an RDS subnet group requires it), received '1 zone(s)'",
      "  - vpc must have enableDnsSupport and enableDnsHostnames on when it has no private subnets with egress: the secret rotation function reaches Secrets Manager through an interface endpoint with private DNS, received 'enableDnsSupport: true, enableDnsHostnames: false'",
    ]);
  });

  test('skips values that are tokens', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = newVpc(stack);
    const size = new CfnParameter(stack, 'Size', { type: 'Number' }).valueAsNumber;
    const days = new CfnParameter(stack, 'Days', { type: 'Number' }).valueAsNumber;
    expect(
      () =>
        new DetachableDatabase(stack, 'Db', {
          vpc,
          allocatedStorage: size,
          maxAllocatedStorage: 1000,
          backupRetention: Duration.days(days),
        }),
    ).not.toThrow();
  });
});

describe('DetachableDatabase logical ids', () => {
  // These ids name stateful resources in users' accounts: a change would replace the database,
  // its credentials or its key. Never update this test to make it pass; keep the ids instead.
  const PINNED = {
    'AWS::RDS::DBInstance': 'DbInstanceD710EDDF',
    'AWS::SecretsManager::Secret': 'DbSecretCF6D79B0',
    'AWS::KMS::Key': 'DbKey15491AC0',
    'AWS::RDS::DBParameterGroup': 'DbParameterGroupB60E38C6',
    'AWS::RDS::DBSubnetGroup': 'DbInstanceSubnetGroupD2385C7C',
  };

  test.each([
    ['a new MySQL instance', {}],
    ['a PostgreSQL instance', { engine: POSTGRES }],
    ['an instance restored from a snapshot', { snapshotIdentifier: 'snap', masterUsername: 'ebroot' }],
  ])('the stateful resources of %s keep their logical ids', (_name, props) => {
    const { template } = build(props as Options);
    for (const [type, id] of Object.entries(PINNED)) {
      // The notification topic's key (a new, stateless addition) is the only other key.
      expect(Object.keys(template.findResources(type)).filter((k) => !k.startsWith('DbNotificationTopicKey'))).toEqual([
        id,
      ]);
    }
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toHaveLength(2);
    template.hasResource('AWS::EC2::SecurityGroup', {});
    expect(Object.keys(template.findResources('AWS::EC2::SecurityGroup'))).toContain('DbSecurityGroupC34ABFAB');
  });
});

describe('DetachableDatabase logical ids do not depend on where the stack sits', () => {
  test('a stack moved into a Stage keeps the logical ids of the stateful resources', () => {
    const app = new App();
    const stage = new Stage(app, 'Prod');
    const stack = new Stack(stage, 'Stack', { env: ENV });
    new DetachableDatabase(stack, 'Db', { vpc: newVpc(stack) });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::RDS::DBInstance'))).toEqual(['DbInstanceD710EDDF']);
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toEqual(['DbSecretCF6D79B0']);
    expect(
      Object.keys(template.findResources('AWS::KMS::Key')).filter((k) => !k.startsWith('DbNotificationTopicKey')),
    ).toEqual(['DbKey15491AC0']);
  });
});

describe('DetachableDatabase snapshot', () => {
  test('the template matches the snapshot', () => {
    const { template } = build();
    expect(template.toJSON()).toMatchSnapshot();
  });
});
