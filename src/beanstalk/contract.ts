// Internal: what the Elastic Beanstalk constructs and their custom resource handlers agree on:
// the resource types, their properties and their attributes. Imports nothing, so both sides
// (aws-cdk-lib code and the bundled handlers) can import it. Not exported from the package.

// ---------------------------------------------------------------------------------------------
// Cutover.cnameSwap(): the CNAME swap of a BeanstalkEnvironmentPair

/** The CloudFormation resource type of the CNAME swap (served by the cname-swap function). */
export const CNAME_SWAP_RESOURCE_TYPE = 'Custom::BeanstalkCnameSwap';

/** The properties of the CNAME swap resource. */
export interface CnameSwapProperties {
  readonly ApplicationName: string;
  /** The environment that must hold the live CNAME. */
  readonly LiveEnvironmentName: string;
  /** The other environment of the pair. */
  readonly IdleEnvironmentName: string;
  /** Seconds between two polls of the environments (default 15). */
  readonly PollIntervalSeconds?: string;
  /**
   * `"true"`: swap only when enhanced health rates the environment becoming live `Ok`. Absent or
   * any other value: no health check.
   */
  readonly RequireHealthOk?: string;
  /**
   * The HTTP check of the environment becoming live: `Scheme` (`http` or `https`) and `Path`
   * (starting with `/`), requested at the environment's own CNAME. Absent: no HTTP check.
   */
  readonly HttpCheck?: { readonly Scheme: string; readonly Path: string };
  /** The alarms of the live environment the bake watches after a swap. Absent or empty: no bake. */
  readonly LiveAlarmNames?: string[];
  /** How long to watch the newly live environment's alarms after a swap, in seconds. */
  readonly BakeSeconds?: string;
}

/** The longest bake time of a CNAME swap, in minutes (`CnameSwapOptions.bakeTime`). */
export const MAX_CNAME_SWAP_BAKE_MINUTES = 8;

/** The attributes of the CNAME swap resource (`getAttString`). */
export interface CnameSwapAttributes {
  /** The pair's live CNAME, fixed when the resource is created; also its physical id. */
  readonly LiveCname: string;
  /** The CNAME the idle environment has. */
  readonly IdleCname: string;
  /** `"true"` when this request swapped the CNAMEs, `"false"` when they were already in place. */
  readonly Swapped: string;
}

/** The default of `PollIntervalSeconds`. */
export const DEFAULT_CNAME_SWAP_POLL_INTERVAL_SECONDS = 15;

// ---------------------------------------------------------------------------------------------
// Cutover.route53(): the checks before the record moves and the bake after (served by the
// cname-swap function too, which tells the two resource types apart)

/** The CloudFormation resource type of a Route 53 cutover's check and bake. */
export const CUTOVER_CHECK_RESOURCE_TYPE = 'Custom::BeanstalkCutoverCheck';

/** Which side of the record change a check resource is on. */
export type CutoverCheckPhase = 'before' | 'after';

/**
 * The properties of a cutover check resource. It acts only on an Update that changes
 * `LiveEnvironmentName` (a cutover), and not while the stack rolls back.
 */
export interface CutoverCheckProperties {
  readonly ApplicationName: string;
  /** The environment the record points at once this deployment is done. */
  readonly LiveEnvironmentName: string;
  /**
   * `before`: the record depends on this resource; it checks the environment becoming live
   * (RequireHealthOk, HttpCheck, none of LiveAlarmNames in ALARM). `after`: it depends on the
   * record; it watches LiveAlarmNames for BakeSeconds and fails if one goes to ALARM, so
   * CloudFormation rolls the record back.
   */
  readonly Phase: CutoverCheckPhase;
  /** Seconds between two polls (default 15). */
  readonly PollIntervalSeconds?: string;
  /** As for the CNAME swap (`before` only). */
  readonly RequireHealthOk?: string;
  /** As for the CNAME swap (`before` only): requested at the environment's own CNAME. */
  readonly HttpCheck?: { readonly Scheme: string; readonly Path: string };
  /** The alarms of the environment becoming live. */
  readonly LiveAlarmNames?: string[];
  /** How long the `after` phase watches LiveAlarmNames, in seconds. */
  readonly BakeSeconds?: string;
}

// ---------------------------------------------------------------------------------------------
// BeanstalkPlatform.latest(): the platform lookup

/** The CloudFormation resource type of the platform lookup (served by the platform-lookup function). */
export const PLATFORM_LOOKUP_RESOURCE_TYPE = 'Custom::BeanstalkPlatform';

/** The properties of the platform lookup resource the handler reads. */
export interface PlatformLookupProperties {
  /** The platform branch, e.g. `Node.js 22 running on 64bit Amazon Linux 2023`. */
  readonly BranchName: string;
  /** `WebServer/Standard` or `Worker/SQS/HTTP`; any tier when absent or empty. */
  readonly SupportedTier?: string;
  /**
   * Not read by the handler: the properties whose change replaces the environment, so that a
   * replaced environment gets a lookup of its own.
   */
  readonly Environment?: unknown;
}

/** The attributes of the platform lookup resource (`getAttString`). */
export interface PlatformLookupAttributes {
  /** The ARN of the newest recommended platform version of the branch; also the physical id. */
  readonly PlatformArn: string;
  readonly PlatformVersion: string;
}
