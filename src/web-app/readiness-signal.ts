import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from '../common/acknowledge';

/** Seconds between two reads of the instance's target health. */
const POLL_SECONDS = 10;

/** What {@link addReadinessSignal} wires together. */
export interface ReadinessSignalOptions {
  readonly userData: ec2.UserData;
  readonly role: iam.IRole;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly port: number;
  readonly timeout: Duration;
}

/**
 * Makes every new instance report to CloudFormation only once the load balancer reports it
 * healthy: the end of its user data polls `DescribeTargetHealth` for itself and sends
 * `SignalResource` SUCCESS on the first `healthy`, or FAILURE when `timeout` is nearly spent. With
 * the group's creation policy and `WaitOnResourceSignals` on its rolling update, a launch or a
 * release whose instances never pass the health check fails and CloudFormation rolls it back.
 *
 * A signal sent outside a stack operation (an instance launched by scaling or by a replacement)
 * is refused by CloudFormation and ignored by the script.
 */
export function addReadinessSignal(scope: Construct, options: ReadinessSignalOptions): void {
  const stack = Stack.of(scope);
  const cfnGroup = options.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
  const logicalId = stack.getLogicalId(cfnGroup);
  const region = Aws.REGION;
  // Leave the last 30 s of the timeout for the FAILURE signal to arrive before CloudFormation gives up.
  const attempts = Math.max(1, Math.floor((options.timeout.toSeconds() - 30) / POLL_SECONDS));
  options.userData.addCommands(
    '# cdk-ha-patterns: signal CloudFormation once the load balancer reports this instance healthy.',
    "imds_token=$(curl -sS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)",
    'instance_id=$(curl -sS -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/instance-id)',
    'ready_status=FAILURE',
    `for _ in $(seq 1 ${attempts}); do`,
    `  target_state=$(aws elbv2 describe-target-health --region ${region} --target-group-arn ${options.targetGroup.targetGroupArn} --targets "Id=$instance_id,Port=${options.port}" --query 'TargetHealthDescriptions[0].TargetHealth.State' --output text 2>/dev/null || true)`,
    '  if [ "$target_state" = healthy ]; then ready_status=SUCCESS; break; fi',
    `  sleep ${POLL_SECONDS}`,
    'done',
    `aws cloudformation signal-resource --region ${region} --stack-name ${Aws.STACK_NAME} --logical-resource-id ${logicalId} --unique-id "$instance_id" --status "$ready_status" || true`,
  );

  // A managed policy of its own (not the role's), so that its acknowledgement names this action alone.
  // Not the id of the inline policy it replaces: CloudFormation refuses to change a resource's type.
  const policy = new iam.ManagedPolicy(scope, 'ReadinessSignalManagedPolicy', {
    description: 'Lets the instances read their target health before they signal CloudFormation',
    roles: [options.role],
    statements: [
      new iam.PolicyStatement({
        sid: 'ReadOwnTargetHealth',
        actions: ['elasticloadbalancing:DescribeTargetHealth'],
        resources: ['*'],
      }),
    ],
  });
  // cloudformation:SignalResource on this stack (AWS::StackId) is granted by the Auto Scaling group
  // itself, which adds it to the instance role once the group has signals.
  acknowledge(policy, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "elasticloadbalancing:DescribeTargetHealth, which each instance calls to learn whether the load balancer finds it healthy before it signals CloudFormation, supports no resource-level permissions; it is read-only and the only action on '*'.",
  });
}
