import { App, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { HighlyAvailableWebApp } from '../src';

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

/** Adds every example stack to the app. */
export function addExampleStacks(app: App): Stack[] {
  const env = { region: 'eu-west-1' };
  const web = new WebTierStack(app, 'InventoryWeb', { env });
  return [web];
}
