import { Construct } from 'constructs';
import type { FailoverBinding, FailoverContext } from './binding';
import type { ElasticIpFailoverInstanceProps } from './elastic-ip-failover-instance';
import { bindStandbyInstance, validateStandbyInstance } from './standby-instance';
import { PropsValidator } from '../common/validation';

/**
 * Whether the standby instance of {@link FailoverStrategy.standbyInstance} runs all the time.
 */
export enum StandbyState {
  /**
   * Hot standby: the standby runs all the time, so a failover only moves the Elastic IP
   * (seconds after detection). Costs a second running instance.
   */
  RUNNING = 'RUNNING',

  /**
   * Stopped standby: the standby is stopped right after it is created and started by the failover
   * function when the primary fails. Costs only the standby's EBS volume at rest, but a failover
   * waits for the standby to boot (typically 30 to 90 seconds more). User data runs on an
   * instance's first boot only, and the standby is stopped as soon as it is created: put the
   * application in the image, or have the user data install a service that starts on every boot
   * and finishes its own setup there.
   */
  STOPPED = 'STOPPED',
}

/**
 * Options for {@link FailoverStrategy.standbyInstance}.
 */
export interface StandbyInstanceOptions {
  /**
   * Whether the standby runs all the time (hot) or is kept stopped until a failover.
   *
   * @default StandbyState.RUNNING
   */
  readonly standbyState?: StandbyState;

  /**
   * The average CPU utilisation (1 to 100 percent) at or above which an instance counts as failed
   * when it stays there for `cpuEvaluationPeriods` one-minute periods. Only used when `cpuAlarm`
   * is true.
   *
   * @default 100
   */
  readonly cpuThreshold?: number;

  /**
   * How many consecutive one-minute periods the CPU must stay at or above `cpuThreshold` before
   * the instance counts as failed (1 to 60).
   *
   * @default 5
   */
  readonly cpuEvaluationPeriods?: number;

  /**
   * Whether an instance whose CPU stays at or above `cpuThreshold` counts as failed. Turn it off
   * for workloads that legitimately run the CPU flat out.
   *
   * @default true
   */
  readonly cpuAlarm?: boolean;
}

/**
 * How an {@link ElasticIpFailoverInstance} keeps its Elastic IP on a healthy instance.
 *
 * Use the static factories: `FailoverStrategy.standbyInstance()`.
 */
export abstract class FailoverStrategy {
  /**
   * A primary and a standby instance in two Availability Zones, the Elastic IP on the primary.
   * EventBridge (EC2 state changes) and CloudWatch alarms (status checks, CPU) of both instances
   * invoke a function that starts the other instance if needed, moves the Elastic IP to it, swaps
   * their role tags, notifies the topic and records how long it took.
   *
   * `dataVolume` is not supported: the two instances have separate disks.
   *
   * @param options how the standby is kept and what counts as a failure
   */
  public static standbyInstance(options: StandbyInstanceOptions = {}): FailoverStrategy {
    return new StandbyInstanceStrategy(options);
  }

  /** The strategy's name, as used in messages: `standbyInstance`. */
  public abstract readonly name: string;

  /**
   * Records every problem with the props for this strategy.
   *
   * @internal
   */
  public abstract _validate(props: ElasticIpFailoverInstanceProps, check: PropsValidator): void;

  /**
   * Creates the strategy's resources in `scope`.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, context: FailoverContext): FailoverBinding;
}

class StandbyInstanceStrategy extends FailoverStrategy {
  public readonly name = 'standbyInstance';

  constructor(private readonly options: StandbyInstanceOptions) {
    super();
  }

  public _validate(props: ElasticIpFailoverInstanceProps, check: PropsValidator): void {
    validateStandbyInstance(this.options, props, check);
  }

  public _bind(scope: Construct, context: FailoverContext): FailoverBinding {
    return bindStandbyInstance(scope, context, this.options);
  }
}
