import * as path from 'path';
import {
  App,
  ArnFormat,
  CfnOutput,
  CfnResource,
  Duration,
  RemovalPolicy,
  Size,
  Stack,
  StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  BatchSize,
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  Cutover,
  DeploymentPolicy,
  DetachableDatabase,
  EnvironmentPreset,
  Slot,
  SourceBundle,
  ElasticIpFailoverInstance,
  FailoverStrategy,
  HealthProbe,
  HighlyAvailableWebApp,
  IDetachableDatabase,
  StandbyState,
} from '../src';

/** The example app is synthesized in one region, offline: no account, no lookups. */
export const EXAMPLE_ENV = { region: 'eu-west-1' };

/**
 * Context every example app sets: cross-stack references as CloudFormation exports (the data stack
 * cannot be deleted while a web tier imports from it).
 */
export const EXAMPLE_CONTEXT = { '@aws-cdk/core:defaultCrossStackReferences': 'strong' };

/** Properties of a {@link DataStack}. */
export interface DataStackProps extends StackProps {
  /** The database (schema) the application uses. */
  readonly databaseName: string;
}

/**
 * A data tier: the network and the database, in a stack of their own so that web tiers
 * (and Beanstalk environments) can come and go without touching the data.
 */
export class DataStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly database: DetachableDatabase;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    // Public (load balancer), private with egress (web instances), isolated (database), in 2 AZs.
    this.vpc = auditedVpc(this, {
      natGateways: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      publicSubnetsHold: 'the internet-facing load balancers and the NAT gateways of the private subnets',
    });
    // Multi-AZ MySQL 8.4 on 3307 in the isolated subnets: deletion protection, snapshot on delete,
    // TLS only, KMS-encrypted rotated credentials.
    this.database = new DetachableDatabase(this, 'Database', { vpc: this.vpc, databaseName: props.databaseName });
    this.database.addToDashboard(new cloudwatch.Dashboard(this, 'Operations'));
    // Fault-injection experiments (nothing runs on deployment): start the verifier with
    // {"experiment": "RebootWithFailover"} to measure the Multi-AZ failover.
    this.database.addResilienceExperiments();
    new CfnOutput(this, 'DatabaseEndpoint', { value: this.database.endpointAddress });
    new CfnOutput(this, 'DatabaseSecretArn', { value: this.database.secret.secretArn });
  }
}

export interface WebTierStackProps extends StackProps {
  /** The VPC to run in (the data tier's). @default - a new VPC */
  readonly vpc?: ec2.IVpc;
  /** The database the web tier uses. @default - none */
  readonly database?: IDetachableDatabase;
}

/** The inventory web tier: nginx on Amazon Linux 2023 behind an ALB, two to six instances over two AZs. */
export class WebTierStack extends Stack {
  public readonly webApp: HighlyAvailableWebApp;

  constructor(scope: Construct, id: string, props: WebTierStackProps) {
    super(scope, id, props);
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      'dnf install -y nginx',
      'echo ok > /usr/share/nginx/html/health',
      'systemctl enable --now nginx',
    );
    if (props.database) {
      // Non-secret settings for the application; it reads the password from the secret at start-up.
      const settings = props.database.connectionEnvironment();
      userData.addCommands(
        ...Object.entries(settings).map(([name, value]) => `echo '${name}=${value}' >> /etc/inventory.env`),
      );
    }
    this.webApp = new HighlyAvailableWebApp(this, 'Inventory', {
      vpc: props.vpc,
      userData,
      minCapacity: 2,
      maxCapacity: 6,
      healthCheckPath: '/health',
      targetCpuUtilizationPercent: 60,
    });
    if (props.database) {
      // Web tier -> database on the engine port, from the app security group only. The ingress rule
      // is created in this stack: the web tier depends on the data tier, never the reverse.
      props.database.allowConnectionsFrom(this.webApp);
      props.database.grantSecretRead(this.webApp.autoScalingGroup);
    }
    // The web tier's alarms notify its topic; its dashboard shows them beside its metrics (the
    // database's is in the data stack, so that no metric crosses the stacks).
    this.webApp.addToDashboard(new cloudwatch.Dashboard(this, 'Operations'));
    this.webApp.addResilienceExperiments();
    new CfnOutput(this, 'Url', { value: this.webApp.url });
  }
}

