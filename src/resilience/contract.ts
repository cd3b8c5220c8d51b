// Internal: what the resilience experiments' verifier (a state machine and its probe function)
// and the constructs agree on: the metric, the probe's settings and the state passed from one
// probe to the next. Imports nothing, so the bundled handler can import it. Not exported from the
// package.

/** The namespace of `MeasuredRecoveryTime` (the constructs' own namespace for recovery metrics). */
export const VERIFIER_METRIC_NAMESPACE = 'CdkHaPatterns/Resilience';

/** The metric the verifier publishes: seconds from the first failed probe to the stable recovery. */
export const MEASURED_RECOVERY_TIME_METRIC = 'MeasuredRecoveryTime';

/** The dimensions of `MeasuredRecoveryTime`: the construct's path and the experiment's name. */
export const CONSTRUCT_DIMENSION = 'Construct';
export const EXPERIMENT_DIMENSION = 'Experiment';

/** How the verifier reaches the service: an HTTP(S) GET, or a TCP connection. */
export type VerifierProbeProtocol = 'http' | 'https' | 'tcp';

/** The probe function's environment (all values strings). */
export interface VerifierEnvironment {
  /** `http`, `https` or `tcp`. */
  readonly PROTOCOL: VerifierProbeProtocol;
  /** The host name or IP address. */
  readonly HOST: string;
  readonly PORT: string;
  /** The path an HTTP(S) probe requests (unused for TCP). */
  readonly PATH: string;
  /** How long one probe may take, in milliseconds. */
  readonly TIMEOUT_MS: string;
}

/** What the state machine passes to the probe function each round. */
export interface VerifierProbeInput {
  /** The measurement so far, as the last round returned it (`{ probes: 0, ... }` at first). */
  readonly measurement: Measurement;
  /**
   * The experiment as GetExperiment (a Step Functions AWS SDK integration, so PascalCase) returns
   * it: `State.Status`, `State.Reason`, `StartTime` and, once it ended, `EndTime`.
   */
  readonly experiment: {
    readonly State?: { readonly Status?: string; readonly Reason?: string };
    readonly StartTime?: string | number;
    readonly EndTime?: string | number;
  };
  /** The recovery budget, in seconds. */
  readonly budgetSeconds: number;
  /** How long to keep probing after the experiment ended while the service is not back, in seconds. */
  readonly recoveryWaitSeconds: number;
  /**
   * How long the service must answer after the experiment ended, without a failure seen, before
   * the run passes with no outage (a fault may show only after its action completed), in seconds.
   */
  readonly quietSeconds: number;
}

/** The measurement carried from round to round (epoch milliseconds). */
export interface Measurement {
  readonly probes: number;
  readonly failures: number;
  /** The first failed probe. */
  readonly firstFailureAt?: number;
  /** The first good probe after which none failed (reset by a failure). */
  readonly recoveredAt?: number;
  /** Failures after a recovery (the service came back, then failed again). */
  readonly relapses: number;
  /** The last probe's outcome, for the report. */
  readonly last?: string;
  /** When a round first saw the experiment ended (its end time when GetExperiment gives none). */
  readonly endSeenAt?: number;
}

/** The verdicts a run can end with. */
export type VerifierResult =
  | 'passed'
  | 'recovered-late'
  | 'not-recovered'
  | 'stopped-by-stop-condition'
  | 'experiment-failed'
  | 'data-lost'
  | 'data-unchecked';

/** What the probe function returns each round. */
export interface VerifierProbeOutput {
  readonly measurement: Measurement;
  /** True when the run is over: the report follows. */
  readonly done: boolean;
  readonly result?: VerifierResult;
  /** `result === 'passed'`. */
  readonly passed?: boolean;
  /** Seconds from the experiment's start to the first failed probe (-1: none failed). */
  readonly timeToDetectSeconds?: number;
  /** Seconds from the first failed probe to the stable recovery (0: none failed; -1: not recovered). */
  readonly timeToRecoverSeconds?: number;
  /** One line for the notification and the execution's output. */
  readonly summary?: string;
}

// ---------------------------------------------------------------------------------------------
// The data-volume marker (an Elastic IP failover group with a data volume)

/** The file the verifier writes its marker to, at the root of the data volume. */
export const DATA_MARKER_FILE = '.cdk-ha-patterns-resilience-marker';

/** The data marker function's environment (all values strings). */
export interface DataMarkerEnvironment {
  /** The Elastic IP whose holder has the data volume mounted. */
  readonly ALLOCATION_ID: string;
  /** Where the data volume is mounted on the instance. */
  readonly MOUNT_PATH: string;
  /** How long one invocation waits for a holder, for Systems Manager to reach it and for the command, in seconds. */
  readonly WAIT_SECONDS: string;
  /** The pause between two reads of the holder or the command, in milliseconds. */
  readonly POLL_MS: string;
}

/** What the state machine passes to the data marker function. */
export interface DataMarkerInput {
  /** `write` before the experiment starts, `check` once the service recovered. */
  readonly action: 'write' | 'check';
  /** For `check`: the marker `write` returned. */
  readonly marker?: string;
  /** For `check`: the probe's verdict, which the check completes. */
  readonly probe?: VerifierProbeOutput;
}

/** How a write or a check of the marker ended. */
export type DataMarkerStatus =
  /** Written and read back on the holder, before the experiment. */
  | 'written'
  /** Not written (the volume is not mounted, the command failed): the experiment is not started. */
  | 'not-written'
  /** Read on the holder after the recovery, as it was written. */
  | 'found'
  /** No marker on the holder's data volume, or no data volume mounted there. */
  | 'missing'
  /** A marker on the holder's data volume, but not the one written. */
  | 'different'
  /** No holder, or Systems Manager could not run the command on it in time. */
  | 'unreachable';

/** What one write or check found. */
export interface DataMarkerResult {
  readonly status: DataMarkerStatus;
  /** The instance that held the Elastic IP, when one did. */
  readonly instanceId?: string;
  /** One line for the report. */
  readonly detail: string;
}

/** What the function returns for `write`. */
export interface DataMarkerWriteOutput extends DataMarkerResult {
  /** The marker written (for `check`). */
  readonly marker: string;
}

/** What the function returns for `check`: the probe's verdict, completed with the marker's. */
export interface DataMarkerCheckOutput extends VerifierProbeOutput {
  readonly dataMarker: DataMarkerResult;
}
