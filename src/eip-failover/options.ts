import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataVolumeBackupPlan } from './data-volume-backup-plan';
import type { HealthProbe } from './health-probe';
import type { ResilienceExperimentOptions } from '../resilience/options';

// The options of each failover strategy. Nearly a leaf module: of this package it imports only the
// types of the data volume's backup plan and of the health probe (whose modules import none of the
// strategy modules), so the construct, the strategies and their implementations can all read these
// types.

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
   *
   * The failover function stops it, once the Elastic IP is on the primary: when the stack is
   * created, when a deployment replaces the instance created as standby, and when a deployment
   * switches an existing pair from `RUNNING` to `STOPPED`. It decides from where the Elastic IP is
   * and from the role tags, not from which instance was created as standby: an instance that holds
   * the Elastic IP or is tagged `FailoverRole=primary` (after a failover) is never stopped, nor is
   * any instance while the one holding the Elastic IP fails its status checks. Switching back to
   * `RUNNING` does not start a stopped standby: start it yourself.
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

  /**
   * A check of the service itself through the Elastic IP, once a minute from outside the VPC
   * (`HealthProbe.http()`, `.https()` or `.tcp(port)`), so that a service that hangs on a healthy
   * instance fails over too: `failedRuns` failed runs in a row (default 3) set off an alarm that
   * invokes the failover function, which moves the Elastic IP from the instance holding it to the
   * other one if that one is healthy. Runs within `startupGrace` of the holder's start count for
   * nothing. The probe's port must be open to the internet (`server.allowFromInternet()`). Costs
   * one short Lambda invocation a minute (≈ 43,800 a month) and one alarm.
   *
   * @default - no probe: failures are detected from the instances (state changes, status checks,
   * CPU)
   */
  readonly healthProbe?: HealthProbe;

  /**
   * Whether the two instances have termination protection. Keep it on for a production service;
   * turn it off to let `cdk destroy` delete the stack (with it on, CloudFormation cannot terminate
   * the instances and the deletion fails until it is turned off).
   *
   * @default true
   */
  readonly terminationProtection?: boolean;
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

  /**
   * A persistent data volume carried from instance to instance, across Availability Zones by
   * snapshot.
   *
   * @default - no data volume
   */
  readonly dataVolume?: DataVolumeOptions;

  /**
   * A check of the service itself through the Elastic IP, once a minute from outside the VPC
   * (`HealthProbe.http()`, `.https()` or `.tcp(port)`), so that a service that hangs on an
   * instance passing its EC2 status checks is replaced too: `failedRuns` failed runs in a row
   * (default 3) set off an alarm that invokes the lifecycle hook function, which marks the
   * instance holding the Elastic IP Unhealthy; the group then replaces it (with the data volume,
   * if any, as for any replacement). Runs within `startupGrace` of the instance's start count for
   * nothing. The probe's port must be open to the internet (`server.allowFromInternet()`). Costs
   * one short Lambda invocation a minute (≈ 43,800 a month) and one alarm.
   *
   * @default - no probe: only the EC2 status checks of the instance are watched
   */
  readonly healthProbe?: HealthProbe;
}

/**
 * A persistent, encrypted EBS data volume that follows the service from instance to instance.
 *
 * Before a new instance goes InService, the volume of the previous instance is attached to it
 * when both are in the same Availability Zone; otherwise a volume is restored in the new zone from
 * a snapshot taken after the old volume was detached (or, when the old zone is lost, from the
 * newest completed snapshot). The first instance gets an empty volume. The instance's user data
 * waits for the volume, formats it only when it holds no filesystem at all (ext4), mounts it at
 * `mountPath` and adds it to `/etc/fstab`. Data Lifecycle Manager snapshots it every
 * `snapshotInterval`.
 *
 * The mount script reads the volume id from the instance's tags in instance metadata, so tags in
 * instance metadata are turned on: tag keys on the instances may then not contain `/` or spaces.
 *
 * Volumes left behind when the service moves to another zone, and the snapshots taken at
 * termination and before a restore, are kept: nothing is deleted by the construct. Data Lifecycle
 * Manager deletes its own periodic snapshots beyond `snapshotRetention`.
 *
 * Given to `FailoverStrategy.autoScalingGroup({ dataVolume })`: the two instances of
 * `FailoverStrategy.standbyInstance()` have separate disks, so it has no such option.
 */
export interface DataVolumeOptions {
  /**
   * The size of the volume, a whole number of GiB (`Size.gibibytes(50)`) within the range of its
   * `volumeType`: gp3 1 to 65536, gp2 1 to 16384, io1 4 to 16384, io2 4 to 65536, st1 and sc1 125 to
   * 16384, standard 1 to 1024. It also bounds `iops` (at most 500 per GiB for gp3 above 3000, 50 for
   * io1, 1000 for io2). A volume restored from a snapshot of a smaller volume is this size, but its
   * filesystem keeps its size until grown (`resize2fs`).
   *
   * @default - required: give `size` (or the deprecated `sizeGiB`)
   */
  readonly size?: Size;

  /**
   * The size of the volume in GiB, within the same range per `volumeType` as `size`.
   *
   * @deprecated use `size: Size.gibibytes(n)`. jsii-rosetta and the Python binding spell this name
   * differently (`size_gi_b` and `size_gib`), so it will be removed.
   * @default - `size`
   */
  readonly sizeGiB?: number;

