import { Acknowledgment, CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges validation findings (cdk-nag rules) on one construct, exactly as
 * `acknowledge(scope, ...)` does, for every aws-cdk-lib release the library supports.
 *
 * cdk-nag's granular ids embed ARNs (`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:...]`),
 * so they contain `::` more than once. aws-cdk-lib releases before 2.269.0 refuse such an id in
 * `acknowledge()` with `InvalidValidationId` (aws-cdk pull request 38787 loosened the parser), so
 * for those ids on those releases this records the acknowledgement the way `acknowledge()` itself
 * records it: a `Validations.ACKNOWLEDGED_RULES_METADATA_KEY` metadata entry `{ id: reason }` on the
 * construct, which is what cdk-nag reads. cdk-nag matches the id exactly, so the acknowledgement is
 * as narrow as the id.
 */
export function acknowledge(scope: IConstruct, ...rules: Acknowledgment[]): void {
  for (const rule of rules) {
    try {
      Validations.of(scope).acknowledge(rule);
    } catch (e) {
      if ((e as Error).name !== 'InvalidValidationId' || rule.id.split('::').length <= 2) throw e;
      scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [rule.id]: rule.reason });
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
