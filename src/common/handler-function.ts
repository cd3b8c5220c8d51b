import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, skipCheckov } from './acknowledge';
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

/** The construct id of the stack's handler key, a direct child of the stack (one per stack, shared by its handlers). */
export const HANDLER_KEY_ID = 'HaPatternsHandlerKey';

/** The cdk-nag compliance packs whose `LambdaInsideVPC` rule a handler is acknowledged in. */
const LAMBDA_IN_VPC_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/**
 * The stack's key for what the library's handlers keep: the messages of their dead-letter queues
 * and their environment variables. Created on first use, with yearly rotation, deleted with the
 * stack (after KMS's waiting period): the queues it encrypts go with the stack too, and their
 * messages live at most {@link DEAD_LETTER_RETENTION}.
 *
 * Its key policy is the default one (the account may grant it through IAM: each handler's role
 * gets only what it needs) plus one statement for EventBridge, which delivers the events a rule
 * could not hand to its handler to the handler's dead-letter queue: an AWS service sending to a
 * queue encrypted with a customer managed key needs kms:GenerateDataKey and kms:Decrypt in the key
 * policy (Amazon SQS Developer Guide, "Key management"). The rules' ARNs cannot be named (each
 * rule depends on its function, which depends on this key), so the statement is limited to
 * requests made for this account (`aws:SourceAccount`); the queues' own policies admit only this
 * stack's rules.
 */
export function handlerKey(scope: Construct): kms.Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(HANDLER_KEY_ID);
  if (existing) return existing as kms.Key;
  const key = new kms.Key(stack, HANDLER_KEY_ID, {
    description:
      'Encrypts the dead-letter queues and the environment variables of the cdk-ha-patterns handlers in this stack',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'EventBridgeDeliversUndeliveredEventsOfThisAccount',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
  return key;
}

/** Options for {@link createHandlerFunction}. */
export interface HandlerFunctionOptions {
  /** The construct id of the function; its log group is `<name>Logs` and its role `<name>Role`. */
  readonly functionId: string;
  /**
   * Every endpoint the function calls, e.g. `'the EC2 API (addresses, instances) and SNS'`. It
   * completes the sentence "<functionId> calls only ..." of the reasons its `LambdaInsideVPC`
   * acknowledgements and its checkov CKV_AWS_117 skip give: the library's handlers call AWS APIs
   * only, and attaching them to a VPC would need a NAT gateway or interface endpoints there.
   */
  readonly calls: string;
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
   * (`<name>DeadLetterQueue`, encrypted with the stack's handler key, TLS only, kept 14 days).
   * The role may use the queue's KMS key to send to it (Lambda sends with the function's role).
   *
   * @default - none: the function is only invoked synchronously (a custom resource)
   */
  readonly deadLetterQueue?: sqs.IQueue | true;
  readonly reservedConcurrentExecutions?: number;
  /** A topic the function publishes to: the publish grant and, for a topic with its own key, its acknowledgement. */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Attaches the function to these subnets with these security groups, for a handler that must
   * reach a resource inside a VPC (the resilience verifier's probe of a database).
   *
   * @default - not attached to a VPC (`calls` says what it reaches instead)
   */
  readonly vpc?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    readonly securityGroups: ec2.ISecurityGroup[];
  };
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
 * stack's logs key), its environment variables encrypted with the stack's handler key, and for
 * asynchronous handlers a dead-letter queue, two retries and events dropped after an hour. The
 * function is not attached to a VPC (`calls` says what it reaches instead), acknowledged as such.
 */
export function createHandlerFunction(
  scope: Construct,
  functionClass: HandlerFunctionClass,
  options: HandlerFunctionOptions,
): HandlerFunction {
  const key = handlerKey(scope);
  const deadLetterQueue =
    options.deadLetterQueue === true
      ? new sqs.Queue(scope, `${options.name}DeadLetterQueue`, {
          encryption: sqs.QueueEncryption.KMS,
          encryptionMasterKey: key,
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
  // A producer of a queue encrypted with a customer managed key needs kms:GenerateDataKey and
  // kms:Decrypt on that key (Amazon SQS Developer Guide, "Key management").
  deadLetterQueue?.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  options.permissions?.(role);

  const fn = new functionClass(scope, options.functionId, {
    description: options.description,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    memorySize: 256,
    timeout: options.timeout,
    environment: options.environment,
    environmentEncryption: key,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    ...(deadLetterQueue ? { deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(1) } : {}),
    ...(options.vpc
      ? { vpc: options.vpc.vpc, vpcSubnets: options.vpc.subnets, securityGroups: options.vpc.securityGroups }
      : {}),
  });

  if (options.vpc) {
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: `aws-cdk-lib attaches AWSLambdaVPCAccessExecutionRole to the role of a function in a VPC: the network interface permissions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface...) Lambda needs to place ${options.functionId} in its subnets, which support no narrower resource.`,
    });
  } else {
    acknowledgeOutsideVpc(fn, options);
  }

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

/**
 * The acknowledgements of the compliance packs' `LambdaInsideVPC` rule and the checkov CKV_AWS_117
 * skip (function not in a VPC), on this function only, with what it calls.
 */
function acknowledgeOutsideVpc(fn: lambda.Function, options: HandlerFunctionOptions): void {
  const resource = fn.node.defaultChild as lambda.CfnFunction;
  const reason =
    `${options.functionId} calls only ${options.calls}: public AWS endpoints, no resource inside a VPC. ` +
    'Attached to a VPC, it would reach them only through a NAT gateway or interface endpoints there, and it has nothing to reach inside one.';
  acknowledge(resource, ...LAMBDA_IN_VPC_PACKS.map((pack) => ({ id: `${pack}-LambdaInsideVPC`, reason })));
  skipCheckov(resource, { id: 'CKV_AWS_117', comment: reason });
}
