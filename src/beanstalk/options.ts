import { Duration } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';

/**
 * Options for {@link EnvironmentPreset.highAvailability}.
 */
export interface HighAvailabilityOptions {
  /**
   * The fewest instances the environment keeps running. At least 2 keeps it serving when an
   * instance or an Availability Zone is lost.
   *
   * @default 2
   */
  readonly minInstances?: number;

  /**
   * The most instances the environment scales out to.
   *
   * @default 4
   */
  readonly maxInstances?: number;
}

/**
 * The shape of an environment: one instance with a public address, or a load-balanced group of
 * instances across Availability Zones.
 */
export class EnvironmentPreset {
  /**
   * One instance in a public subnet with an Elastic IP and no load balancer (`EnvironmentType
   * SingleInstance`). Cheap, for development; it stops serving while the instance is replaced.
   */
  public static singleInstance(): EnvironmentPreset {
    return new EnvironmentPreset(false, 1, 1);
  }

  /**
   * An internet-facing Application Load Balancer in public subnets in front of an Auto Scaling
   * group of instances in private subnets across at least two Availability Zones, with no public
   * addresses (`EnvironmentType LoadBalanced`, `LoadBalancerType application`). A worker-tier
   * environment gets the Auto Scaling group without a load balancer.
   */
  public static highAvailability(options: HighAvailabilityOptions = {}): EnvironmentPreset {
    return new EnvironmentPreset(true, options.minInstances ?? 2, options.maxInstances ?? 4);
  }

  /** Whether the environment is load balanced (`true`) or a single instance (`false`). */
  public readonly loadBalanced: boolean;

  /** The fewest instances the environment keeps running. */
  public readonly minInstances: number;

  /** The most instances the environment scales out to. */
  public readonly maxInstances: number;

  private constructor(loadBalanced: boolean, minInstances: number, maxInstances: number) {
    this.loadBalanced = loadBalanced;
    this.minInstances = minInstances;
    this.maxInstances = maxInstances;
  }
}

/**
 * How many instances a rolling deployment takes out of service (or adds) at a time.
 */
export class BatchSize {
  /** A percentage (1 to 100) of the instances in the environment. */
  public static percentage(percent: number): BatchSize {
    return new BatchSize('Percentage', percent);
  }

  /** A fixed number of instances (at least 1). */
  public static instances(count: number): BatchSize {
    return new BatchSize('Fixed', count);
  }

  /** `Percentage` or `Fixed` (the `BatchSizeType` option). */
  public readonly sizeType: string;

  /** The percentage or the number of instances (the `BatchSize` option). */
  public readonly value: number;

  private constructor(sizeType: string, value: number) {
    this.sizeType = sizeType;
    this.value = value;
  }
}

/**
 * How Elastic Beanstalk deploys a new application version or configuration to the instances of
 * one environment (`aws:elasticbeanstalk:command` and `aws:elasticbeanstalk:trafficsplitting`).
 */
export class DeploymentPolicy {
  /** Every instance at once: fastest, with downtime while the instances restart. */
  public static allAtOnce(): DeploymentPolicy {
    return new DeploymentPolicy('AllAtOnce');
  }

  /**
   * A batch of instances at a time, each taken out of service while it updates: capacity drops by
   * one batch during the deployment.
   *
   * @param batch the batch size. @default BatchSize.percentage(30)
   */
  public static rolling(batch?: BatchSize): DeploymentPolicy {
    return new DeploymentPolicy('Rolling', batch ?? BatchSize.percentage(30));
  }

  /**
   * Like `rolling`, but a new batch of instances is launched first, so full capacity is kept.
   *
   * @param batch the batch size. @default BatchSize.percentage(30)
   */
  public static rollingWithAdditionalBatch(batch?: BatchSize): DeploymentPolicy {
    return new DeploymentPolicy('RollingWithAdditionalBatch', batch ?? BatchSize.percentage(30));
  }

  /**
   * A full set of new instances in a temporary Auto Scaling group; the old ones are terminated only
   * when the new ones pass health checks. Slowest, safest, quick rollback.
   */
  public static immutable(): DeploymentPolicy {
    return new DeploymentPolicy('Immutable');
  }

