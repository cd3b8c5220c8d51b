import { Acknowledgment, Stack, Token, Validations } from 'aws-cdk-lib';
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
