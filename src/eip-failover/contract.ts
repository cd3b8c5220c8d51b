// Internal: what the constructs of ElasticIpFailoverInstance and their Lambda handlers agree on:
// tag keys and values, the metric namespace and names, the event values the functions react to,
// the custom resource type and properties, and each function's environment. Imports nothing, so
// both sides (aws-cdk-lib code and the bundled handlers) can import it. Not exported from the package.

// ---------------------------------------------------------------------------------------------
// Tags

/** Marks a data volume (and its snapshots) as this group's; the value is the group name. DLM targets it. */
export const DATA_VOLUME_TAG = 'cdk-ha-patterns:data-volume';
/** Set on a data volume (ISO time) each time it is attached to an instance that goes InService. */
export const ATTACHED_AT_TAG = 'cdk-ha-patterns:attached-at';
/**
 * Why a snapshot was taken: `termination`, `detached` (before a restore in another zone), `periodic`
 * (DLM) or `retired` (by the data retention function, before it deletes a volume left behind).
 */
export const SNAPSHOT_REASON_TAG = 'cdk-ha-patterns:snapshot-reason';
/** The instance tag naming its data volume; the mount script reads it from instance metadata. */
export const INSTANCE_VOLUME_TAG = 'DataVolumeId';
/**
 * Marks both instances of one standby pair; the value is the pair's Elastic IP allocation ID. The
 * failover function's instance permissions are scoped by it (not by instance ARN), so they still
 * cover an instance that a deployment has just replaced or is about to terminate.
 */
export const FAILOVER_PAIR_TAG = 'cdk-ha-patterns:failover-pair';
/** The tag Auto Scaling puts on the instances it launches. */
export const GROUP_NAME_TAG = 'aws:autoscaling:groupName';
/**
 * The tag AWS Backup puts on every EBS snapshot it takes (its own `aws:` key: nobody else can set
 * it). AWS Backup also copies the volume's tags onto the snapshot, so a snapshot of a data volume in
 * a backup plan carries `DATA_VOLUME_TAG` and `ATTACHED_AT_TAG` as well: this tag is how the
 * handlers tell it from the group's own snapshots and leave it alone (EC2 refuses to delete a
 * snapshot AWS Backup manages, and a launch never restores one).
 */
export const AWS_BACKUP_SOURCE_TAG = 'aws:backup:source-resource';

/** The tag that says which instance of a standby pair holds the Elastic IP (`primary`) and which waits (`standby`). */
export const ROLE_TAG = 'FailoverRole';
/** The value of the role tag on the instance that holds the Elastic IP. */
export const PRIMARY_ROLE = 'primary';
/** The value of the role tag on the other instance of the pair. */
export const STANDBY_ROLE = 'standby';
/** The values of the role tag. */
export type FailoverRole = typeof PRIMARY_ROLE | typeof STANDBY_ROLE;

/** Snapshot reason (`SNAPSHOT_REASON_TAG`): taken by the lifecycle hook when its instance was terminated. */
export const TERMINATION_SNAPSHOT = 'termination';
/** Snapshot reason: taken by a launch in another zone, once the volume was released, to restore from. */
export const DETACHED_SNAPSHOT = 'detached';
/** Snapshot reason: taken by Data Lifecycle Manager on its schedule (added by the snapshot policy). */
export const PERIODIC_SNAPSHOT = 'periodic';
/** Snapshot reason: taken by the data retention function before it deletes a volume left behind. */
export const RETIRED_SNAPSHOT = 'retired';
/** The values of `SNAPSHOT_REASON_TAG`. */
export type SnapshotReason =
  typeof TERMINATION_SNAPSHOT | typeof DETACHED_SNAPSHOT | typeof PERIODIC_SNAPSHOT | typeof RETIRED_SNAPSHOT;

// ---------------------------------------------------------------------------------------------
// Metrics

/** Where the failover and lifecycle hook functions record their metrics (embedded metric format), by `AllocationId`. */
export const METRIC_NAMESPACE = 'CdkHaPatterns/ElasticIpFailover';
/** The one dimension of the metrics: the Elastic IP's allocation ID. */
export const METRIC_DIMENSION = 'AllocationId';
/** How long the function took to move the Elastic IP (milliseconds). */
export const FAILOVER_DURATION_METRIC = 'FailoverDuration';
/** From the failure (or the launch) first reported to the Elastic IP moved (milliseconds). */
export const TIME_TO_RECOVERY_METRIC = 'TimeToRecovery';
/**
 * The health probe's verdict on the service through its Elastic IP, once a minute: 1 when the
 * probe could not reach it (every attempt of that minute failed), 0 when it could. An alarm on it
 * invokes the failover function, which treats it as "the holder of the Elastic IP is unhealthy".
 */
