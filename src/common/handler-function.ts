import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { logsEncryptionKey } from './logs-key';
import { ManagedPolicyRole } from './managed-policy-role';

// Internal: how every construct of the library builds the function behind one of its handlers.
// Not exported from the package.

/** A projen-generated function class (`src/**\/<name>.lambda.ts` → `<Name>Function`). */
export type HandlerFunctionClass = new (
  scope: Construct,
  id: string,
  props?: lambda.FunctionOptions,
) => lambda.Function;

/** How long every handler's log group keeps its events (one policy for the whole library). */
export const HANDLER_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** How long a handler's dead-letter queue keeps an event it could not handle (the SQS maximum). */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** Options for {@link createHandlerFunction}. */
export interface HandlerFunctionOptions {
  /** The construct id of the function; its log group is `<name>Logs` and its role `<name>Role`. */
  readonly functionId: string;
  /** The prefix of the log group's and the role's construct ids. */
  readonly name: string;
  /** The function's description. */
  readonly description: string;
  /** The role's description. */
  readonly roleDescription: string;
  readonly timeout: Duration;
  /**
   * Grants the role what the function does beyond writing its own logs, before the function exists
   * (so its policy is complete when the function is first invoked).
   */
  readonly permissions?: (role: iam.Role) => void;
  readonly environment?: Record<string, string>;
  /**
   * Where asynchronous invocations that failed every retry go: a queue, or `true` for a new one
   * (`<name>DeadLetterQueue`, SQS-encrypted, TLS only, kept 14 days).
   *
   * @default - none: the function is only invoked synchronously (a custom resource)
   */
  readonly deadLetterQueue?: sqs.IQueue | true;
  readonly reservedConcurrentExecutions?: number;
  /** A topic the function publishes to: the publish grant and, for a topic with its own key, its acknowledgement. */
  readonly notificationTopic?: sns.ITopic;
}

/** What {@link createHandlerFunction} created. */
export interface HandlerFunction {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * The function of one handler with its own role (statements scoped by `permissions`, no managed
 * policies), its own log group (JSON logs, kept {@link HANDLER_LOG_RETENTION}, encrypted with the
 * stack's logs key), and for
 * asynchronous handlers a dead-letter queue, two retries and events dropped after an hour.
 */
export function createHandlerFunction(
  scope: Construct,
  functionClass: HandlerFunctionClass,
  options: HandlerFunctionOptions,
): HandlerFunction {
  const deadLetterQueue =
    options.deadLetterQueue === true
      ? new sqs.Queue(scope, `${options.name}DeadLetterQueue`, {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: DEAD_LETTER_RETENTION,
        })
      : options.deadLetterQueue;
  const logGroup = new logs.LogGroup(scope, `${options.name}Logs`, {
    retention: HANDLER_LOG_RETENTION,
    encryptionKey: logsEncryptionKey(scope),
  });
  const role = new ManagedPolicyRole(scope, `${options.name}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: options.roleDescription,
  });
  logGroup.grantWrite(role);
  options.permissions?.(role);

  const fn = new functionClass(scope, options.functionId, {
    description: options.description,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    memorySize: 256,
    timeout: options.timeout,
    environment: options.environment,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    ...(deadLetterQueue ? { deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(1) } : {}),
  });

  const topic = options.notificationTopic;
  if (topic) {
    topic.grantPublish(fn);
    if (topic instanceof sns.Topic && topic.masterKey) {
      acknowledge(role, {
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'Publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* (SNS asks for the data key variant it needs); the grant is on the topic key only.',
      });
    }
  }
  return { fn, role, logGroup, deadLetterQueue };
}