  /**
   * Where the volume is mounted on the instance.
   *
   * @default '/data'
   */
  readonly mountPath?: string;

  /**
   * The EBS volume type: gp3, gp2, io1, io2, st1, sc1 or standard. It decides the range of `size`,
   * whether `iops` may or must be given (gp3 may, io1 and io2 must, the others take none) and whether
   * `throughput` may be given (gp3 only).
   *
   * @default ec2.EbsDeviceVolumeType.GP3
   */
  readonly volumeType?: ec2.EbsDeviceVolumeType;

  /**
   * Provisioned IOPS, a whole number: for gp3 3000 to 80000 and at most 500 per GiB of `size` above
   * 3000 (any size takes 3000); for io1 100 to 64000 and at most 50 per GiB; for io2 100 to 256000 and
   * at most 1000 per GiB. Required for io1 and io2; refused for gp2, st1, sc1 and standard, which
   * take no provisioned IOPS.
   *
   * @default - 3000 for gp3; none for gp2, st1, sc1 and standard; io1 and io2 require it
   */
  readonly iops?: number;

  /**
   * Provisioned throughput in MiB/s, gp3 only: a whole number from 125 to 2000, and at most 0.25 MiB/s
   * per IOPS (`iops`, or its default of 3000: at most 750 without `iops`). Refused for the other types.
   *
   * @default - 125 for gp3; none for the other types
   */
  readonly throughput?: number;

  /**
   * The device name the volume is attached at (`/dev/sdf` to `/dev/sdp`). On Nitro instances the
   * volume appears as an NVMe device whatever this says; the mount script finds it by its volume id.
   *
   * @default '/dev/sdf'
   */
  readonly deviceName?: string;

  /**
   * How often Data Lifecycle Manager snapshots the volume: 1, 2, 3, 4, 6, 8, 12 or 24 hours. When
   * an Availability Zone is lost with the instance and its volume, the data written since the last
   * completed snapshot is lost: this is the recovery point objective for a zone failure.
   *
   * @default Duration.hours(1)
   */
  readonly snapshotInterval?: Duration;

  /**
   * How many periodic snapshots of the volume in service Data Lifecycle Manager keeps (1 to 1000);
   * it deletes older ones.
   *
   * @default 24
   */
  readonly snapshotRetention?: number;

  /**
   * How long snapshots no longer needed are kept (1 to 3650 days): those taken at termination,
   * before a move to another zone and before a volume left behind is deleted, and the periodic
   * snapshots of volumes that no longer exist (Data Lifecycle Manager stops expiring those). A
   * scheduled function deletes them once they are this old, except the snapshot a launch in
   * another zone would restore and any snapshot holding the current data of a volume that still
   * exists. The same function deletes a volume left available in a zone the group moved away
   * from, once a snapshot taken after its last use holds all its data and the volume serving the
   * group is attached; that snapshot then holds its data for this long. To keep a volume or a
   * snapshot out of its reach, remove its `cdk-ha-patterns:data-volume` tag.
   *
   * @default Duration.days(7)
   */
  readonly replacedDataRetention?: Duration;

  /**
   * The KMS key that encrypts the volume and its snapshots. The construct's function is granted
   * the use of this key (to create and attach volumes) and nothing else.
   *
   * @default - the account's default EBS encryption key (`aws/ebs` unless changed)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Puts the data volume in an AWS Backup plan as well: `DataVolumeBackupPlan.daily()` creates a
   * plan of daily snapshots kept 35 days (or `retention`) in a vault of the construct's own;
   * `DataVolumeBackupPlan.fromBackupPlan(plan)` adds the volume to a plan of yours. The group's
   * volumes are selected by their `cdk-ha-patterns:data-volume` tag, through a role allowed to
   * snapshot those volumes only.
   *
   * The plan's snapshots are a history to go back to (restored by an operator), not a way across
   * zones: a launch never restores one, the data retention function never deletes one, and
   * `snapshotInterval` still bounds the data a zone failure loses. They are billed as AWS Backup
   * storage per GB-month (incremental after the first, so mostly the data changed from day to
   * day); see the AWS Backup pricing page for the price in your Region. The snapshot is taken of the
   * attached volume while the service runs (crash-consistent, like the periodic ones).
   *
   * Adding it to an existing deployment creates the plan's resources and changes nothing else.
   *
   * @default - in no AWS Backup plan: the periodic snapshots (`snapshotRetention`) and the
   * snapshots kept for `replacedDataRetention` are the data's only history
   */
  readonly backupPlan?: DataVolumeBackupPlan;
}

/**
 * Options of {@link ElasticIpFailoverInstance.addResilienceExperiments}.
 */
export interface ElasticIpFailoverExperimentOptions extends ResilienceExperimentOptions {
  /**
   * How the verifier reaches the service through the Elastic IP, every 5 seconds: the same
   * `HealthProbe.http()`, `.https()` or `.tcp(port)` the strategy's health probe takes (only its
   * protocol, port and path are used). Its port must be open to the internet.
   *
   * @default - the strategy's `healthProbe`; one of the two is needed unless `verifier: false`
   */
  readonly probe?: HealthProbe;
}
