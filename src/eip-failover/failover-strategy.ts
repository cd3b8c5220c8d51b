import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { bindAutoScalingGroup, requirementsOfAutoScalingGroup, validateAutoScalingGroup } from './auto-scaling-group';
import type { FailoverBinding, FailoverContext, StrategyRequirements } from './binding';
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

  /**
   * The launch template version the instance created as primary (`primaryInstance`) runs: a
   * version number as a string, e.g. `'3'`. The instances run pinned versions, so a deployment that
   * changes the image, the user data or the instance type only adds a launch template version and
   * replaces no instance. Setting this to a newer version replaces that one instance in the next
   * deployment; before it is terminated, the Elastic IP moves to the other instance if it held it.
   *
   * After a failover the roles swap: this still names the instance created as primary, which may
   * now be the standby. Roll a new version out to the instance that does not hold the Elastic IP
   * first (normally the standby), check it, then to the other one, one deployment each.
   *
   * A stack deployed before these options existed ran `LatestVersionNumber`: set both options to
   * the launch template's current latest version once, so the upgrade replaces no instance.
   *
   * @default '1' (the first version, the one the stack creates)
   */
  readonly primaryLaunchTemplateVersion?: string;

  /**
   * The launch template version the instance created as standby (`standbyInstance`) runs: a version
   * number as a string, e.g. `'3'`. See `primaryLaunchTemplateVersion` for how a new version is
   * rolled out, one instance at a time, the standby first.
   *
   * After a failover the roles swap: this still names the instance created as standby, which may
   * now hold the Elastic IP.
   *
   * @default '1' (the first version, the one the stack creates)
   */
  readonly standbyLaunchTemplateVersion?: string;
}

/**
 * Options for {@link FailoverStrategy.autoScalingGroup}.
 */
export interface AutoScalingGroupOptions {
  /**
   * How long after an instance goes InService the group waits before acting on its EC2 status
   * checks (0 to 7200 seconds). The instance has its data volume and the Elastic IP before it goes
   * InService, so this only needs to cover the service's own start.
   *
   * @default Duration.minutes(5)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * The Auto Scaling group's name (1 to 255 characters, no `:`). It also tags the data volume and
   * its snapshots, which is how a replacement instance finds its data: set it when the construct or
   * its stack may be renamed or moved, so the data is still found afterwards.
   *
   * @default - `<stack name>-<unique id of the construct>`: renaming the construct or the stack
   * gives a new group that starts with an empty data volume (the old volume and snapshots are kept,
   * but not found)
   */
  readonly autoScalingGroupName?: string;
}

/**
 * How an {@link ElasticIpFailoverInstance} keeps its Elastic IP on a healthy instance.
 *
 * Use the static factories: `FailoverStrategy.standbyInstance()` or
 * `FailoverStrategy.autoScalingGroup()`.
 */
export abstract class FailoverStrategy {
  /**
   * A primary and a standby instance in two Availability Zones, the Elastic IP on the primary.
   * EventBridge (EC2 state changes) and CloudWatch alarms (status checks, CPU) of both instances
   * invoke a function that starts the other instance if needed, moves the Elastic IP to it, swaps
   * their role tags, notifies the topic and records how long it took.
   *
   * Each instance runs a pinned launch template version (`primaryLaunchTemplateVersion`,
   * `standbyLaunchTemplateVersion`), so no deployment replaces both: a new image or configuration
   * reaches them one instance at a time, when you raise one version. Where the Elastic IP is stays
   * run-time state: a deployment that replaces an instance moves it to the instance that stays (if
   * the replaced one held it) and releases the old instance's termination protection.
   *
   * `dataVolume` is not supported: the two instances have separate disks.
   *
   * @param options how the standby is kept and what counts as a failure
   */
  public static standbyInstance(options: StandbyInstanceOptions = {}): FailoverStrategy {
    return new StandbyInstanceStrategy(options);
  }

  /**
   * An Auto Scaling group of exactly one instance (min = max = desired = 1) across the public
   * subnets of every Availability Zone given, replacing the instance when its EC2 status checks fail
   * or its zone is lost. A launch lifecycle hook holds each new instance in `Pending:Wait` while a
   * function gives it the Elastic IP (and the data volume, with `dataVolume`), then lets it go
   * InService; if that fails the launch is abandoned and the group tries again.
   *
   * With `dataVolume`, a termination lifecycle hook snapshots the volume, Data Lifecycle Manager
   * snapshots it periodically, and the launch hook reattaches it (same zone) or restores it from
   * the newest completed snapshot (other zone). A function run every 6 hours deletes volumes left
   * behind in another zone (once a snapshot holds their data) and snapshots older than
   * `replacedDataRetention` that no launch would restore.
   *
   * Recovery takes a new instance's launch and boot (typically 2 to 5 minutes after the group
   * notices the failure), longer than `standbyInstance()`, but nothing runs idle.
   *
   * @example
   * declare const vpc: ec2.IVpc;
   *
   * const userData = ec2.UserData.forLinux();
   * userData.addCommands('dnf install -y nginx', 'systemctl enable --now nginx');
   * const server = new patterns.ElasticIpFailoverInstance(this, 'Server', {
   *   vpc,
   *   userData,
   *   strategy: patterns.FailoverStrategy.autoScalingGroup(),
   *   dataVolume: {
   *     size: Size.gibibytes(50),
   *     mountPath: '/var/lib/app',
   *     snapshotInterval: Duration.hours(1),
   *     snapshotRetention: 48,
   *     replacedDataRetention: Duration.days(14),
   *   },
   * });
   * server.connections.allowFromAnyIpv4(ec2.Port.tcp(443), 'HTTPS from the internet');
   *
   * @param options health check timing
   */
  public static autoScalingGroup(options: AutoScalingGroupOptions = {}): FailoverStrategy {
    return new AutoScalingGroupStrategy(options);
  }

  /** The strategy's name, as used in messages: `standbyInstance` or `autoScalingGroup`. */
  public abstract readonly name: string;

  /**
   * What the strategy needs from the launch template and the notification topic.
   *
   * @internal
   */
  public abstract _requirements(props: ElasticIpFailoverInstanceProps): StrategyRequirements;

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

  public _requirements(props: ElasticIpFailoverInstanceProps): StrategyRequirements {
    return { userData: props.userData };
  }

  public _validate(props: ElasticIpFailoverInstanceProps, check: PropsValidator): void {
    validateStandbyInstance(this.options, props, check);
  }

  public _bind(scope: Construct, context: FailoverContext): FailoverBinding {
    return bindStandbyInstance(scope, context, this.options);
  }
}

class AutoScalingGroupStrategy extends FailoverStrategy {
  public readonly name = 'autoScalingGroup';

  constructor(private readonly options: AutoScalingGroupOptions) {
    super();
  }

  public _requirements(props: ElasticIpFailoverInstanceProps): StrategyRequirements {
    return requirementsOfAutoScalingGroup(props);
  }

  public _validate(props: ElasticIpFailoverInstanceProps, check: PropsValidator): void {
    validateAutoScalingGroup(this.options, props, check);
  }

  public _bind(scope: Construct, context: FailoverContext): FailoverBinding {
    return bindAutoScalingGroup(scope, context, this.options);
  }
}
