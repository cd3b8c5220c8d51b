import { CustomResource, Duration, Fn, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BeanstalkApplication } from './application';
import { validateEnvironmentOptions, validateName } from './checks';
import { CnameSwapFunction } from './cname-swap-function';
import {
  CNAME_SWAP_RESOURCE_TYPE,
  CnameSwapProperties,
  CUTOVER_CHECK_RESOURCE_TYPE,
  CutoverCheckProperties,
  MAX_CNAME_SWAP_BAKE_MINUTES,
} from './contract';
import { BeanstalkEnvironment, validateAlarmSettings } from './environment';
import { ResolvedEnvironmentOptions, resolveEnvironmentOptions } from './environment-defaults';
import { BeanstalkEnvironmentOptions } from './environment-options';
import { Cutover, EnvironmentTier, Slot } from './options';
import { SourceBundle } from './source-bundle';
import { createBeanstalkVpc } from './vpc';
import { checkBeanstalkVpc } from './vpc-checks';
import { acknowledge } from '../common/acknowledge';
import { createHandlerFunction } from '../common/handler-function';
import { addDashboardSection } from '../common/monitoring';
import { createEncryptedTopic } from '../common/notification-topic';
import { PropsValidator } from '../common/validation';
import { MAX_STOP_CONDITIONS, validateResilienceOptions } from '../resilience/experiment-spec';
import { measuredRecoveryRows, ResilienceExperiments } from '../resilience/experiments';
import { groupExperiments } from '../resilience/faults';
import { ResilienceExperimentOptions } from '../resilience/options';

/**
 * One slot (blue or green) of a {@link BeanstalkEnvironmentPair}.
 */
export interface EnvironmentSlotOptions {
  /**
   * The code this slot runs. Deploy a new version to the idle slot, check it, then make it `live`.
   *
   * @default - none: Elastic Beanstalk's sample application (not allowed for the live slot)
   */
  readonly sourceBundle?: SourceBundle;

  /**
   * The environment's name (4 to 40 letters, digits and hyphens). Changing it replaces the
   * environment.
   *
   * @default - derived from the construct path
   */
  readonly environmentName?: string;

  /**
   * Environment variables of this slot only, added to (and overriding) the pair's
   * `environmentVariables`.
   *
   * @default - none
   */
  readonly environmentVariables?: { [name: string]: string };
}

/**
 * Properties for a {@link BeanstalkEnvironmentPair}. The shared settings (platform, preset,
 * deployment policy, VPC, database...) apply to both environments. A pair is of the web server
 * tier: neither cutover means anything for workers (no CNAME, no HTTP traffic), so
 * `EnvironmentTier.WORKER` is refused; run a worker as one {@link BeanstalkEnvironment}.
 */
export interface BeanstalkEnvironmentPairProps extends BeanstalkEnvironmentOptions {
  /**
   * The application the two environments belong to.
   *
   * @default - a new `BeanstalkApplication` with a version lifecycle and a service role
   */
  readonly application?: BeanstalkApplication;

  /** The blue environment. */
  readonly blue: EnvironmentSlotOptions;

  /** The green environment. */
  readonly green: EnvironmentSlotOptions;

  /** The slot that receives the traffic. It must have a `sourceBundle`. */
  readonly live: Slot;

  /**
   * How the live slot receives the traffic.
   *
   * @default Cutover.cnameSwap()
   */
  readonly cutover?: Cutover;
}

/** {@link BeanstalkEnvironmentPairProps} with every default applied. */
interface ResolvedBeanstalkEnvironmentPairProps extends ResolvedEnvironmentOptions {
  readonly application?: BeanstalkApplication;
  readonly blue: EnvironmentSlotOptions;
  readonly green: EnvironmentSlotOptions;
  readonly live: Slot;
  readonly cutover: Cutover;
  readonly alarms: boolean;
}

function resolveBeanstalkEnvironmentPairProps(
  props: BeanstalkEnvironmentPairProps,
): ResolvedBeanstalkEnvironmentPairProps {
  return {
    ...props,
    ...resolveEnvironmentOptions(props),
    cutover: props.cutover ?? Cutover.cnameSwap(),
    alarms: props.alarms ?? true,
  };
}