  /**
   * Canary: new instances receive `percent` of the load balancer's traffic for `evaluationTime`;
   * if they stay healthy all traffic moves to them. Needs a load-balanced web server environment.
   *
   * @param percent the share of traffic (1 to 100) the new version receives while it is evaluated.
   * @param evaluationTime how long (whole minutes, 3 to 600) the new version is evaluated. @default Duration.minutes(5)
   */
  public static trafficSplitting(percent: number, evaluationTime?: Duration): DeploymentPolicy {
    return new DeploymentPolicy('TrafficSplitting', undefined, percent, evaluationTime ?? Duration.minutes(5));
  }

  /** The `DeploymentPolicy` option value. */
  public readonly policy: string;

  /**
   * The batch size of a rolling policy.
   *
   * @default - none (the policy does not deploy in batches)
   */
  public readonly batch?: BatchSize;

  /**
   * The share of traffic the new version receives while it is evaluated (traffic splitting).
   *
   * @default - none (not traffic splitting)
   */
  public readonly newVersionPercent?: number;

  /**
   * How long the new version is evaluated (traffic splitting).
   *
   * @default - none (not traffic splitting)
   */
  public readonly evaluationTime?: Duration;

  private constructor(policy: string, batch?: BatchSize, newVersionPercent?: number, evaluationTime?: Duration) {
    this.policy = policy;
    this.batch = batch;
    this.newVersionPercent = newVersionPercent;
    this.evaluationTime = evaluationTime;
  }
}

/**
 * The tier of an environment. Changing the tier of an existing environment replaces it.
 */
export enum EnvironmentTier {
  /** Serves HTTP requests (CloudFormation `Tier { Name: WebServer, Type: Standard }`). */
  WEB_SERVER = 'WebServer',
  /**
   * Processes messages from an SQS queue that the environment's daemon posts to the application
   * (CloudFormation `Tier { Name: Worker, Type: SQS/HTTP }`); has no load balancer.
   */
  WORKER = 'Worker',
}

/**
 * One of the two environments of a {@link BeanstalkEnvironmentPair}.
 */
export enum Slot {
  /** The blue environment. */
  BLUE = 'Blue',
  /** The green environment. */
  GREEN = 'Green',
}

/**
 * What a cutover checks before it moves the traffic to the environment becoming live, and how long
 * it watches that environment's alarms afterwards ({@link Cutover.cnameSwap} and
 * {@link Cutover.route53}). Every check runs only when a deployment changes the `live` slot; a
 * deployment that does not, and a rollback that puts the previous live slot back, check nothing.
 */
export interface CutoverCheckOptions {
  /**
   * Cut over only when enhanced health (`DescribeEnvironmentHealth`) rates the environment
   * becoming live `Ok`; otherwise (`Info` while an operation runs, `Warning`, `Degraded`...) the
   * deployment fails before the traffic moves, after a few tries 15 seconds apart.
   *
   * @default true
   */
  readonly requireHealthOk?: boolean;

  /**
   * Cut over only when an HTTP GET of `healthCheckPath` on the environment becoming live (at its
   * own Elastic Beanstalk CNAME, `https://` with a certificate) answers 2xx or 3xx within 5
   * seconds, in one of 3 tries. With a certificate the check does not verify the certificate: it
   * asks the environment's Elastic Beanstalk domain name, which your certificate does not cover,
   * and sends nothing secret.
   *
   * @default true
   */
  readonly httpCheck?: boolean;

  /**
   * The path the HTTP check requests, starting with `/`.
   *
   * @default - the pair's `healthCheckPath` ('/' unless set)
   */
  readonly healthCheckPath?: string;

  /**
   * After the cutover, watch the alarms of the newly live environment for `bakeTime`; if one goes
   * to ALARM, step back and fail the deployment. A CNAME swap swaps back (CloudFormation's
   * rollback then leaves the CNAMEs where the swap back put them); a Route 53 cutover fails, and
   * CloudFormation's rollback points the record at the previous live slot again. Needs the
   * environments' alarms (`alarms`).
   *
   * @default true
   */
  readonly rollbackOnAlarms?: boolean;

