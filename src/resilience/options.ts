import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * Options of `addResilienceExperiments()`, which every construct of this library has.
 */
export interface ResilienceExperimentOptions {
  /**
   * How long each fault lasts (an instance stopped, subnets cut off, a CPU stressed), 1 to 30
   * minutes. A terminated instance or a database reboot is not undone: they last as long as the
   * pattern takes to recover.
   *
   * @default Duration.minutes(5)
   */
  readonly faultDuration?: Duration;

  /**
   * Alarms of your own that stop every experiment when they fire, besides the construct's alarms
   * each experiment already stops on. An experiment template takes at most 5 stop conditions.
   *
   * @default - the construct's alarms that tell the service degraded beyond the pattern's claim
   */
  readonly stopConditions?: cloudwatch.IAlarm[];

  /**
   * The recovery time the verifier holds each measurement to: a run passes when the service,
   * probed the way its users reach it, answers again within this long of its first failed probe.
   *
   * @default - the construct's README number for each experiment
   */
  readonly recoveryBudget?: Duration;

  /**
   * Whether to create the verifier: a state machine that starts an experiment, probes the service
   * every 5 seconds, measures the time to detect and to recover, publishes
   * `MeasuredRecoveryTime` and notifies the construct's topic with the verdict.
   *
   * @default true
   */
  readonly verifier?: boolean;
}
