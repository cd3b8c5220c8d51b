import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The rules acknowledged on `scope` itself (`Validations.of(scope).acknowledge()`): id to reason. */
export function acknowledgementsOn(scope: IConstruct): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of scope.node.metadata) {
    if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) Object.assign(found, entry.data);
  }
  return found;
}
