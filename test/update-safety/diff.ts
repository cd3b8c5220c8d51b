import { createRequire } from 'module';
import {
  deepEqual,
  fullDiff,
  PropertyDifference,
  ResourceDifference,
  ResourceImpact,
} from '@aws-cdk/cloudformation-diff';
import type { TemplateDiff } from '@aws-cdk/cloudformation-diff';

// What a deployment of `after` over `before` replaces, with the changes the template text does not
// show: `fullDiff` (the engine of `cdk diff`) classifies each changed property from the CloudFormation
// resource specification, but a property that reads an attribute of another resource
// (`Fn::GetAtt: [LaunchTemplate, LatestVersionNumber]`) or an SSM parameter reads the same before and
// after, although its value changes at deployment. `updateSafetyDiff` rewrites such references in
// the "after" template to a distinct marker and diffs again, until nothing new changes.

/** A CloudFormation template as synthesized (JSON). */
export type CfnTemplate = { [section: string]: any };

/** Values that change at deployment although the template does not. */
export interface DeployTimeChanges {
  /**
   * SSM parameters whose value changes before the deployment (AWS publishes a new AMI, for
   * example), by parameter name: template parameters of type `AWS::SSM::Parameter::Value<…>` (the
   * name is their `Default`) and `{{resolve:ssm:name}}` dynamic references. Every property that
   * refers to one of them counts as changed.
   */
  readonly ssmParameters?: Array<string | RegExp>;
}

/** One top-level property (or other resource attribute) that changes. */
export interface PropertyChange {
  /** The property name; `UpdatePolicy`, `DependsOn`... for resource attributes other than properties. */
  readonly name: string;
  readonly impact: ResourceImpact;
  /** Where inside the property the specification says the replacement comes from, e.g. `Tier.Name`. */
  readonly replacedBy?: string;
  /** Why the value changes although the template text may not: the markers found in the new value. */
  readonly causes: string[];
}

/** One resource that the deployment adds, changes, replaces or removes. */
export interface ResourceChange {
  readonly logicalId: string;
  readonly type: string;
  readonly impact: ResourceImpact;
  readonly properties: PropertyChange[];
}

export interface UpdateSafetyDiff {
  /** The final diff of `before` against the rewritten `after`, nested replacements included. */
  readonly diff: TemplateDiff;
  /** Every resource that differs. */
  readonly changes: ResourceChange[];
  /** The "after" template as diffed: the markers in place of the references that change at deployment. */
  readonly effectiveTemplate: CfnTemplate;
  /** How many times the templates were diffed. */
  readonly rounds: number;
  /** The change of one resource, or `undefined` when it does not differ. */
  change(logicalId: string): ResourceChange | undefined;
}

/**
 * The attributes (`Fn::GetAtt`, and `Ref` where listed) whose value changes when the resource is
 * updated in place, not only when it is replaced (a replaced resource changes every attribute and
 * its `Ref`). `'*'`: every attribute.
 */
export const ATTRIBUTES_CHANGED_BY_UPDATE: { [resourceType: string]: string[] | '*' } = {
  // Every update of the launch template data makes a new version, and CloudFormation makes it the default.
  'AWS::EC2::LaunchTemplate': ['LatestVersionNumber', 'DefaultVersionNumber'],
  // An in-place update that stops and starts the instance (instance type, user data) gives it a new
  // public address, unless it holds an Elastic IP.
  'AWS::EC2::Instance': ['PublicIp', 'PublicDnsName'],
  'AWS::SSM::Parameter': ['Value', 'Type'],
  'AWS::StepFunctions::StateMachine': ['StateMachineRevisionId'],
  // A new environment type or load balancer gives the environment a new endpoint.
  'AWS::ElasticBeanstalk::Environment': ['EndpointURL'],
  // A nested stack's outputs can change with any update.
  'AWS::CloudFormation::Stack': '*',
  // A custom resource's handler returns new data, and may return a new physical id, on every update.
  'AWS::CloudFormation::CustomResource': ['*', 'Ref'],
  // AWS::Lambda::Version and AWS::Lambda::LayerVersion: every property change replaces them (a new
  // version number and ARN), which the replacement rule below covers; a function's code update
  // publishes no version by itself.
};