/** Options of {@link auditedVpc}. */
interface AuditedVpcOptions {
  readonly natGateways: number;
  readonly subnetConfiguration: ec2.SubnetConfiguration[];
  /** What the public subnets are for: the reason their route to the internet gateway is accepted. */
  readonly publicSubnetsHold: string;
}

/**
 * A VPC in two AZs as a security team reviews it: the default security group admits nothing; all
 * traffic is logged to a log group kept for a year and encrypted with a key of the stack's, through
 * a role with a managed policy of its own; the public subnets' routes to the internet gateway are
 * acknowledged under the compliance packs with what they are for.
 */
function auditedVpc(scope: Construct, options: AuditedVpcOptions): ec2.Vpc {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'FlowLogsKey', {
    description: `Encrypts the VPC flow logs of ${stack.stackName}`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const logGroupArnPattern = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  // CloudWatch Logs encrypts and decrypts the group's events with the key, for this account's log groups only.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupArnPattern } },
    }),
  );
  const logGroup = new logs.LogGroup(scope, 'FlowLogs', {
    encryptionKey: key,
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'FlowLogsRole', {
    assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  });
  // What VPC Flow Logs needs, in a managed policy: the role takes no further (inline) grants. The
  // policy names the role (not the role the policy), as the policy also refers to the role's ARN.
  const policy = new iam.ManagedPolicy(scope, 'FlowLogsPolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [logGroup.logGroupArn],
      }),
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [role.roleArn] }),
    ],
  });
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: options.natGateways,
    subnetConfiguration: options.subnetConfiguration,
    restrictDefaultSecurityGroup: true,
    flowLogs: {
      All: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, role.withoutPolicyUpdates()),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
  // The flow log is created once its role holds the policy.
  vpc.node.findChild('All').node.addDependency(policy);
  for (const subnet of vpc.publicSubnets) {
    const route = subnet.node.findChild('DefaultRoute');
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      Validations.of(route).acknowledge({
        id: `${pack}-VPCNoUnrestrictedRouteToIGW`,
        reason: `A public subnet: its route to the internet gateway is what makes it public, and it holds ${options.publicSubnetsHold}.`,
      });
    }
  }
  skipCheckovOnRestrictDefaultSecurityGroupProvider(stack);
  return vpc;
}

/**
 * aws-cdk-lib's provider that revokes the default security group's rules (one function per stack,
 * run when the VPC is created or replaced) is not one of ours to configure: its checkov findings are
 * skipped on it, each with what the function is.
 */
function skipCheckovOnRestrictDefaultSecurityGroupProvider(stack: Stack): void {
  const handler = stack.node
    .tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider')
    ?.node.tryFindChild('Handler') as CfnResource | undefined;
  if (!handler) return;
  const what =
    "aws-cdk-lib's custom resource provider that revokes the default security group's rules when the VPC is created";
  handler.addMetadata('checkov', {
    skip: [
      { id: 'CKV_AWS_115', comment: `${what}: it runs once per deployment of the VPC, so no concurrency to reserve.` },
      {
        id: 'CKV_AWS_116',
        comment: `${what}: CloudFormation waits for its answer at the response URL, and a failed invocation fails (or times out) the deployment, so the stack events already show what a dead-letter queue would keep.`,
      },
      { id: 'CKV_AWS_117', comment: `${what}: it calls only the EC2 API and reaches nothing inside the VPC.` },
    ],
  });
}

