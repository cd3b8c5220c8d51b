import { App, Validations } from 'aws-cdk-lib';
import { HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { CheckedAppOptions, newCheckedApp } from './checked-app';

/** The rule-id prefixes of cdk-nag's compliance packs (beside AwsSolutions). */
export const COMPLIANCE_PACK_PREFIXES = ['NIST.800.53.R5-', 'HIPAA.Security-', 'PCI.DSS.321-'];

/**
 * A checked app (strict CloudFormation Validate, cdk-nag AwsSolutions) with cdk-nag's NIST 800-53
 * R5, HIPAA Security and PCI DSS 3.2.1 packs registered too: what `npx projen compliance` runs.
 */
export function newComplianceApp(options: CheckedAppOptions = {}): App {
  const app = newCheckedApp(options);
  Validations.of(app).addPlugins(new NIST80053R5Checks(app), new HIPAASecurityChecks(app), new PCIDSS321Checks(app));
  return app;
}
