import { ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  CfnTemplate,
  DeployTimeChanges,
  describeChange,
  isLost,
  PropertyChange,
  ResourceChange,
  updateSafetyDiff,
  UpdateSafetyDiff,
} from './diff';

// Synthesis of before/after pairs and the assertions the update safety tests share.

export const ENV = { account: '111111111111', region: 'eu-west-1' };

/** Resources whose replacement loses data or an address clients know. */
export const STATEFUL_TYPES = ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::EC2::EIP'];

/** The SSM parameters of the latest Amazon Linux images (the default `machineImage` of the constructs). */
export const LATEST_AMAZON_LINUX = /^\/aws\/service\/ami-amazon-linux-latest\//;

/**
 * The template of a stack named `Stack` (in `ENV`) that `build` fills. The same stack name and
 * construct ids before and after, as in one app deployed twice. The configurations are the unit
 * tests' (which synthesize them with strict CloudFormation Validate and cdk-nag); here only the
 * templates are compared.
 */
export function synth(build: (stack: Stack) => void): CfnTemplate {
  return synthWith(build).template;
}

/** `synth`, also returning what `build` returned and the stack (to resolve logical ids). */
export function synthWith<T>(build: (stack: Stack) => T): { template: CfnTemplate; built: T; stack: Stack } {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const built = build(stack);
  return { template: Template.fromStack(stack).toJSON(), built, stack };
}

/** A deployment of `after` over `before`: the diff with the changes at deployment followed. */
export function deployment(before: CfnTemplate, after: CfnTemplate, deployTime?: DeployTimeChanges): UpdateSafetyDiff {
  return updateSafetyDiff(before, after, deployTime);
}

/**
 * Conditional replacements ("maybe" in the specification) that do not apply to the values at
 * hand, each with the reason. Anything else that may be replaced counts as replaced.
 */
const IN_PLACE_WHEN: { [type: string]: { [property: string]: (oldValue: unknown, newValue: unknown) => boolean } } = {
  'AWS::RDS::DBInstance': {
    // ModifyDBInstance applies a change from one non-zero retention to another asynchronously, in
    // place; only turning automated backups on or off (0 <-> n) interrupts the instance.
    BackupRetentionPeriod: (oldValue, newValue) => Number(oldValue) > 0 && Number(newValue) > 0,
  },
};

function inPlaceAfterAll(result: UpdateSafetyDiff, change: ResourceChange, property: PropertyChange): boolean {
  if (property.impact !== ResourceImpact.MAY_REPLACE || property.replacedBy !== undefined) return false;
  const rule = IN_PLACE_WHEN[change.type]?.[property.name];
  if (rule === undefined) return false;
  const update = result.diff.resources.get(change.logicalId).propertyUpdates[property.name];
  return rule(update.oldValue, update.newValue);
}

/**
 * Whether the resource loses its physical resource: replaced (or maybe replaced, unless the
 * condition is known not to apply), destroyed or orphaned.
 */
export function loses(result: UpdateSafetyDiff, change: ResourceChange): boolean {
  if (!isLost(change.impact)) return false;
  if (change.impact !== ResourceImpact.MAY_REPLACE) return true;
  return change.properties.some((p) => p.impact === ResourceImpact.MAY_REPLACE && !inPlaceAfterAll(result, change, p));
}

/** The resources matching `which` that the deployment replaces, destroys or orphans, one line each. */
export function lostResources(result: UpdateSafetyDiff, which: (change: ResourceChange) => boolean): string[] {
  return result.changes.filter((c) => which(c) && loses(result, c)).map(describeChange);
}

export const ofType =
  (...types: string[]) =>
  (change: ResourceChange): boolean =>
    types.includes(change.type);

export const withId =
  (...logicalIds: string[]) =>
  (change: ResourceChange): boolean =>
    logicalIds.includes(change.logicalId);

/** Fails, naming each one and why, when the deployment replaces, destroys or orphans a resource matching `which`. */
export function expectKept(result: UpdateSafetyDiff, what: string, which: (change: ResourceChange) => boolean): void {
  expect({ [`${what} replaced or destroyed`]: lostResources(result, which) }).toEqual({
    [`${what} replaced or destroyed`]: [],
  });
}

/** No database instance or cluster and no Elastic IP is replaced, destroyed or orphaned. */
export function expectStatefulKept(result: UpdateSafetyDiff): void {
  expectKept(result, 'databases and Elastic IPs', ofType(...STATEFUL_TYPES));
}

/** Fails when more than one of `logicalIds` is replaced or destroyed by the deployment. */
export function expectAtMostOneLost(result: UpdateSafetyDiff, what: string, logicalIds: string[]): void {
  const lost = lostResources(result, withId(...logicalIds));
  if (lost.length > 1) {
    throw new Error(
      `Expected at most one of ${what} to be replaced or destroyed by one deployment, but ${lost.length} are:\n` +
        lost.map((line) => `  - ${line}`).join('\n'),
    );
  }
}

/** The resource is reported as replaced (WILL_REPLACE). */
export function expectReplaced(result: UpdateSafetyDiff, logicalId: string): ResourceChange {
  const change = result.change(logicalId);
  expect({ [logicalId]: change ? describeChange(change) : 'no change' }).toEqual({
    [logicalId]: expect.stringContaining(`) ${ResourceImpact.WILL_REPLACE}`),
  });
  return change!;
}

/**
 * The resource is updated in place (WILL_UPDATE) and, when `cause` is given, one of its changed
 * properties changes because of it (a marker of the deployment-time propagation).
 */
export function expectUpdated(result: UpdateSafetyDiff, logicalId: string, cause?: RegExp): ResourceChange {
  const change = result.change(logicalId);
  const line = change ? describeChange(change) : 'no change';
  expect({ [logicalId]: line }).toEqual({ [logicalId]: expect.stringContaining(`) ${ResourceImpact.WILL_UPDATE}`) });
  if (cause) {
    expect({ [logicalId]: change!.properties.flatMap((p) => p.causes) }).toEqual({
      [logicalId]: expect.arrayContaining([expect.stringMatching(cause)]),
    });
  }
  return change!;
}

/** The logical ids of the resources of `type` in a template. */
export function idsOfType(template: CfnTemplate, type: string): string[] {
  return Object.entries<any>(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id)
    .sort();
}
