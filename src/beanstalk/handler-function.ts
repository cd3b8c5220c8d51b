import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The props of a projen-generated function class (`lambda.FunctionOptions`). */
type FunctionClass = new (scope: Construct, id: string, props?: lambda.FunctionOptions) => lambda.Function;

/** Options for {@link createHandlerFunction}. */
export interface HandlerFunctionOptions {
  readonly description: string;
  readonly timeout: Duration;
  /** What the function may do beyond writing its own logs. */
  readonly statements: iam.PolicyStatement[];
}

/**
 * A custom resource handler function with its own role (inline, least-privilege statements, no
 * managed policies) and its own log group with a retention period.
 */
export function createHandlerFunction(
  scope: Construct,
  id: string,
  functionClass: FunctionClass,
  options: HandlerFunctionOptions,
): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_YEAR });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${options.description}: writes its own logs and nothing else beyond the inline policy`,
  });
  logGroup.grantWrite(role);
  for (const statement of options.statements) role.addToPrincipalPolicy(statement);
  return new functionClass(scope, id, {
    description: options.description,
    role,
    logGroup,
    timeout: options.timeout,
    memorySize: 256,
    loggingFormat: lambda.LoggingFormat.JSON,
  });
}