/**
 * Throws one error naming every problem with the props, the VPC's included. `region` is the
 * stack's, which a Route 53 cutover needs to know.
 */
function validateBeanstalkEnvironmentPairProps(props: ResolvedBeanstalkEnvironmentPairProps, region: string): void {
  const check = new PropsValidator('BeanstalkEnvironmentPair');
  validateEnvironmentOptions(check, props);
  const { tier, cutover } = props;
  const liveSlot = props.live === Slot.GREEN ? props.green : props.blue;
  const liveName = props.live === Slot.GREEN ? 'green' : 'blue';
  if (liveSlot.sourceBundle === undefined) {
    check.fail(
      'live',
      `must name a slot with a sourceBundle (the live slot serves your application): give ${liveName}.sourceBundle or make the other slot live`,
      `Slot.${liveName.toUpperCase()} with no ${liveName}.sourceBundle`,
    );
  }
  const cutoverCall = cutover.kind === 'route53' ? 'Cutover.route53()' : 'Cutover.cnameSwap()';
  if (tier !== EnvironmentTier.WEB_SERVER) {
    // Neither cutover means anything for workers: a worker environment has no CNAME to swap and
    // serves no HTTP traffic for an alias to point at; both slots would consume their own queues.
    check.fail(
      'tier',
      `must be EnvironmentTier.WEB_SERVER for the cutover ${cutoverCall}: a worker environment has no CNAME to swap and serves no HTTP traffic for an alias; run a worker as one BeanstalkEnvironment`,
      `EnvironmentTier.WORKER with ${cutoverCall}`,
    );
  }
  validateAlarmSettings(check, props.alarms, tier, props.alarmSettings);
  const checks = cutover.checkOptions;
  const checkCall = cutover.kind === 'route53' ? 'Cutover.route53' : 'Cutover.cnameSwap';
  const after = cutover.kind === 'route53' ? 'after the record moves' : 'after the swap';
  if (checks.rollbackOnAlarms === true && !props.alarms) {
    check.fail(
      `cutover (${checkCall} rollbackOnAlarms)`,
      `needs the environments' alarms to watch ${after}: turn alarms on or leave rollbackOnAlarms unset`,
      'rollbackOnAlarms true with alarms false',
    );
  }
  if (checks.bakeTime !== undefined) {
    if (checks.rollbackOnAlarms === false) {
      check.fail(
        `cutover (${checkCall} bakeTime)`,
        `is how long the alarms are watched ${after}, which rollbackOnAlarms false turns off: remove one of them`,
        'bakeTime with rollbackOnAlarms false',
      );
    }
    check.secondsInRange(`cutover (${checkCall} bakeTime)`, checks.bakeTime, 60, MAX_CNAME_SWAP_BAKE_MINUTES * 60);
  }
  if (checks.httpCheck === false && checks.healthCheckPath !== undefined) {
    check.fail(
      `cutover (${checkCall} healthCheckPath)`,
      'is the path of the HTTP check, which httpCheck false turns off: remove one of them',
      checks.healthCheckPath,
    );
  }
  const path = checks.healthCheckPath;
  if (path !== undefined && !Token.isUnresolved(path) && !/^\/[^\s]*$/.test(path)) {
    check.fail(`cutover (${checkCall} healthCheckPath)`, 'must start with / and contain no spaces', path);
  }
  if (cutover.kind === 'route53') {
    if (Token.isUnresolved(region)) {
      check.fail(
        'env.region of the stack',
        "must be a concrete region for Cutover.route53() (the alias names Elastic Beanstalk's hosted zone of the region)",
        'an environment-agnostic stack',
      );
    }
  }
  for (const [slot, options] of [
    ['blue', props.blue],
    ['green', props.green],
  ] as const) {
    if (options.environmentName !== undefined) validateName(check, `${slot}.environmentName`, options.environmentName);
  }
  if (
    props.blue.environmentName !== undefined &&
    props.blue.environmentName === props.green.environmentName &&
    !Token.isUnresolved(props.blue.environmentName)
  ) {
    check.fail('green.environmentName', 'must differ from blue.environmentName', props.green.environmentName);
  }
  // A VPC the pair creates is built to hold the environments; only a given one is checked.
  if (props.vpc) checkBeanstalkVpc(check, props.vpc, props.preset, tier);
  check.throwIfInvalid();
}