const REPLACEMENT_IMPACTS = [ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE];
const IMPACT_ORDER = [
  ResourceImpact.NO_CHANGE,
  ResourceImpact.WILL_IMPORT,
  ResourceImpact.WILL_CREATE,
  ResourceImpact.WILL_UPDATE,
  ResourceImpact.MAY_REPLACE,
  ResourceImpact.WILL_REPLACE,
  ResourceImpact.WILL_ORPHAN,
  ResourceImpact.WILL_DESTROY,
];
const MAX_ROUNDS = 50;
const MARKER = /«[^»]*»/g;

/** Whether CloudFormation replaces (or may replace) the resource: a new physical id. */
export function isReplacement(impact: ResourceImpact): boolean {
  return REPLACEMENT_IMPACTS.includes(impact);
}

/** Whether the resource's physical resource goes away: replaced, destroyed or orphaned. */
export function isLost(impact: ResourceImpact): boolean {
  return isReplacement(impact) || impact === ResourceImpact.WILL_DESTROY || impact === ResourceImpact.WILL_ORPHAN;
}

/**
 * Diffs `before` against `after` as a deployment would apply it, with `fullDiff`, then follows the
 * changes the template text does not show, until nothing new changes:
 *
 * - a resource that is replaced gets a new physical id: every `Ref` to it and `Fn::GetAtt` of it
 *   (also inside `Fn::Sub`) is rewritten in `after` to a marker;
 * - a resource that is updated changes the attributes listed in `ATTRIBUTES_CHANGED_BY_UPDATE`
 *   (`LatestVersionNumber` of a launch template...): those `Fn::GetAtt`s are rewritten;
 * - an SSM parameter of `deployTime.ssmParameters` changes value: every `Ref` to its template
 *   parameter and every `{{resolve:ssm:…}}` of it is rewritten.
 *
 * The diff engine then classifies each rewritten property from the specification like any other
 * change. On top of it, a property the specification updates in place as a whole but whose
 * changed part causes replacement (`Tier.Name` of a Beanstalk environment) is reported as a
 * replacement, and a changed property the specification does not know (a custom resource's) as an
 * update.
 */
export function updateSafetyDiff(
  before: CfnTemplate,
  after: CfnTemplate,
  deployTime: DeployTimeChanges = {},
): UpdateSafetyDiff {
  const working = structuredClone(after);
  applySsmParameterChanges(working, deployTime.ssmParameters ?? []);

  const rewritten = new Set<string>();
  let diff: TemplateDiff;
  let replacedBy: Map<string, Map<string, string>>;
  let rounds = 0;
  for (;;) {
    rounds++;
    if (rounds > MAX_ROUNDS) throw new Error(`updateSafetyDiff: no fixed point after ${MAX_ROUNDS} rounds`);
    diff = fullDiff(before, working);
    replacedBy = refineImpacts(diff);
    let progressed = false;
    diff.resources.forEachDifference((logicalId, change) => {
      if (change.isAddition || change.isRemoval) return;
      const impact = change.changeImpact;
      if (isReplacement(impact)) {
        if (rewritten.has(logicalId)) return;
        rewritten.add(logicalId);
        const how = impact === ResourceImpact.MAY_REPLACE ? 'may be replaced' : 'is replaced';
        rewriteReferences(working, logicalId, () => true, `${logicalId} ${how}`);
        progressed = true;
        return;
      }
      if (Object.keys(change.propertyUpdates).length === 0) return; // metadata, UpdatePolicy, DependsOn only
      const fresh = attributesChangedByUpdate(change.resourceType ?? '').filter(
        (attribute) => !rewritten.has(logicalId) && !rewritten.has(`${logicalId}.${attribute}`),
      );
      if (fresh.length === 0) return;
      for (const attribute of fresh) rewritten.add(`${logicalId}.${attribute}`);
      rewriteReferences(
        working,
        logicalId,
        (attribute) => (attribute === 'Ref' ? fresh.includes('Ref') : fresh.includes('*') || fresh.includes(attribute)),
        `${logicalId} is updated`,
      );
      progressed = true;
    });
    if (!progressed) break;
  }

  const changes: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    if (!change.isDifferent) return;
    changes.push(summarize(logicalId, change, replacedBy.get(logicalId)));
  });
  return {
    diff,
    changes,
    effectiveTemplate: working,
    rounds,
    change: (logicalId) => changes.find((c) => c.logicalId === logicalId),
  };
}