/** Public subnets in two AZs, no NAT gateway (the instances have public addresses). */
function publicOnlyVpc(scope: Construct): ec2.Vpc {
  return auditedVpc(scope, {
    natGateways: 0,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false }],
    publicSubnetsHold: 'the Elastic IP service, which clients reach from the internet at its fixed address',
  });
}

/** A licence server clients reach at a fixed IP: primary and stopped standby in two AZs behind one Elastic IP. */
export class LicenceServerStack extends Stack {
  public readonly server: ElasticIpFailoverInstance;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const vpc = publicOnlyVpc(this);
    // With a stopped standby, user data runs on each instance's first boot only and the standby's
    // first boot is cut short: install a unit that starts the service on every boot.
    const userData = ec2.UserData.forLinux();
    userData.addCommands('dnf install -y nginx', 'systemctl enable nginx', 'systemctl start nginx');
    this.server = new ElasticIpFailoverInstance(this, 'LicenceServer', {
      vpc,
      userData,
      strategy: FailoverStrategy.standbyInstance({ standbyState: StandbyState.STOPPED, cpuThreshold: 95 }),
    });
    // The licence service is public: allowFromInternet opens exactly its port (and acknowledges
    // cdk-nag's AwsSolutions-EC23 on that one rule, with a reason naming the port).
    this.server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS licence service');
    // The construct's operator alarms (failures, dead letters, time to recovery, both unhealthy)
    // notify its topic; the dashboard shows them with the recovery times.
    this.server.addToDashboard(new cloudwatch.Dashboard(this, 'Operations'));
    // StopPrimary and CpuStress, verified through the Elastic IP on the service's port.
    this.server.addResilienceExperiments({ probe: HealthProbe.tcp(443) });
    new CfnOutput(this, 'PublicIp', { value: this.server.publicIp });
    new CfnOutput(this, 'NotificationTopic', { value: this.server.notificationTopic.topicArn });
  }
}

/**
 * A single-instance file service whose data must survive the instance and its AZ: an Auto Scaling
 * group of one across two AZs takes the Elastic IP at launch, and its data volume follows it,
 * reattached in the same AZ or restored from the newest snapshot in the other.
 */
export class FileServerStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const vpc = publicOnlyVpc(this);
    const userData = ec2.UserData.forLinux();
    // Runs after the data volume is mounted at /var/lib/app (the construct's mount script runs first).
    userData.addCommands(
      'dnf install -y nginx',
      'mkdir -p /var/lib/app/www && ln -sfn /var/lib/app/www /usr/share/nginx/html/data',
      'systemctl enable --now nginx',
    );
    const server = new ElasticIpFailoverInstance(this, 'FileServer', {
      vpc,
      userData,
      strategy: FailoverStrategy.autoScalingGroup({
        healthCheckGracePeriod: Duration.minutes(5),
        dataVolume: {
          size: Size.gibibytes(20),
          mountPath: '/var/lib/app',
          snapshotInterval: Duration.hours(1),
          snapshotRetention: 24,
          replacedDataRetention: Duration.days(14),
        },
      }),
    });
    server.connections.allowFrom(ec2.Peer.ipv4('198.51.100.0/24'), ec2.Port.tcp(80), 'Office clients');
    // TerminateInstance and ZoneLost1/2; the service answers the office only, so no verifier
    // (which probes from outside the VPC): watch TimeToRecovery and the data volume instead.
    server.addResilienceExperiments({ verifier: false });
    new CfnOutput(this, 'PublicIp', { value: server.publicIp });
  }
}

const BEANSTALK_PLATFORM_BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';
const BEANSTALK_APP = path.join(__dirname, 'beanstalk-app');

/** A cheap dev environment: one instance, its own small VPC, no database. */
export class ShopDevStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const application = new BeanstalkApplication(this, 'App', { maxVersions: 20 });
    const web = new BeanstalkEnvironment(this, 'Web', {
      application,
      platform: BeanstalkPlatform.latest(BEANSTALK_PLATFORM_BRANCH),
      preset: EnvironmentPreset.singleInstance(),
      sourceBundle: SourceBundle.fromAsset(BEANSTALK_APP),
      environmentVariables: { STAGE: 'dev', SLOT: 'dev' },
    });
    new CfnOutput(this, 'Url', { value: web.url });
  }
}

