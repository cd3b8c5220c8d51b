import * as crypto from 'crypto';
import { CustomResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PLATFORM_LOOKUP_RESOURCE_TYPE, PlatformLookupProperties } from './contract';
import { EnvironmentTier } from './options';
import { PlatformLookupFunction } from './platform-lookup-function';
import { acknowledge } from '../common/acknowledge';
import { createHandlerFunction } from '../common/handler-function';

/**
 * How an environment names its platform, as returned by {@link BeanstalkPlatform.bind}: exactly
 * one of the two is set.
 */
export interface BeanstalkPlatformConfig {
  /**
   * The platform version ARN (`PlatformArn`).
   *
   * @default - none: `solutionStackName` is used
   */
  readonly platformArn?: string;

  /**
   * The solution stack name (`SolutionStackName`).
   *
   * @default - none: `platformArn` is used
   */
  readonly solutionStackName?: string;
}

/**
 * The Elastic Beanstalk platform (language runtime and operating system) an environment runs on.
 *
 * Prefer a platform ARN (`fromPlatformArn` or `latest`): CloudFormation updates an environment in
 * place when its `PlatformArn` changes, but replaces it when its `SolutionStackName` changes.
 */
export abstract class BeanstalkPlatform {
  /**
   * A solution stack name, e.g. `64bit Amazon Linux 2023 v6.6.0 running Node.js 22`. Changing it
   * later replaces the environment; only the latest version of a platform branch can be used for
   * new environments.
   */
  public static fromSolutionStackName(solutionStackName: string): BeanstalkPlatform {
    return new StaticPlatform({ solutionStackName });
  }

  /** A platform version ARN. Changing it later updates the environment in place. */
  public static fromPlatformArn(platformArn: string): BeanstalkPlatform {
    return new StaticPlatform({ platformArn });
  }

  /**
   * The newest recommended version of a platform branch, e.g. `Node.js 22 running on 64bit Amazon
   * Linux 2023`, looked up on deployment by a custom resource (`ListPlatformVersions`) and used as
   * `PlatformArn`. The deployment fails with a clear message when the branch has no recommended
   * version in the region.
   *
   * Each environment has a lookup of its own, which runs when the environment is created and again
   * whenever the environment is replaced (its name, CNAME prefix or tier changes) or the branch
   * changes, so every environment is created on a version that exists at that moment (Elastic
   * Beanstalk retires old versions). A running environment's lookup does not run again; managed
   * platform updates keep it on the newest version of the branch.
   */
  public static latest(branchName: string): BeanstalkPlatform {
    return new LatestPlatform(branchName);
  }

  /** Resolves the platform for an environment of `tier` in `scope`. */
  public abstract bind(scope: Construct, tier: EnvironmentTier): BeanstalkPlatformConfig;
}

class StaticPlatform extends BeanstalkPlatform {
  constructor(private readonly config: BeanstalkPlatformConfig) {
    super();
  }

  public bind(_scope: Construct, _tier: EnvironmentTier): BeanstalkPlatformConfig {
    return this.config;
  }
}

/** The tier names `ListPlatformVersions` filters on. */
const SUPPORTED_TIER: { [tier: string]: string } = {
  [EnvironmentTier.WEB_SERVER]: 'WebServer/Standard',
  [EnvironmentTier.WORKER]: 'Worker/SQS/HTTP',
};

class LatestPlatform extends BeanstalkPlatform {
  constructor(private readonly branchName: string) {
    super();
  }

  public bind(scope: Construct, tier: EnvironmentTier): BeanstalkPlatformConfig {
    const stack = Stack.of(scope);
    const supportedTier = SUPPORTED_TIER[tier];
    // One lookup per environment, whose properties include everything that makes CloudFormation
    // replace the environment (its name, CNAME prefix and tier): an environment that is created or
    // replaced by a later deployment gets a lookup of its own that runs then, so it is created on a
    // version that exists then (Elastic Beanstalk retires old ones). A running environment's lookup
    // keeps its properties, so it is not run again and the environment is left as it is.
    const id = `PlatformLookup${crypto.createHash('sha256').update(this.branchName).digest('hex').slice(0, 8)}`;
    const existing = scope.node.tryFindChild(id) as CustomResource | undefined;
    const lookup =
      existing ??
      new CustomResource(scope, id, {
        serviceToken: lookupFunction(stack).functionArn,
        resourceType: PLATFORM_LOOKUP_RESOURCE_TYPE,
        properties: {
          BranchName: this.branchName,
          SupportedTier: supportedTier,
          Environment: Lazy.any({ produce: () => replacingPropertiesOf(scope) }, { omitEmptyArray: true }),
        } satisfies PlatformLookupProperties,
      });
    return { platformArn: lookup.getAttString('PlatformArn') };
  }
}

/**
 * The properties of the environment `scope` holds whose change replaces it (CloudFormation
 * `AWS::ElasticBeanstalk::Environment`: `EnvironmentName`, `CNAMEPrefix`, `Tier`), read when the
 * template is written.
 */
function replacingPropertiesOf(scope: Construct): { [key: string]: unknown } | undefined {
  const environment = scope.node.tryFindChild('Resource');
  if (!(environment instanceof elasticbeanstalk.CfnEnvironment)) return undefined;
  const tier = environment.tier as elasticbeanstalk.CfnEnvironment.TierProperty | undefined;
  return {
    EnvironmentName: environment.environmentName,
    CNAMEPrefix: environment.cnamePrefix,
    Tier: tier && { Name: tier.name, Type: tier.type },
  };
}

const FUNCTION_ID = 'BeanstalkPlatformLookupFunction';

function lookupFunction(stack: Stack): lambda.IFunction {
  const existing = stack.node.tryFindChild(FUNCTION_ID) as lambda.IFunction | undefined;
  if (existing) return existing;
  const description = 'Finds the newest recommended version of an Elastic Beanstalk platform branch';
  const { fn, role } = createHandlerFunction(stack, PlatformLookupFunction, {
    name: FUNCTION_ID,
    functionId: FUNCTION_ID,
    calls:
      "the Elastic Beanstalk API (ListPlatformVersions) and the pre-signed Amazon S3 URL CloudFormation gives for a custom resource's response",
    description,
    roleDescription: `${description}: writes its own logs and nothing beyond its own policy`,
    timeout: Duration.minutes(1),
    // A lookup takes a second: one at a time is enough (CloudFormation invokes it asynchronously, and
    // Lambda retries a throttled event). An event it could not handle is retried twice, then queued.
    reservedConcurrentExecutions: 1,
    deadLetterQueue: true,
    permissions: (r) =>
      r.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ListPlatformVersions',
          actions: ['elasticbeanstalk:ListPlatformVersions'],
          resources: ['*'],
        }),
      ),
  });
  acknowledge(role, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'elasticbeanstalk:ListPlatformVersions lists the public platform versions of the region and supports no resource-level permission; it is the only action granted on *.',
  });
  return fn;
}