/** One line per change: `Id (Type) IMPACT: Prop [IMPACT] ← cause; …`. */
export function describeChange(change: ResourceChange): string {
  const properties = change.properties.map((p) => {
    const where = p.replacedBy ? ` at ${p.replacedBy}` : '';
    const causes = p.causes.length > 0 ? ` ← ${p.causes.join('; ')}` : '';
    return `${p.name}${where} [${p.impact}]${causes}`;
  });
  return `${change.logicalId} (${change.type}) ${change.impact}${properties.length > 0 ? `: ${properties.join(', ')}` : ''}`;
}

function attributesChangedByUpdate(type: string): string[] {
  if (type.startsWith('Custom::')) return ['*', 'Ref'];
  const listed = ATTRIBUTES_CHANGED_BY_UPDATE[type];
  if (listed === undefined) return [];
  return listed === '*' ? ['*'] : listed;
}

function summarize(logicalId: string, change: ResourceDifference, nested?: Map<string, string>): ResourceChange {
  const properties: PropertyChange[] = [];
  for (const [name, property] of Object.entries(change.propertyUpdates)) {
    properties.push({
      name,
      impact: property.changeImpact ?? ResourceImpact.WILL_UPDATE,
      replacedBy: nested?.get(name),
      causes: markersIn(property.newValue),
    });
  }
  for (const name of Object.keys(change.otherChanges)) {
    properties.push({ name, impact: ResourceImpact.WILL_UPDATE, causes: [] });
  }
  return {
    logicalId,
    type: change.newResourceType ?? change.oldResourceType ?? '(unknown)',
    impact: change.changeImpact,
    properties: properties.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function markersIn(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.match(MARKER) ?? []) found.add(m.slice(1, -1));
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return [...found].sort();
}

// ---------------------------------------------------------------------------------------------
// Rewriting references in the "after" template

function marker(text: string): string {
  return `«${text}»`;
}

/**
 * Rewrites, in every resource's properties, the references to `logicalId` whose attribute
 * (`'Ref'` for a `Ref`) `changes` says change, to a marker naming `why`.
 */
function rewriteReferences(
  template: CfnTemplate,
  logicalId: string,
  changes: (attribute: string) => boolean,
  why: string,
): void {
  const replace = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(replace);
    if (node === null || typeof node !== 'object') return node;
    const obj = node as { [key: string]: unknown };
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = obj[key];
      if (key === 'Ref' && arg === logicalId && changes('Ref')) {
        return marker(`Ref ${logicalId}: ${why}`);
      }
      if (key === 'Fn::GetAtt') {
        const [target, ...rest] = typeof arg === 'string' ? arg.split('.') : (arg as unknown[]);
        const attribute = rest.map(String).join('.');
        if (target === logicalId && changes(attribute)) {
          return marker(`${logicalId}.${attribute}: ${why}`);
        }
        return node;
      }
      if (key === 'Fn::Sub') {
        const [text, variables] = typeof arg === 'string' ? [arg, undefined] : (arg as [string, object?]);
        const own = new Set(Object.keys(variables ?? {}));
        const newText =
          typeof text === 'string'
            ? text.replace(/\$\{([^!}][^}]*)\}/g, (whole, expression: string) => {
                const [target, ...rest] = expression.split('.');
                const attribute = rest.length > 0 ? rest.join('.') : 'Ref';
                if (own.has(expression) || target !== logicalId || !changes(attribute)) return whole;
                return marker(`${expression}: ${why}`);
              })
            : text;
        const newVariables = variables === undefined ? undefined : replace(variables);
        return { 'Fn::Sub': newVariables === undefined ? newText : [newText, newVariables] };
      }
    }
    const out: { [key: string]: unknown } = {};
    for (const key of keys) out[key] = replace(obj[key]);
    return out;
  };
  for (const resource of Object.values<any>(template.Resources ?? {})) {
    if (resource?.Properties !== undefined) resource.Properties = replace(resource.Properties);
  }
}

