import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

// Internal: the role class of every role the library creates. Not exported from the package.

/** The ManagedPolicy quota: a policy document of at most 6,144 characters (whitespace not counted). */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;

/**
 * A role whose permissions, every statement added to it and every grant made to it, are in one
 * customer managed policy of its own (the child `Policy`, attached to this role only) rather than
 * in an inline policy: compliance rules (NIST 800-53 `IAMNoInlinePolicy`) count inline policies as
 * unmanaged. The policy is created with the first statement; a resource that needs the
 * permissions depends on the role (and so on the policy), as it would on an inline policy.
 */
export class ManagedPolicyRole extends iam.Role {
  private managedPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.node.addValidation({
      validate: () => {
        if (!this.managedPolicy) return [];
        const document = JSON.stringify(Stack.of(this).resolve(this.managedPolicy.document));
        const length = document.replace(/\s/g, '').length;
        return length > MANAGED_POLICY_MAX_CHARACTERS
          ? [
              `The permissions of ${this.node.path} need ${length} characters, above the ${MANAGED_POLICY_MAX_CHARACTERS} an IAM managed policy may hold: grant this role less, or grant through a policy of your own`,
            ]
          : [];
      },
    });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.managedPolicy) {
      this.managedPolicy = new iam.ManagedPolicy(this, 'Policy', {
        description: `The permissions of ${this.node.path}`,
        roles: [this],
      });
    }
    this.managedPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.managedPolicy };
  }
}