/**
 * Blue/green Elastic Beanstalk: an application with two identical environments (blue and green)
 * and a cutover that makes the `live` one receive the traffic.
 *
 * Deploy a new version to the idle slot, check it at its own URL, then switch `live`: with
 * `Cutover.cnameSwap()` (the default) a custom resource swaps the environments' CNAMEs so the live
 * CNAME (`liveUrl`) moves to the new slot; with `Cutover.route53()` an alias record in your zone
 * follows the live slot. Switch back the same way to roll back.
 *
 * @example
 * declare const zone: route53.IHostedZone;
 * declare const certificate: acm.ICertificate;
 * const shop = new patterns.BeanstalkEnvironmentPair(this, 'Shop', {
 *   platform: patterns.BeanstalkPlatform.latest('Node.js 22 running on 64bit Amazon Linux 2023'),
 *   preset: patterns.EnvironmentPreset.highAvailability({ minInstances: 2, maxInstances: 6 }),
 *   deploymentPolicy: patterns.DeploymentPolicy.rollingWithAdditionalBatch(patterns.BatchSize.percentage(50)),
 *   certificate,
 *   blue: { sourceBundle: patterns.SourceBundle.fromAsset('app-v1') },
 *   green: { sourceBundle: patterns.SourceBundle.fromAsset('app-v2') },
 *   live: patterns.Slot.BLUE,
 *   cutover: patterns.Cutover.route53({ zone, recordName: 'shop' }),
 * });
 * new CfnOutput(this, 'LiveUrl', { value: shop.liveUrl });
 */
export class BeanstalkEnvironmentPair extends Construct implements ec2.IConnectable {
  /** The application of the two environments. */
  public readonly application: BeanstalkApplication;

  /** The blue environment. */
  public readonly blue: BeanstalkEnvironment;

  /** The green environment. */
  public readonly green: BeanstalkEnvironment;

  /** The environment of the `live` slot. */
  public readonly liveEnvironment: BeanstalkEnvironment;

  /** The other environment. */
  public readonly idleEnvironment: BeanstalkEnvironment;

  /**
   * The URL clients use: the live CNAME (CNAME swap) or the Route 53 record (Route 53), with
   * `https://` when a certificate is given. With a certificate and the CNAME swap, point a domain
   * name the certificate covers at the live CNAME (a DNS CNAME record) and give clients that name.
   */
  public readonly liveUrl: string;

  /** The VPC both environments run in. */
  public readonly vpc: ec2.IVpc;

  /**
   * The custom resource that swaps CNAMEs.
   *
   * @default - none: Route 53 cutover
   */
  public readonly cnameSwap?: CustomResource;

  /**
   * The alias record that follows the live slot.
   *
   * @default - none: CNAME swap cutover
   */
  public readonly record?: route53.ARecord;

  /** Both environments' instances (their security groups, default port 80). */
  public readonly connections: ec2.Connections;

  /** Where both environments' alarms send their notifications. */
  public readonly notificationTopic: sns.ITopic;

  /** Both environments' alarms, the blue environment's first. */
  public readonly alarms: cloudwatch.IAlarm[];

  private readonly liveSlot: Slot;
  private readonly experimentFacts: {
    readonly loadBalanced: boolean;
    readonly healthCheckPath: string;
    readonly liveHost: string;
  };