/** Rewrites the references to the SSM parameters that change value (template parameters and `{{resolve:ssm:…}}`). */
function applySsmParameterChanges(template: CfnTemplate, names: Array<string | RegExp>): void {
  if (names.length === 0) return;
  const matches = (name: string) => names.some((n) => (typeof n === 'string' ? n === name : n.test(name)));
  for (const [logicalId, parameter] of Object.entries<any>(template.Parameters ?? {})) {
    const ssmType = typeof parameter?.Type === 'string' && parameter.Type.startsWith('AWS::SSM::Parameter::Value<');
    if (ssmType && typeof parameter.Default === 'string' && matches(parameter.Default)) {
      rewriteReferences(
        template,
        logicalId,
        (attribute) => attribute === 'Ref',
        `the value of SSM parameter ${parameter.Default} changes`,
      );
    }
  }
  const dynamic = /\{\{resolve:ssm:([^}:]+)(?::\d+)?\}\}/g;
  const replace = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(dynamic, (whole, name: string) =>
        matches(name) ? marker(`the value of SSM parameter ${name} changes`) : whole,
      );
    }
    if (Array.isArray(node)) return node.map(replace);
    if (node === null || typeof node !== 'object') return node;
    const out: { [key: string]: unknown } = {};
    for (const [key, value] of Object.entries(node)) out[key] = replace(value);
    return out;
  };
  for (const resource of Object.values<any>(template.Resources ?? {})) {
    if (resource?.Properties !== undefined) resource.Properties = replace(resource.Properties);
  }
}

// ---------------------------------------------------------------------------------------------
// Nested replacement: the resource specification of the diff engine's own version

interface SpecType {
  readonly type: string;
  readonly reference?: { readonly $ref: string };
  readonly element?: SpecType;
  readonly types?: SpecType[];
}
interface SpecProperty {
  readonly type: SpecType;
  readonly causesReplacement?: 'yes' | 'maybe' | 'no';
}
interface SpecEntity {
  readonly properties: { [name: string]: SpecProperty };
}
interface SpecDatabase {
  lookup(entity: 'resource', index: 'cloudFormationType', op: 'equals', value: string): SpecEntity[];
  get(entity: 'typeDefinition', id: string): SpecEntity;
}

let database: SpecDatabase | undefined;

/** The service specification database that @aws-cdk/cloudformation-diff itself reads (same version). */
function spec(): SpecDatabase {
  if (database === undefined) {
    const fromDiff = createRequire(require.resolve('@aws-cdk/cloudformation-diff'));
    const { loadAwsServiceSpecSync } = fromDiff('@aws-cdk/aws-service-spec') as {
      loadAwsServiceSpecSync(): SpecDatabase;
    };
    database = loadAwsServiceSpecSync();
  }
  return database;
}

interface Nested {
  readonly impact: ResourceImpact;
  readonly path: string;
}

/**
 * Upgrades, in place, the impact of each changed property: a nested change that causes replacement
 * makes it WILL_REPLACE (MAY_REPLACE); a change the specification does not classify (custom
 * resources, unknown properties) WILL_UPDATE. Returns, per resource, where each nested replacement is.
 */