/** Properties of a {@link ShopProdStack}. */
export interface ShopProdStackProps extends StackProps {
  /** The data tier's VPC. */
  readonly vpc: ec2.IVpc;
  /** The data tier's database. */
  readonly database: IDetachableDatabase;
}

/**
 * Production: a blue/green pair of load-balanced environments in the data tier's VPC, wired to the
 * database in its own stack. To release: give the idle slot the new bundle, deploy, check the idle
 * URL, set `live` to that slot and deploy again (the CNAMEs are swapped once both are Ready).
 */
export class ShopProdStack extends Stack {
  constructor(scope: Construct, id: string, props: ShopProdStackProps) {
    super(scope, id, props);
    const pair = new BeanstalkEnvironmentPair(this, 'Web', {
      vpc: props.vpc,
      database: props.database,
      platform: BeanstalkPlatform.latest(BEANSTALK_PLATFORM_BRANCH),
      preset: EnvironmentPreset.highAvailability({ minInstances: 2, maxInstances: 4 }),
      deploymentPolicy: DeploymentPolicy.rollingWithAdditionalBatch(BatchSize.percentage(50)),
      blue: { sourceBundle: SourceBundle.fromAsset(BEANSTALK_APP), environmentVariables: { SLOT: 'blue' } },
      green: { sourceBundle: SourceBundle.fromAsset(BEANSTALK_APP), environmentVariables: { SLOT: 'green' } },
      live: Slot.BLUE,
      // Cutover.cnameSwap() is the default: it swaps only to an environment that is Ok and answers
      // its health check path, and swaps back if the new live slot's alarms fire within 5 minutes.
      // Cutover.route53({ zone, recordName }) points a record of your hosted zone at the live
      // environment instead.
      cutover: Cutover.cnameSwap({ healthCheckPath: '/' }),
    });
    pair.addToDashboard(new cloudwatch.Dashboard(this, 'Operations'));
    pair.addResilienceExperiments();
    new CfnOutput(this, 'LiveUrl', { value: pair.liveUrl });
    new CfnOutput(this, 'IdleUrl', { value: pair.idleEnvironment.url });
  }
}

/** One example: the construct it shows and the stacks that show it, synthesized in an app of their own. */
export interface Example {
  readonly construct: string;
  build(app: App): Stack[];
}

export const EXAMPLES: Example[] = [
  {
    // The inventory lab: web tier -> database on the engine port from the app security group only.
    construct: 'HighlyAvailableWebApp + DetachableDatabase',
    build: (app) => {
      const data = new DataStack(app, 'InventoryData', { env: EXAMPLE_ENV, databaseName: 'inventory' });
      const web = new WebTierStack(app, 'InventoryWeb', { env: EXAMPLE_ENV, vpc: data.vpc, database: data.database });
      return [data, web];
    },
  },
  {
    construct: 'ElasticIpFailoverInstance',
    build: (app) => [
      new LicenceServerStack(app, 'LicenceServer', { env: EXAMPLE_ENV }),
      new FileServerStack(app, 'FileServer', { env: EXAMPLE_ENV }),
    ],
  },
  {
    // A dev single-instance environment, and a prod blue/green pair with the database in its own stack.
    construct: 'BeanstalkEnvironmentPair',
    build: (app) => {
      const data = new DataStack(app, 'ShopData', { env: EXAMPLE_ENV, databaseName: 'shop' });
      const dev = new ShopDevStack(app, 'ShopDev', { env: EXAMPLE_ENV });
      const prod = new ShopProdStack(app, 'ShopProd', { env: EXAMPLE_ENV, vpc: data.vpc, database: data.database });
      return [data, dev, prod];
    },
  },
];
