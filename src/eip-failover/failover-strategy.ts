import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import {
  bindAutoScalingGroup,
  DEFAULT_MOUNT_PATH,
  DEFAULT_SNAPSHOT_INTERVAL,
  requirementsOfAutoScalingGroup,
  validateAutoScalingGroup,
} from './auto-scaling-group';
import type {
  DeprecatedStrategyProps,
  FailoverBinding,
  FailoverContext,
  StrategyExperimentFacts,
  StrategyRequirements,
} from './binding';
import { dataVolumeSizeGiB } from './data-volume-size';
import { AutoScalingGroupOptions, StandbyInstanceOptions, StandbyState } from './options';
import { bindStandbyInstance, validateStandbyInstance } from './standby-instance';
import { PropsValidator } from '../common/validation';

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
   * It takes no data volume: the two instances have separate disks.
   *
   * @param options how the standby is kept, what counts as a failure and the instances' protection
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
   * the newest completed snapshot (other zone). A function run every 30 minutes deletes volumes left
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
   *   strategy: patterns.FailoverStrategy.autoScalingGroup({
   *     dataVolume: {
   *       size: Size.gibibytes(50),
   *       mountPath: '/var/lib/app',
   *       snapshotInterval: Duration.hours(1),
   *       snapshotRetention: 48,
   *       replacedDataRetention: Duration.days(14),
   *     },
   *   }),
   * });
   * server.allowFromInternet(ec2.Port.tcp(443), 'HTTPS');
   *
   * @param options health check timing, the group's name and the data volume
   */
  public static autoScalingGroup(options: AutoScalingGroupOptions = {}): FailoverStrategy {
    return new AutoScalingGroupStrategy(options);
  }

  /** The strategy's name, as used in messages: `standbyInstance` or `autoScalingGroup`. */
  public abstract readonly name: string;

  /**
   * The same strategy with the construct-level props that belong to it (deprecated aliases of its
   * options) folded in; records a problem for each one it has no option for or that conflicts.
   *
   * @internal
   */
  public abstract _withDeprecatedProps(props: DeprecatedStrategyProps, check: PropsValidator): FailoverStrategy;

  /**
   * What the strategy needs from the launch template and the notification topic.
   *
   * @internal
   */
  public abstract _requirements(userData: ec2.UserData | undefined): StrategyRequirements;

  /**
   * Records every problem with the strategy's options (and with the user data it runs).
   *
   * @internal
   */
  public abstract _validate(userData: ec2.UserData | undefined, check: PropsValidator): void;

  /**
   * Creates the strategy's resources in `scope`.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, context: FailoverContext): FailoverBinding;

  /**
   * How often the data volume is snapshotted, when the strategy carries one (its
   * `snapshotInterval`, or the default); undefined without a data volume.
   *
   * @internal
   */
  public abstract _snapshotInterval(): Duration | undefined;

  /**
   * What the resilience experiments need to know of the strategy: its health probe, whether the
   * standby is kept stopped, and whether a data volume follows the instance.
   *
   * @internal
   */
  public abstract _experimentFacts(): StrategyExperimentFacts;
}

class StandbyInstanceStrategy extends FailoverStrategy {
  public readonly name = 'standbyInstance';

  constructor(private readonly options: StandbyInstanceOptions) {
    super();
  }

  public _withDeprecatedProps(props: DeprecatedStrategyProps, check: PropsValidator): FailoverStrategy {
    if (props.dataVolume !== undefined) {
      check.fail(
        'dataVolume',
        'is only supported with FailoverStrategy.autoScalingGroup({ dataVolume }): the primary and standby instances of FailoverStrategy.standbyInstance() have separate disks, so a data volume could not follow the Elastic IP',
        `{ size: ${dataVolumeSizeGiB(props.dataVolume)} GiB }`,
      );
    }
    const given = props.terminationProtection;
    if (given === undefined) return this;
    if (this.options.terminationProtection !== undefined) {
      check.fail(
        'terminationProtection',
        'is deprecated and given twice: keep FailoverStrategy.standbyInstance({ terminationProtection }) only',
        given,
      );
      return this;
    }
    return new StandbyInstanceStrategy({ ...this.options, terminationProtection: given });
  }

  public _requirements(userData: ec2.UserData | undefined): StrategyRequirements {
    return { userData };
  }

  public _validate(_userData: ec2.UserData | undefined, check: PropsValidator): void {
    validateStandbyInstance(this.options, check);
  }

  public _snapshotInterval(): Duration | undefined {
    return undefined;
  }

  public _experimentFacts(): StrategyExperimentFacts {
    return {
      healthProbe: this.options.healthProbe,
      standbyStopped: this.options.standbyState === StandbyState.STOPPED,
      dataVolume: false,
    };
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

  public _withDeprecatedProps(props: DeprecatedStrategyProps, check: PropsValidator): FailoverStrategy {
    // terminationProtection was documented as not used by this strategy (the group must be able
    // to replace its instance), so it is still ignored here.
    if (props.dataVolume === undefined) return this;
    if (this.options.dataVolume !== undefined) {
      check.fail(
        'dataVolume',
        'is deprecated and given twice: keep FailoverStrategy.autoScalingGroup({ dataVolume }) only',
        `{ size: ${dataVolumeSizeGiB(props.dataVolume)} GiB }`,
      );
      return this;
    }
    return new AutoScalingGroupStrategy({ ...this.options, dataVolume: props.dataVolume });
  }

  public _requirements(userData: ec2.UserData | undefined): StrategyRequirements {
    return requirementsOfAutoScalingGroup(this.options, userData);
  }

  public _validate(userData: ec2.UserData | undefined, check: PropsValidator): void {
    validateAutoScalingGroup(this.options, userData, check);
  }

  public _snapshotInterval(): Duration | undefined {
    const volume = this.options.dataVolume;
    return volume === undefined ? undefined : (volume.snapshotInterval ?? DEFAULT_SNAPSHOT_INTERVAL);
  }

  public _experimentFacts(): StrategyExperimentFacts {
    return {
      healthProbe: this.options.healthProbe,
      standbyStopped: false,
      dataVolume: this.options.dataVolume !== undefined,
      dataVolumeMountPath: this.options.dataVolume
        ? (this.options.dataVolume.mountPath ?? DEFAULT_MOUNT_PATH)
        : undefined,
    };
  }

  public _bind(scope: Construct, context: FailoverContext): FailoverBinding {
    return bindAutoScalingGroup(scope, context, this.options);
  }
}