function refineImpacts(diff: TemplateDiff): Map<string, Map<string, string>> {
  const nestedPaths = new Map<string, Map<string, string>>();
  diff.resources.forEachDifference((logicalId, change) => {
    if (change.isAddition || change.isRemoval || change.resourceTypeChanged) return;
    const model = spec().lookup('resource', 'cloudFormationType', 'equals', change.resourceType!)[0];
    for (const [name, property] of Object.entries(change.propertyUpdates)) {
      const impact = property.changeImpact ?? ResourceImpact.NO_CHANGE;
      if (isReplacement(impact)) continue;
      const propertySpec = model?.properties[name];
      const nested = propertySpec
        ? nestedImpact(property.oldValue, property.newValue, propertySpec.type, name)
        : undefined;
      if (nested !== undefined && isReplacement(nested.impact)) {
        change.setPropertyChange(
          name,
          new PropertyDifference(property.oldValue, property.newValue, { changeImpact: nested.impact }),
        );
        if (!nestedPaths.has(logicalId)) nestedPaths.set(logicalId, new Map());
        nestedPaths.get(logicalId)!.set(name, nested.path);
      } else if (impact === ResourceImpact.NO_CHANGE) {
        change.setPropertyChange(
          name,
          new PropertyDifference(property.oldValue, property.newValue, { changeImpact: ResourceImpact.WILL_UPDATE }),
        );
      }
    }
  });
  return nestedPaths;
}

function worst(a: Nested | undefined, b: Nested | undefined): Nested | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return IMPACT_ORDER.indexOf(b.impact) > IMPACT_ORDER.indexOf(a.impact) ? b : a;
}

function isIntrinsic(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isIntrinsic(value);
}

/** The worst replacement a change of a value of `type` causes according to its nested properties. */
function nestedImpact(oldValue: unknown, newValue: unknown, type: SpecType, path: string): Nested | undefined {
  if (deepEqual(oldValue, newValue)) return undefined;
  switch (type.type) {
    case 'ref': {
      const isObjectOrAbsent = (v: unknown) => v === undefined || isPlainObject(v);
      if (!isObjectOrAbsent(oldValue) || !isObjectOrAbsent(newValue)) return undefined;
      const definition = spec().get('typeDefinition', type.reference!.$ref);
      const oldObject = (oldValue ?? {}) as { [key: string]: unknown };
      const newObject = (newValue ?? {}) as { [key: string]: unknown };
      let result: Nested | undefined;
      for (const key of new Set([...Object.keys(oldObject), ...Object.keys(newObject)])) {
        const property = definition?.properties[key];
        if (property === undefined || deepEqual(oldObject[key], newObject[key])) continue;
        const where = `${path}.${key}`;
        if (property.causesReplacement === 'yes') {
          result = worst(result, { impact: ResourceImpact.WILL_REPLACE, path: where });
        } else if (property.causesReplacement === 'maybe') {
          result = worst(result, { impact: ResourceImpact.MAY_REPLACE, path: where });
        } else {
          result = worst(result, nestedImpact(oldObject[key], newObject[key], property.type, where));
        }
      }
      return result;
    }
    case 'array': {
      if (!Array.isArray(oldValue) && oldValue !== undefined) return undefined;
      if (!Array.isArray(newValue) && newValue !== undefined) return undefined;
      const oldArray = oldValue ?? [];
      const newArray = newValue ?? [];
      let result: Nested | undefined;
      for (let i = 0; i < Math.max(oldArray.length, newArray.length); i++) {
        result = worst(result, nestedImpact(oldArray[i], newArray[i], type.element!, `${path}[${i}]`));
      }
      return result;
    }
    case 'map': {
      const isObjectOrAbsent = (v: unknown) => v === undefined || isPlainObject(v);
      if (!isObjectOrAbsent(oldValue) || !isObjectOrAbsent(newValue)) return undefined;
      const oldMap = (oldValue ?? {}) as { [key: string]: unknown };
      const newMap = (newValue ?? {}) as { [key: string]: unknown };
      let result: Nested | undefined;
      for (const key of new Set([...Object.keys(oldMap), ...Object.keys(newMap)])) {
        result = worst(result, nestedImpact(oldMap[key], newMap[key], type.element!, `${path}.${key}`));
      }
      return result;
    }
    case 'union': {
      let result: Nested | undefined;
      for (const member of type.types ?? []) result = worst(result, nestedImpact(oldValue, newValue, member, path));
      return result;
    }
    default:
      return undefined;
  }
}
