// The user's code with the library: the architecture of bench/handwritten.ts in one construct.
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HighlyAvailableWebApp } from '../lib';

// BEGIN USER CODE
export function build(stack: Stack): void {
  const userData = ec2.UserData.forLinux();
  userData.addCommands('dnf install -y nginx', 'systemctl enable --now nginx');
  new HighlyAvailableWebApp(stack, 'Web', { userData, healthCheckPath: '/' });
}
// END USER CODE
