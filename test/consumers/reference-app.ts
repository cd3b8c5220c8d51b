import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  BeanstalkEnvironmentPair,
  BeanstalkPlatform,
  DetachableDatabase,
  ElasticIpFailoverInstance,
  FailoverStrategy,
  HealthProbe,
  HighlyAvailableWebApp,
  Slot,
  SourceBundle,
} from '../../src';
import { publicOnlyVpc } from '../support/vpc';

/**
 * The app every consumer builds, in TypeScript: the Python, Java and Go apps in this folder build
 * the same units with the same stack names, and all of them are checked against expectations.json.
 */
export const UNITS: Record<string, (app: App) => void> = {
  'web-app-and-database': (app) => {
    const data = new Stack(app, 'ConsumerData', { env: ENV });
    const vpc = new ec2.Vpc(data, 'Vpc', {
      maxAzs: 2,
      natGateways: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const database = new DetachableDatabase(data, 'Database', { vpc, databaseName: 'shop' });
    const web = new Stack(app, 'ConsumerWeb', { env: ENV });
    const webApp = new HighlyAvailableWebApp(web, 'Shop', { vpc, minCapacity: 2, maxCapacity: 4 });
    database.allowConnectionsFrom(webApp);
    database.grantSecretRead(webApp.autoScalingGroup);
  },
  'failover-standby': (app) => {
    const stack = new Stack(app, 'ConsumerStandby', { env: ENV });
    const server = new ElasticIpFailoverInstance(stack, 'Server', { vpc: publicOnlyVpc(stack) });
    server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
  },
  'failover-asg': (app) => {
    const stack = new Stack(app, 'ConsumerAsg', { env: ENV });
    const server = new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.autoScalingGroup({
        dataVolume: { size: Size.gibibytes(20), mountPath: '/srv/data', snapshotInterval: Duration.hours(1) },
      }),
    });
    // The experiments and their verifier (with the data marker): a struct and a class of the
    // library as a method's argument.
    server.addResilienceExperiments({ probe: HealthProbe.tcp(443), faultDuration: Duration.minutes(3) });
  },
  'beanstalk-pair': (app) => {
    const stack = new Stack(app, 'ConsumerBeanstalk', { env: ENV });
    const bundle = SourceBundle.fromAsset(path.join(__dirname, 'web-bundle'));
    new BeanstalkEnvironmentPair(stack, 'Shop', {
      platform: BeanstalkPlatform.latest('Node.js 22 running on 64bit Amazon Linux 2023'),
      blue: { sourceBundle: bundle },
      green: { sourceBundle: bundle },
      live: Slot.BLUE,
    });
  },
};

const ENV = { region: 'eu-west-1' };