  constructor(scope: Construct, id: string, props: BeanstalkEnvironmentPairProps) {
    super(scope, id);

    const resolved = resolveBeanstalkEnvironmentPairProps(props);
    validateBeanstalkEnvironmentPairProps(resolved, Stack.of(this).region);
    const { cutover } = resolved;

    this.application = resolved.application ?? new BeanstalkApplication(this, 'Application');
    this.vpc = resolved.vpc ?? createBeanstalkVpc(this, 'Vpc', resolved.preset.loadBalanced);
    this.notificationTopic =
      resolved.notificationTopic ??
      createEncryptedTopic(this, 'NotificationTopic', { purpose: 'Elastic Beanstalk pair alarms' });
    this.liveSlot = resolved.live;

    const route53Cutover = cutover.kind === 'route53';
    const makeSlot = (slot: Slot, options: EnvironmentSlotOptions): BeanstalkEnvironment => {
      const scopeId = slot === Slot.BLUE ? 'Blue' : 'Green';
      return new BeanstalkEnvironment(this, scopeId, {
        ...resolved,
        vpc: this.vpc,
        notificationTopic: this.notificationTopic,
        application: this.application,
        sourceBundle: options.sourceBundle,
        environmentName: options.environmentName,
        environmentVariables: { ...resolved.environmentVariables, ...options.environmentVariables },
        // With Route 53 the CNAMEs never move, so each environment gets a fixed, account-unique prefix the record can name.
        cnamePrefix: route53Cutover ? this.cnamePrefixFor(scopeId) : undefined,
      });
    };
    this.blue = makeSlot(Slot.BLUE, resolved.blue);
    this.green = makeSlot(Slot.GREEN, resolved.green);
    this.liveEnvironment = resolved.live === Slot.GREEN ? this.green : this.blue;
    this.idleEnvironment = resolved.live === Slot.GREEN ? this.blue : this.green;
    this.connections = new ec2.Connections({
      securityGroups: [this.blue.securityGroup, this.green.securityGroup],
      defaultPort: ec2.Port.tcp(80),
    });
    this.alarms = [...this.blue.alarms, ...this.green.alarms];

    const scheme = this.blue.https ? 'https' : 'http';
    if (route53Cutover) {
      const liveCname = this.liveEnvironment.cfnEnvironment.cnamePrefix!;
      const region = Stack.of(this).region;
      this.record = new route53.ARecord(this, 'LiveRecord', {
        zone: cutover.zone!,
        recordName: cutover.recordName,
        comment: `Live slot of ${this.node.path}`,
        target: route53.RecordTarget.fromAlias(
          new targets.ElasticBeanstalkEnvironmentEndpointTarget(`${liveCname}.${region}.elasticbeanstalk.com`),
        ),
      });
      this.createRoute53Checks(resolved, scheme, this.record);
      this.liveUrl = `${scheme}://${fullyQualified(cutover.recordName, cutover.zone!.zoneName)}`;
    } else {
      this.cnameSwap = this.createCnameSwap(resolved, scheme);
      this.liveUrl = `${scheme}://${this.cnameSwap.getAttString('LiveCname')}`;
    }
    this.experimentFacts = {
      loadBalanced: resolved.preset.loadBalanced,
      healthCheckPath: resolved.healthCheckPath,
      liveHost: this.cnameSwap
        ? this.cnameSwap.getAttString('LiveCname')
        : fullyQualified(cutover.recordName, cutover.zone!.zoneName),
    };
  }