export const HEALTH_PROBE_FAILED_METRIC = 'HealthProbeFailed';

/** How the health probe reaches the service: an HTTP(S) GET, or a TCP connection. */
export type HealthProbeProtocol = 'http' | 'https' | 'tcp';

/** The environment of the health probe function (all values strings). */
export interface HealthProbeEnvironment {
  /** The Elastic IP's allocation ID: the metric's dimension. */
  readonly ALLOCATION_ID: string;
  /** The Elastic IP's address: what the probe connects to. */
  readonly PUBLIC_IP: string;
  /** `http`, `https` or `tcp`. */
  readonly PROTOCOL: HealthProbeProtocol;
  /** The port on the Elastic IP. */
  readonly PORT: string;
  /** The path an HTTP(S) probe requests, starting with `/` (unused for TCP). */
  readonly PATH: string;
  /** How long one attempt may take, in milliseconds. */
  readonly TIMEOUT_MS: string;
  /** How many attempts one run makes at most (it stops at the first that succeeds). */
  readonly ATTEMPTS: string;
  /** The pause between two attempts, in milliseconds. */
  readonly ATTEMPT_INTERVAL_MS: string;
  /**
   * Seconds after the holder of the Elastic IP started (its `LaunchTime`) during which a failed
   * run records nothing, so a service still starting is not failed over. `0` or absent: none.
   */
  readonly STARTUP_GRACE_SECONDS?: string;
}

// ---------------------------------------------------------------------------------------------
// Events

/** The states of an EC2 state-change notification that mean an instance stopped serving. */
export const FAILED_STATES: readonly string[] = ['stopping', 'stopped', 'shutting-down', 'terminated'];

/** The lifecycle transition of a launch (the launch hook's, and the lifecycle hook function's launch path). */
export const LAUNCHING_TRANSITION = 'autoscaling:EC2_INSTANCE_LAUNCHING';
/** The lifecycle transition of a termination (the termination hook's). */
export const TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING';

// ---------------------------------------------------------------------------------------------
// The Elastic IP placement (served by the failover function)

/** The CloudFormation resource type of the Elastic IP placement (served by the failover function). */
export const PLACEMENT_RESOURCE_TYPE = 'Custom::ElasticIpPlacement';

/** The properties of the placement resource, as the construct sets them (CloudFormation passes strings). */
export interface PlacementResourceProperties {
  readonly AllocationId: string;
  readonly PrimaryInstanceId: string;
  readonly StandbyInstanceId: string;
  /**
   * `'true'` with `StandbyState.STOPPED`: once the Elastic IP is placed, the placement stops a new
   * standby (and, when the setting is switched on, the current one), never the instance that holds
   * the Elastic IP or is tagged primary.
   */
  readonly StandbyStoppedAfterCreation: string;
  /** `'false'` when the instances keep no termination protection; anything else turns it on. */
  readonly TerminationProtection: string;
}

// ---------------------------------------------------------------------------------------------
// Environments

/** The environment of the failover function (FailoverStrategy.standbyInstance()). */
export interface FailoverEnvironment {
  readonly ALLOCATION_ID: string;
  readonly PUBLIC_IP: string;
  /** The primary's and the standby's instance ids, comma-separated. */
  readonly INSTANCE_IDS: string;
  readonly TOPIC_ARN: string;
  /** The role tag's key (`ROLE_TAG`). */
  readonly ROLE_TAG_KEY: string;
  /** How long to wait for the other instance to reach `running`. */
  readonly WAIT_TIMEOUT_SECONDS: string;
  /** Not read by the handler, which writes to `METRIC_NAMESPACE` itself. */
  readonly METRIC_NAMESPACE: typeof METRIC_NAMESPACE;
  /** Not set by the construct (default 5000): milliseconds between two polls. */
  readonly POLL_INTERVAL_MS?: string;
  /** Not set by the construct (default 200): the first retry's backoff, doubled at each next one. */
  readonly RETRY_BASE_DELAY_MS?: string;
  /** Not set by the construct (default 6): retries after the first attempt of each AWS call. */
  readonly MAX_RETRIES?: string;
}

