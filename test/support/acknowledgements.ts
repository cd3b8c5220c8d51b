import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The metadata keys of the rules acknowledged on `scope` itself, as recorded (`Annotation::<id>`). */
export function recordedAcknowledgements(scope: IConstruct): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of scope.node.metadata) {
    if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) Object.assign(found, entry.data);
  }
  return found;
}

/**
 * The rules acknowledged on `scope` itself (`acknowledge()`, `Validations.of(scope).acknowledge()`):
 * rule id as written (without the `Annotation::` prefix they are recorded with) to reason.
 */
export function acknowledgementsOn(scope: IConstruct): Record<string, string> {
  return Object.fromEntries(
    Object.entries(recordedAcknowledgements(scope)).map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason]),
  );
}