  /**
   * Adds fault-injection experiments (AWS FIS) on the live slot, and a verifier that measures the
   * recovery at `liveUrl`. Nothing runs on deployment; after you switch `live`, the next
   * deployment points the experiments at the new live slot.
   *
   * - `TerminateInstance`: terminates one instance of the live environment; its load balancer
   *   stops sending it traffic and its Auto Scaling group replaces it. Budget: 30 s with the
   *   high-availability preset, 5 minutes with a single instance (the outage of a replacement).
   * - `ZoneLost1`, `ZoneLost2`... (high-availability preset): one per Availability Zone of the
   *   pair's VPC: stops the live environment's instances in that zone and cuts the zone's subnets
   *   off (a network ACL that denies all traffic) for `faultDuration`. Budget: 30 s.
   *
   * Targets are the live environment's instances (by the tag `elasticbeanstalk:environment-name`
   * that Elastic Beanstalk puts on them) and the zone's subnets; the role may act on nothing else.
   * The live environment's alarms are the stop conditions. The verifier requests
   * `healthCheckPath` at `liveUrl` every 5 seconds.
   *
   * @param options the fault's duration, more stop conditions, the budget, and whether to verify
   */
  public addResilienceExperiments(options: ResilienceExperimentOptions = {}): ResilienceExperiments {
    if (this.node.tryFindChild('ResilienceExperiments')) {
      throw new Error(`addResilienceExperiments() was already called on ${this.node.path}: call it once`);
    }
    const live = this.liveEnvironment;
    const stops = live.alarms.slice(0, MAX_STOP_CONDITIONS);
    validateResilienceOptions(options, 'BeanstalkEnvironmentPair', stops.length);
    const facts = this.experimentFacts;
    const zones = this.vpc.availabilityZones.map((zone) => ({
      zone,
      subnets: [...this.vpc.publicSubnets, ...this.vpc.privateSubnets].filter((s) => s.availabilityZone === zone),
    }));
    const group = groupExperiments({
      stack: Stack.of(this),
      path: `${this.node.path} (live: ${live.environmentName})`,
      tags: { 'elasticbeanstalk:environment-name': live.environmentName },
      zones,
      vpc: this.vpc,
      faultDuration: options.faultDuration ?? Duration.minutes(5),
      what: "the live environment's instances",
      cpuStress: false,
    });
    const budget = facts.loadBalanced ? Duration.seconds(30) : Duration.minutes(5);
    return ResilienceExperiments._create(
      this,
      {
        constructName: 'BeanstalkEnvironmentPair',
        experiments: [
          { name: 'TerminateInstance', ...group.terminate, stopConditions: stops, budget },
          ...(facts.loadBalanced ? group.zonesLost.map((z) => ({ ...z, stopConditions: stops, budget })) : []),
        ],
        permissions: (role) => group.statements.forEach((st) => role.addToPrincipalPolicy(st)),
        acknowledgements: group.acknowledgements,
        notificationTopic: this.notificationTopic,
        probe: {
          protocol: this.blue.https ? 'https' : 'http',
          host: facts.liveHost,
          port: this.blue.https ? 443 : 80,
          path: facts.healthCheckPath,
          what: "the pair's live URL",
        },
      },
      options,
    );
  }

  /**
   * `<pair>-<slot>-<account id>`, lower case: unique in the region, fixed in the template. It always
   * satisfies the `cnamePrefix` rule (validateCnamePrefix), whatever the construct ids: `<pair>` is
   * at most 32 characters, the letters and digits of the construct path's ids (any other character
   * is dropped) joined by hyphens, starting with one of them and ending with an 8-character hash;
   * so the whole is at most 32 + 1 + 5 (`green`) + 1 + 12 (the account id) = 51 of the 63
   * characters allowed, and at least 4.
   */
  private cnamePrefixFor(scopeId: string): string {
    const pair = Names.uniqueResourceName(this, { maxLength: 32, separator: '-' }).toLowerCase();
    return Fn.join('-', [pair, scopeId.toLowerCase(), Stack.of(this).account]);
  }