/** The data volume part of the lifecycle hook function's environment (with `dataVolume` only). */
export interface DataVolumeEnvironment {
  /** Its presence turns on the data volume. */
  readonly VOLUME_SIZE_GIB: string;
  readonly VOLUME_TYPE: string;
  readonly DEVICE_NAME: string;
  /** Not read by the handler, which uses `DATA_VOLUME_TAG` itself. */
  readonly DATA_VOLUME_TAG: typeof DATA_VOLUME_TAG;
  /** Not read by the handler, which uses `ATTACHED_AT_TAG` itself. */
  readonly ATTACHED_AT_TAG: typeof ATTACHED_AT_TAG;
  /** Not read by the handler, which uses `SNAPSHOT_REASON_TAG` itself. */
  readonly SNAPSHOT_REASON_TAG: typeof SNAPSHOT_REASON_TAG;
  /** Not read by the handler, which uses `INSTANCE_VOLUME_TAG` itself. */
  readonly INSTANCE_VOLUME_TAG: typeof INSTANCE_VOLUME_TAG;
  readonly VOLUME_IOPS?: string;
  readonly VOLUME_THROUGHPUT?: string;
  /** The customer managed key of the data volumes, if any. */
  readonly KMS_KEY_ID?: string;
}

/** The environment of the lifecycle hook function (FailoverStrategy.autoScalingGroup()). */
export interface LifecycleHookEnvironment extends Partial<DataVolumeEnvironment> {
  readonly GROUP_NAME: string;
  readonly ALLOCATION_ID: string;
  readonly PUBLIC_IP: string;
  readonly TOPIC_ARN: string;
  /** Not read by the handler, which writes to `METRIC_NAMESPACE` itself. */
  readonly METRIC_NAMESPACE: typeof METRIC_NAMESPACE;
  /** Not set by the construct (default 5000). */
  readonly POLL_INTERVAL_MS?: string;
  /** Not set by the construct (default 600): how long to wait for a dying instance to release the volume. */
  readonly RELEASE_WAIT_SECONDS?: string;
  /** Not set by the construct (default 60): a snapshot pending for longer is taken to be stuck. */
  readonly STUCK_SNAPSHOT_MINUTES?: string;
  /** Not set by the construct (default 45): kept free before the timeout to complete the lifecycle action. */
  readonly SAFETY_MARGIN_SECONDS?: string;
  /** Not set by the construct (default 200). */
  readonly RETRY_BASE_DELAY_MS?: string;
  /** Not set by the construct (default 6). */
  readonly MAX_RETRIES?: string;
}

/** The environment of the data retention function (with `dataVolume`). */
export interface DataRetentionEnvironment {
  readonly GROUP_NAME: string;
  /** The Elastic IP's allocation ID: the dimension of `NEWEST_SNAPSHOT_AGE_METRIC`, recorded on every run. */
  readonly ALLOCATION_ID: string;
  /** Not read by the handler, which uses `DATA_VOLUME_TAG` itself. */
  readonly DATA_VOLUME_TAG: typeof DATA_VOLUME_TAG;
  /** Not read by the handler, which uses `ATTACHED_AT_TAG` itself. */
  readonly ATTACHED_AT_TAG: typeof ATTACHED_AT_TAG;
  /** Not read by the handler, which uses `SNAPSHOT_REASON_TAG` itself. */
  readonly SNAPSHOT_REASON_TAG: typeof SNAPSHOT_REASON_TAG;
  /** How long snapshots are kept (hours, may be fractional). */
  readonly RETENTION_HOURS: string;
  /** Volumes created or put into service more recently are never deleted (minutes). */
  readonly GRACE_MINUTES: string;
  readonly TOPIC_ARN: string;
  /** Not set by the construct (default 200). */
  readonly RETRY_BASE_DELAY_MS?: string;
  /** Not set by the construct (default 6). */
  readonly MAX_RETRIES?: string;
}

/**
 * Launches the lifecycle hook function abandoned (1 each): the new instance could not be given the
 * Elastic IP (or its data volume) and the group terminates it and launches another.
 */
export const ABANDONED_LAUNCHES_METRIC = 'AbandonedLaunches';

/**
 * How old the newest completed snapshot of the group's data is (seconds), recorded by the data
 * retention function on every run (see `newestSnapshotAgeSeconds` in decisions.ts): the data a
 * zone failure would lose now. The age of the volume serving the data when it has no snapshot yet.
 */
export const NEWEST_SNAPSHOT_AGE_METRIC = 'NewestSnapshotAge';
