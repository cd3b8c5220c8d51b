import { Acknowledgment, CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges validation findings (cdk-nag rules) on one construct and its children only.
 *
 * Plain ids (`AwsSolutions-SQS3`) go through `Validations.of(scope).acknowledge()`, which records
 * them as `Annotation::<id>`: cdk-nag skips the rule on the construct and its children.
 *
 * Granular ids (`AwsSolutions-IAM5[Resource::*]`, `...[Resource::arn:<AWS::Partition>:ec2:...]`)
 * contain `::`, and `acknowledge()` records those as given; aws-cdk-lib (2.263) then suppresses
 * every violation reported with that id anywhere in the app, so an acknowledgement on one of this
 * library's policies would hide the same finding on the user's own resources (and releases before
 * 2.269.0 refuse ids with more than one `::`: aws-cdk pull request 38787). So these are recorded
 * the way `acknowledge()` records a plain id, as `Annotation::<id>` in the
 * `Validations.ACKNOWLEDGED_RULES_METADATA_KEY` metadata: cdk-nag strips the prefix and matches the
 * id exactly on the construct and its ancestors, and aws-cdk-lib's app-wide match never sees it.
 */
export function acknowledge(scope: IConstruct, ...rules: Acknowledgment[]): void {
  for (const rule of rules) {
    if (/^[^:[\]]+\[.*::.*\]$/.test(rule.id)) {
      scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [`Annotation::${rule.id}`]: rule.reason });
    } else {
      Validations.of(scope).acknowledge(rule);
    }
  }
}

/** How cdk-nag prints a value in a finding id: the literal, or `<Pseudo::Parameter>` for a token. */
export function nagName(value: string, pseudoParameter: string): string {
  return Token.isUnresolved(value) ? `<${pseudoParameter}>` : value;
}

/**
 * An ARN of the stack's partition, region and account (or `account`, e.g. `''` for EBS snapshots)
 * as cdk-nag prints it in a finding id.
 */
export function nagArn(stack: Stack, service: string, resource: string, account?: string): string {
  return `arn:<AWS::Partition>:${service}:${nagName(stack.region, 'AWS::Region')}:${account ?? nagName(stack.account, 'AWS::AccountId')}:${resource}`;
}

/** A checkov check skipped on one resource, with the reason it does not apply there. */
export interface CheckovSkip {
  /** The check, e.g. `CKV_AWS_117`. */
  readonly id: string;
  /** Why the check does not apply to this resource: checkov prints it as the suppression comment. */
  readonly comment: string;
}

/**
 * Skips checkov checks on one resource: the `checkov: skip` entries of its template `Metadata`,
 * which checkov reads as suppressions of exactly those checks on exactly that resource (and prints
 * with their comments). `scope` is the CloudFormation resource, or a construct whose default child
 * is one. Adding a check twice keeps the first comment.
 */
export function skipCheckov(scope: IConstruct, ...skips: CheckovSkip[]): void {
  const resource = CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new Error(
      `skipCheckov: ${scope.node.path} is not a CloudFormation resource and has none as its default child`,
    );
  }
  const existing = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined) ?? {};
  const skip = [...(existing.skip ?? [])];
  for (const s of skips) {
    if (!skip.some((e) => e.id === s.id)) skip.push({ id: s.id, comment: s.comment });
  }
  resource.addMetadata('checkov', { ...existing, skip });
}
