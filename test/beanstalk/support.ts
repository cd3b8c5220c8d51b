import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  BeanstalkApplication,
  BeanstalkEnvironment,
  BeanstalkEnvironmentPair,
  BeanstalkEnvironmentPairProps,
  BeanstalkEnvironmentProps,
  BeanstalkPlatform,
  Slot,
  SourceBundle,
} from '../../src/beanstalk';

// Fixtures shared by the Beanstalk construct tests.

export const ENV = { region: 'eu-west-1' };
export const BUNDLE = path.join(__dirname, 'fixtures', 'app');
export const BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';
export const PLATFORM_ARN = `arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/6.6.0`;
export const CERT_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/abc';

export type Settings = Record<string, unknown>;

/** The option settings of an environment resource as `namespace/OptionName` -> value. */
export function settingsOf(resource: any): Settings {
  const settings: Settings = {};
  for (const s of resource.Properties.OptionSettings) settings[`${s.Namespace}/${s.OptionName}`] = s.Value;
  return settings;
}

export function environments(template: Template): any[] {
  return Object.values(template.findResources('AWS::ElasticBeanstalk::Environment'));
}

export function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as ec2.CfnSecurityGroup).logicalId);
}

export function buildEnvironment(props: Partial<BeanstalkEnvironmentProps> = {}, stack?: Stack) {
  stack ??= new Stack(new App(), 'Stack', { env: ENV });
  const application = new BeanstalkApplication(stack, 'App');
  const environment = new BeanstalkEnvironment(stack, 'Env', {
    application,
    platform: BeanstalkPlatform.fromPlatformArn(PLATFORM_ARN),
    sourceBundle: SourceBundle.fromAsset(BUNDLE),
    ...props,
  });
  const template = Template.fromStack(stack);
  const [resource] = environments(template);
  return { stack, application, environment, template, resource, settings: settingsOf(resource) };
}

/** A pair with one source bundle for both slots, blue live, not synthesized yet (add to it before the one synthesis). */
export function newPair(props: Partial<BeanstalkEnvironmentPairProps> = {}, stack?: Stack) {
  stack ??= new Stack(new App(), 'Stack', { env: ENV });
  const pair = new BeanstalkEnvironmentPair(stack, 'Pair', {
    platform: BeanstalkPlatform.latest(BRANCH),
    blue: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
    green: { sourceBundle: SourceBundle.fromAsset(BUNDLE) },
    live: Slot.BLUE,
    ...props,
  });
  return { stack, pair };
}

export function buildPair(props: Partial<BeanstalkEnvironmentPairProps> = {}, stack?: Stack) {
  const built = newPair(props, stack);
  return { ...built, template: Template.fromStack(built.stack) };
}

export function settingsOfEnv(template: Template, stack: Stack, env: BeanstalkEnvironment): Settings {
  const id = stack.resolve(env.cfnEnvironment.logicalId);
  return settingsOf(template.toJSON().Resources[id]);
}
