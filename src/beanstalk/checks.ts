import { Names, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResolvedEnvironmentOptions } from './environment-defaults';
import { EnvironmentTier } from './options';
import { PropsValidator } from '../common/validation';

/** The retention periods Elastic Beanstalk accepts for streamed logs (`RetentionInDays`). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653];

/** The shortest and longest `CNAMEPrefix` CreateEnvironment accepts (see {@link validateCnamePrefix}). */
const CNAME_PREFIX_MIN_LENGTH = 4;
const CNAME_PREFIX_MAX_LENGTH = 63;

/** A name of at most 40 characters derived from the construct path, unique in the app. */
export function defaultEnvironmentName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 40, separator: '-' }).replace(/^-+|-+$/g, '');
}

export function validateName(check: PropsValidator, prop: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$/.test(name)) {
    check.fail(prop, 'must be 4 to 40 letters, digits and hyphens, not starting or ending with a hyphen', name);
  }
}

/**
 * The prefix of an environment's domain name, `<prefix>.<region>.elasticbeanstalk.com`, checked
 * against the rules Elastic Beanstalk applies at deployment:
 *
 * - 4 to 63 characters: the Elastic Beanstalk API Reference, CreateEnvironment, `CNAMEPrefix`:
 *   "Length Constraints: Minimum length of 4. Maximum length of 63."
 *   (https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_CreateEnvironment.html).
 * - letters, digits and hyphens only, no hyphen first or last: the prefix is one DNS label of the
 *   environment's domain name. Amazon Route 53 Developer Guide, "DNS domain name format": "a domain
 *   name can contain only the characters a-z, 0-9, and - (hyphen). You can't specify a hyphen at
 *   the beginning or end of a label." (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html);
 *   DNS is case-insensitive, so upper-case letters are accepted as for `environmentName`.
 *
 * An unresolved token is skipped: it is only known at deploy time.
 */
export function validateCnamePrefix(check: PropsValidator, prop: string, prefix: string | undefined): void {
  if (prefix === undefined || Token.isUnresolved(prefix)) return;
  if (prefix.length < CNAME_PREFIX_MIN_LENGTH || prefix.length > CNAME_PREFIX_MAX_LENGTH) {
    check.fail(
      prop,
      `must be ${CNAME_PREFIX_MIN_LENGTH} to ${CNAME_PREFIX_MAX_LENGTH} characters long (it has ${prefix.length})`,
      prefix,
    );
  }
  if (!/^[A-Za-z0-9-]*$/.test(prefix)) {
    check.fail(
      prop,
      'must contain only letters, digits and hyphens (it is one DNS label of <prefix>.<region>.elasticbeanstalk.com)',
      prefix,
    );
  }
  if (prefix.startsWith('-') || prefix.endsWith('-')) {
    check.fail(prop, 'must not start or end with a hyphen (it is a DNS label)', prefix);
  }
}

/**
 * Checks the settings shared by an environment and a pair (their defaults applied), recording
 * every problem in `check`.
 */
export function validateEnvironmentOptions(check: PropsValidator, props: ResolvedEnvironmentOptions): void {
  const { preset, tier } = props;
  // The instances reach the database by security group, which only works inside one VPC (or
  // peered ones, which a new VPC never is): a database whose VPC is known must be in this one.
  const databaseVpc = props.database?.vpc;
  if (databaseVpc !== undefined) {
    if (props.vpc === undefined) {
      check.fail(
        'vpc',
        "must be the database's VPC when database is given (the instances reach it by security group, which cannot cross to the new VPC the environment would create): pass vpc: the VPC of the database",
        'no vpc (a new VPC would be created)',
      );
    } else if (props.vpc !== databaseVpc && props.vpc.vpcId !== databaseVpc.vpcId) {
      check.fail(
        'vpc',
        "must be the database's VPC (database.vpc): the instances reach the database by security group, which cannot cross unpeered VPCs; for peered VPCs open the port yourself through database.connections",
        `${props.vpc.node.path}, while the database runs in ${databaseVpc.node.path}`,
      );
    }
  }
  if (preset.loadBalanced) {
    // The user writes EnvironmentPreset.highAvailability({ minInstances, maxInstances }) as preset.
    check.integerInRange('preset.minInstances', preset.minInstances, 1, 10_000);
    check.integerInRange('preset.maxInstances', preset.maxInstances, 1, 10_000);
    check.ordered('preset.minInstances', preset.minInstances, 'preset.maxInstances', preset.maxInstances);
  }

  // A deployment policy's values are arguments of its factory: each problem names the call as the
  // user wrote it, then the argument, e.g. `DeploymentPolicy.rolling(BatchSize.percentage(percent)): percent`.
  const policy = props.deploymentPolicy;
  if (policy.batch) {
    const factory = `DeploymentPolicy.${policy.policy.charAt(0).toLowerCase()}${policy.policy.slice(1)}`;
    if (policy.batch.sizeType === 'Percentage') {
      check.integerInRange(`${factory}(BatchSize.percentage(percent)): percent`, policy.batch.value, 1, 100);
    } else {
      check.integerInRange(`${factory}(BatchSize.instances(count)): count`, policy.batch.value, 1, 10_000);
    }
  }
  if (policy.newVersionPercent !== undefined) {
    check.integerInRange('DeploymentPolicy.trafficSplitting(percent): percent', policy.newVersionPercent, 1, 100);
    const minutes = policy.evaluationTime;
    if (minutes !== undefined && !minutes.isUnresolved()) {
      const value = minutes.toSeconds() / 60;
      if (!Number.isInteger(value) || value < 3 || value > 600) {
        check.fail(
          'DeploymentPolicy.trafficSplitting(percent, evaluationTime): evaluationTime',
          'must be a whole number of minutes from 3 to 600',
          minutes.toHumanString(),
        );
      }
    }
    if (!preset.loadBalanced || tier !== EnvironmentTier.WEB_SERVER) {
      check.fail(
        'deploymentPolicy',
        'DeploymentPolicy.trafficSplitting() needs a load balancer: use it with EnvironmentPreset.highAvailability() and the web server tier',
        `${preset.loadBalanced ? 'highAvailability' : 'singleInstance'} preset, ${tier} tier`,
      );
    }
  }

  if (props.certificate !== undefined) {
    if (tier !== EnvironmentTier.WEB_SERVER) {
      check.fail(
        'certificate',
        'is only for the web server tier (a worker has no load balancer)',
        'a certificate with EnvironmentTier.WORKER',
      );
    } else if (!preset.loadBalanced) {
      check.fail(
        'certificate',
        'needs a load balancer to terminate HTTPS: use EnvironmentPreset.highAvailability()',
        'a certificate with EnvironmentPreset.singleInstance()',
      );
    }
  }

  const retention = props.logRetention;
  if (!Token.isUnresolved(retention) && !LOG_RETENTION_DAYS.includes(retention)) {
    check.fail('logRetention', `must be one of ${LOG_RETENTION_DAYS.join(', ')} days`, `${retention} days`);
  }
  const window = props.maintenanceWindowStart;
  if (!Token.isUnresolved(window) && !/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$/.test(window)) {
    check.fail(
      'maintenanceWindowStart',
      "must be 'Day:HH:MM' in UTC with Day one of Mon..Sun (e.g. 'Sun:03:00')",
      window,
    );
  }
  const path = props.healthCheckPath;
  if (!Token.isUnresolved(path) && !path.startsWith('/')) {
    check.fail('healthCheckPath', "must start with '/'", path);
  }
}
