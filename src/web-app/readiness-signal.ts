import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from '../common/acknowledge';

/** Seconds between two reads of the instance's target health. */
const POLL_SECONDS = 10;

/** Seconds between two reads of the alarms during the bake. */
export const BAKE_POLL_SECONDS = 20;

/** The longest `PauseTime` of a rolling update (and the longest wait of its signals), in seconds. */
export const MAX_PAUSE_SECONDS = 3600;

/** The bake: the alarms a new instance watches once healthy, and for how long. */
export interface ReadinessBake {
  /** Names of the alarms (literal names, as the construct gives them). */
  readonly alarmNames: string[];
  readonly time: Duration;
}

/** What {@link addReadinessSignal} wires together. */
export interface ReadinessSignalOptions {
  readonly userData: ec2.UserData;
  readonly role: iam.IRole;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly port: number;
  readonly timeout: Duration;
  /** Watch these alarms once healthy, before signalling. @default - no bake */
  readonly bake?: ReadinessBake;
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
    ...(options.bake ? bakeCommands(region, options.bake) : []),
    `aws cloudformation signal-resource --region ${region} --stack-name ${Aws.STACK_NAME} --logical-resource-id ${logicalId} --unique-id "$instance_id" --status "$ready_status" || true`,
  );

  // A managed policy of its own (not the role's), so that its acknowledgement names this action alone.
  // Not the id of the inline policy it replaces: CloudFormation refuses to change a resource's type.
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadOwnTargetHealth',
      actions: ['elasticloadbalancing:DescribeTargetHealth'],
      resources: ['*'],
    }),
  ];
  if (options.bake) {
    // DescribeAlarms of metric alarms may be limited to their ARNs (the CloudWatch API Reference:
    // only composite alarms need it on *). The ARNs are formatted from the literal names, so the
    // policy does not depend on the alarms, which depend on the target group.
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadRolloutAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: options.bake.alarmNames.map((name) =>
          stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
  }
  const policy = new iam.ManagedPolicy(scope, 'ReadinessSignalManagedPolicy', {
    // The description stays what it was before the bake: changing it replaces the policy.
    description: 'Lets the instances read their target health before they signal CloudFormation',
    roles: [options.role],
    statements,
  });
  // cloudformation:SignalResource on this stack (AWS::StackId) is granted by the Auto Scaling group
  // itself, which adds it to the instance role once the group has signals.
  acknowledge(policy, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "elasticloadbalancing:DescribeTargetHealth, which each instance calls to learn whether the load balancer finds it healthy before it signals CloudFormation, supports no resource-level permissions; it is read-only and the only action on '*'.",
  });
}

/** A word for bash: in single quotes, each single quote closed, escaped and reopened. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The bake, run only when the instance turned healthy: it reads the alarms' states every
 * {@link BAKE_POLL_SECONDS} seconds for the bake time and turns the signal into FAILURE when an
 * alarm that was not in ALARM when the bake started is in ALARM (an alarm already firing is
 * ignored, so a release that fixes it can roll out). When none of the alarms exists yet (the
 * stack's creation: the alarms are created after the group), there is nothing to watch and the
 * instance signals at once. A failed read counts as no alarm firing.
 */
function bakeCommands(region: string, bake: ReadinessBake): string[] {
  const names = bake.alarmNames.map(shellQuote).join(' ');
  return [
    '# cdk-ha-patterns: bake: watch the rollout alarms before signalling; one that fires fails the rollout.',
    'rollout_alarms() {',
    `  aws cloudwatch describe-alarms --region ${region} --alarm-types MetricAlarm --alarm-names ${names} --query 'MetricAlarms[].[AlarmName,StateValue]' --output text 2>/dev/null || true`,
    '}',
    'if [ "$ready_status" = SUCCESS ]; then',
    '  bake_start=$(rollout_alarms)',
    '  if [ -n "$bake_start" ]; then',
    `    already_firing=$(printf '%s\\n' "$bake_start" | awk -F '\\t' '$2 == "ALARM" { print $1 }')`,
    `    bake_end=$(( $(date +%s) + ${bake.time.toSeconds()} ))`,
    '    while [ "$(date +%s)" -lt "$bake_end" ]; do',
    `      sleep ${BAKE_POLL_SECONDS}`,
    `      newly_firing=$(rollout_alarms | ALREADY="$already_firing" awk -F '\\t' 'BEGIN { n = split(ENVIRON["ALREADY"], a, "\\n"); for (i = 1; i <= n; i++) seen[a[i]] = 1 } $2 == "ALARM" && !($1 in seen) { print $1 }')`,
    '      if [ -n "$newly_firing" ]; then',
    '        echo "cdk-ha-patterns: alarm(s) fired during the bake: $newly_firing" >&2',
    '        ready_status=FAILURE',
    '        break',
    '      fi',
    '    done',
    '  fi',
    'fi',
  ];
}
