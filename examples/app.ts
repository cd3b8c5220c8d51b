import { App, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { HighlyAvailableWebApp } from '../src';

/** The example app is synthesized in one region, offline: no account, no lookups. */
export const EXAMPLE_ENV = { region: 'eu-west-1' };

/** The inventory web tier: nginx on Amazon Linux 2023 behind an ALB, two to six instances over two AZs. */
export class WebTierStack extends Stack {
  public readonly webApp: HighlyAvailableWebApp;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      'dnf install -y nginx',
      'echo ok > /usr/share/nginx/html/health',
      'systemctl enable --now nginx',
    );
    this.webApp = new HighlyAvailableWebApp(this, 'Inventory', {
      userData,
      minCapacity: 2,
      maxCapacity: 6,
      healthCheckPath: '/health',
      targetCpuUtilizationPercent: 60,
    });
    new CfnOutput(this, 'Url', { value: this.webApp.url });
  }
}

/** One example: the construct it shows and the stacks that show it, synthesized in an app of their own. */
export interface Example {
  readonly construct: string;
  build(app: App): Stack[];
}

export const EXAMPLES: Example[] = [
  {
    construct: 'HighlyAvailableWebApp',
    build: (app) => [new WebTierStack(app, 'InventoryWeb', { env: EXAMPLE_ENV })],
  },
];