  /**
   * How long the cutover watches the alarms after it, 1 to 8 minutes: the checks, the cutover, the
   * bake and a swap back must all fit in the 15 minutes a Lambda function may run. With Route 53,
   * allow for the record's time to live (60 seconds for an alias to Elastic Beanstalk): clients
   * reach the new slot only once their resolvers' caches expire.
   *
   * @default Duration.minutes(5)
   */
  readonly bakeTime?: Duration;
}

/**
 * Options for {@link Cutover.route53}: the record, and the checks before and after it moves.
 */
export interface Route53CutoverOptions extends CutoverCheckOptions {
  /** The public hosted zone the record is created in. */
  readonly zone: route53.IHostedZone;

  /**
   * The name of the record, relative to the zone (`www`) or fully qualified (`www.example.com`).
   *
   * @default - the zone apex
   */
  readonly recordName?: string;
}

/**
 * Options for {@link Cutover.cnameSwap}: what the swap checks before it moves the traffic, and
 * how long it watches the newly live environment's alarms afterwards ({@link CutoverCheckOptions}).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface CnameSwapOptions extends CutoverCheckOptions {}

/**
 * How a {@link BeanstalkEnvironmentPair} makes the `live` slot receive the traffic.
 */
export class Cutover {
  /**
   * Swap the CNAMEs of the two environments (`SwapEnvironmentCNAMEs`) so the `live` slot holds
   * the pair's live CNAME. A custom resource does it on deployment: it waits for both
   * environments to be Ready, swaps only when the live slot does not hold the live CNAME yet, and
   * is safe to repeat. Clients keep using one Elastic Beanstalk domain name (`liveUrl`). Before it
   * swaps it checks the environment becoming live (enhanced health `Ok`, an HTTP check), and after
   * it watches that environment's alarms for a bake time and swaps back if one fires (`options`).
   */
  public static cnameSwap(options: CnameSwapOptions = {}): Cutover {
    return new Cutover('cnameSwap', undefined, undefined, options);
  }

  /**
   * An alias A record in your hosted zone that points at the `live` slot's Elastic Beanstalk
   * domain name. Switching `live` changes the record (a DNS change, subject to resolvers' caches)
   * and nothing outside the template, so there is no drift. Needs the web server tier. Before the
   * record moves, custom resources check the environment becoming live (enhanced health `Ok`, an
   * HTTP check, no alarm in ALARM) and, after it, watch its alarms for a bake time and fail the
   * deployment if one fires, so that CloudFormation points the record back (`options`).
   */
  public static route53(options: Route53CutoverOptions): Cutover {
    const { zone, recordName, ...checks } = options;
    return new Cutover('route53', zone, recordName, checks);
  }

  /** `cnameSwap` or `route53`. */
  public readonly kind: string;

  /**
   * The hosted zone of a Route 53 cutover.
   *
   * @default - none (CNAME swap)
   */
  public readonly zone?: route53.IHostedZone;

  /**
   * The record name of a Route 53 cutover.
   *
   * @default - the zone apex
   */
  public readonly recordName?: string;

  /**
   * The checks and the bake of a CNAME swap.
   *
   * @default - none (Route 53)
   * @deprecated use `checkOptions`, which both cutovers have
   */
  public readonly cnameSwapOptions?: CnameSwapOptions;

  /** The checks before the cutover and the bake after it. */
  public readonly checkOptions: CutoverCheckOptions;

  private constructor(
    kind: string,
    zone: route53.IHostedZone | undefined,
    recordName: string | undefined,
    checkOptions: CutoverCheckOptions,
  ) {
    this.kind = kind;
    this.zone = zone;
    this.recordName = recordName;
    this.checkOptions = checkOptions;
    this.cnameSwapOptions = kind === 'cnameSwap' ? checkOptions : undefined;
  }
}

/**
 * How Elastic Beanstalk's managed platform updates may change the platform version.
 */
export enum PlatformUpdateLevel {
  /** Patch versions only (`x.y.Z`). */
  PATCH = 'patch',
  /** Minor and patch versions (`x.Y.Z`). */
  MINOR = 'minor',
}