  /**
   * Adds both environments' sections to a dashboard, the live one first, each titled with its
   * slot (`<pair> blue (live)`, `<pair> green (idle)`), then, when `addResilienceExperiments()`
   * was called before, the recovery times its verifier measured (`MeasuredRecoveryTime` per
   * experiment, with a line at each budget).
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    const name = (slot: Slot) => (slot === Slot.GREEN ? 'green' : 'blue');
    const idleSlot = this.liveSlot === Slot.GREEN ? Slot.BLUE : Slot.GREEN;
    this.liveEnvironment._addToDashboard(dashboard, `${this.node.path} ${name(this.liveSlot)} (live)`);
    this.idleEnvironment._addToDashboard(dashboard, `${this.node.path} ${name(idleSlot)} (idle)`);
    const measured = measuredRecoveryRows(this);
    if (measured.length > 0) {
      addDashboardSection(dashboard, `${this.node.path} resilience experiments`, [], measured);
    }
  }

  /**
   * The function behind both cutovers' custom resources: it may describe the environments and
   * their health, the alarms it watches and this stack (to tell a rollback), and, for a CNAME
   * swap, swap the CNAMEs of these two environments.
   */
  private createCutoverFunction(
    id: 'CnameSwapFunction' | 'CutoverCheckFunction',
    description: string,
    alarms: cloudwatch.IAlarm[],
    swap: boolean,
  ): lambda.IFunction {
    const stack = Stack.of(this);
    const environmentArn = (env: BeanstalkEnvironment) =>
      stack.formatArn({
        service: 'elasticbeanstalk',
        resource: 'environment',
        resourceName: `${this.application.applicationName}/${env.environmentName}`,
      });
    const { fn, role } = createHandlerFunction(this, CnameSwapFunction, {
      name: id,
      functionId: id,
      calls: `the Elastic Beanstalk API (DescribeEnvironments, DescribeEnvironmentHealth${swap ? ', SwapEnvironmentCNAMEs' : ''}), the CloudWatch API (DescribeAlarms), the CloudFormation API (DescribeStacks of this stack), the environment becoming live at its public Elastic Beanstalk domain name (the HTTP check) and the pre-signed Amazon S3 URL CloudFormation gives for a custom resource's response`,
      description,
      roleDescription: `${description}: writes its own logs and nothing beyond its own policy`,
      timeout: Duration.minutes(15),
      // One cutover at a time; CloudFormation invokes it asynchronously, so an event it could not
      // handle (a crash before it answered) is retried twice and then kept in a queue.
      reservedConcurrentExecutions: 1,
      deadLetterQueue: true,
      permissions: (r) => {
        r.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'DescribeEnvironments',
            actions: ['elasticbeanstalk:DescribeEnvironments', 'elasticbeanstalk:DescribeEnvironmentHealth'],
            resources: ['*'],
          }),
        );
        const alarmArns = alarms.map((a) => a.alarmArn);
        if (alarmArns.length > 0) {
          // DescribeAlarms of metric alarms may be scoped to their ARNs (only composite alarms need *).
          r.addToPrincipalPolicy(
            new iam.PolicyStatement({
              sid: 'DescribeTheseAlarms',
              actions: ['cloudwatch:DescribeAlarms'],
              resources: alarmArns,
            }),
          );
        }
        // Whether the stack is rolling back: a rollback puts the previous live slot back unchecked.
        r.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'DescribeThisStack',
            actions: ['cloudformation:DescribeStacks'],
            resources: [stack.stackId],
          }),
        );
        if (swap) {
          r.addToPrincipalPolicy(
            new iam.PolicyStatement({
              sid: 'SwapTheseEnvironments',
              actions: ['elasticbeanstalk:SwapEnvironmentCNAMEs'],
              resources: [environmentArn(this.blue), environmentArn(this.green)],
            }),
          );
        }
      },
    });
    acknowledge(role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: swap
        ? 'elasticbeanstalk:DescribeEnvironments and DescribeEnvironmentHealth (read only) are granted on * because their authorization covers the environments named in the request; the only write action, SwapEnvironmentCNAMEs, is limited to these two environments.'
        : 'elasticbeanstalk:DescribeEnvironments and DescribeEnvironmentHealth (read only) are granted on * because their authorization covers the environments named in the request; this function has no write action.',
    });
    return fn;
  }

  private createCnameSwap(resolved: ResolvedBeanstalkEnvironmentPairProps, scheme: string): CustomResource {
    const description = `Makes the live slot of ${this.node.path} hold the live CNAME`;
    const options = resolved.cutover.checkOptions;
    const rollback = options.rollbackOnAlarms ?? resolved.alarms;
    const alarms = rollback ? [...this.blue.alarms, ...this.green.alarms] : [];
    const liveAlarms = rollback ? this.liveEnvironment.alarms.map((a) => a.alarmName) : [];
    const fn = this.createCutoverFunction('CnameSwapFunction', description, alarms, true);
    const swap = new CustomResource(this, 'CnameSwap', {
      serviceToken: fn.functionArn,
      resourceType: CNAME_SWAP_RESOURCE_TYPE,
      properties: {
        ApplicationName: this.application.applicationName,
        LiveEnvironmentName: this.liveEnvironment.environmentName,
        IdleEnvironmentName: this.idleEnvironment.environmentName,
        RequireHealthOk: String(options.requireHealthOk ?? true),
        HttpCheck:
          options.httpCheck === false
            ? undefined
            : { Scheme: scheme, Path: options.healthCheckPath ?? resolved.healthCheckPath },
        LiveAlarmNames: liveAlarms.length > 0 ? liveAlarms : undefined,
        BakeSeconds: liveAlarms.length > 0 ? String((options.bakeTime ?? Duration.minutes(5)).toSeconds()) : undefined,
      } satisfies CnameSwapProperties,
    });
    // The environment names are literals, so the dependency on both environments is explicit.
    swap.node.addDependency(this.blue.cfnEnvironment, this.green.cfnEnvironment);
    return swap;
  }

  /**
   * The checks of a Route 53 cutover: `CutoverCheck` (the record depends on it) checks the
   * environment becoming live before the record moves, `CutoverBake` (it depends on the record)
   * watches that environment's alarms for the bake time after, and fails the deployment if one
   * fires, so CloudFormation points the record back. Each acts only on a deployment that changes
   * `live`. Neither exists when every step is turned off.
   */
  private createRoute53Checks(
    resolved: ResolvedBeanstalkEnvironmentPairProps,
    scheme: string,
    record: route53.ARecord,
  ): void {
    const options = resolved.cutover.checkOptions;
    const rollback = options.rollbackOnAlarms ?? resolved.alarms;
    const watched = rollback ? [...this.blue.alarms, ...this.green.alarms] : [];
    const liveAlarms = rollback ? this.liveEnvironment.alarms.map((a) => a.alarmName) : [];
    const requireHealthOk = options.requireHealthOk ?? true;
    const httpCheck = options.httpCheck !== false;
    if (!requireHealthOk && !httpCheck && liveAlarms.length === 0) return;

    const fn = this.createCutoverFunction(
      'CutoverCheckFunction',
      `Checks the slot of ${this.node.path} becoming live before its record moves, and watches its alarms after`,
      watched,
      false,
    );
    const common = {
      ApplicationName: this.application.applicationName,
      LiveEnvironmentName: this.liveEnvironment.environmentName,
      LiveAlarmNames: liveAlarms.length > 0 ? liveAlarms : undefined,
    };
    const before = new CustomResource(this, 'CutoverCheck', {
      serviceToken: fn.functionArn,
      resourceType: CUTOVER_CHECK_RESOURCE_TYPE,
      properties: {
        ...common,
        Phase: 'before',
        RequireHealthOk: String(requireHealthOk),
        HttpCheck: httpCheck
          ? { Scheme: scheme, Path: options.healthCheckPath ?? resolved.healthCheckPath }
          : undefined,
      } satisfies CutoverCheckProperties,
    });
    // It checks the environments as this deployment leaves them, and the record waits for it.
    before.node.addDependency(this.blue.cfnEnvironment, this.green.cfnEnvironment);
    record.node.addDependency(before);
    if (liveAlarms.length > 0) {
      const bake = new CustomResource(this, 'CutoverBake', {
        serviceToken: fn.functionArn,
        resourceType: CUTOVER_CHECK_RESOURCE_TYPE,
        properties: {
          ...common,
          Phase: 'after',
          BakeSeconds: String((options.bakeTime ?? Duration.minutes(5)).toSeconds()),
        } satisfies CutoverCheckProperties,
      });
      bake.node.addDependency(record);
    }
  }
}

/** The record's domain name: relative names are completed with the zone's name, as Route 53 does. */
function fullyQualified(recordName: string | undefined, zoneName: string): string {
  if (recordName === undefined || recordName === '') return zoneName;
  const name = recordName.replace(/\.$/, '');
  if (Token.isUnresolved(name) || Token.isUnresolved(zoneName)) return `${name}.${zoneName}`;
  return name === zoneName || name.endsWith(`.${zoneName}`) ? name : `${name}.${zoneName}`;
}
