// Internal: the pure decisions of the verifier's data-volume marker (STYLE, "Handlers: decide
// purely"): the shell commands that write and read the marker, what a command invocation's result
// means, and how the marker completes the probe's verdict. Imports only types and constants, so
// the bundled handler can import it. Not exported from the package.
import {
  DATA_MARKER_FILE,
  DataMarkerCheckOutput,
  DataMarkerResult,
  DataMarkerStatus,
  VerifierProbeOutput,
} from './contract';

/** A mount path the commands may name: absolute, letters, digits and `._/-` only (as `dataVolume.mountPath`). */
export const MOUNT_PATH_PATTERN = /^\/[A-Za-z0-9._/-]+$/;

/** A marker the commands may write: letters, digits and `._:-` only (the function makes them). */
export const MARKER_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** The exit code of the commands when nothing is mounted at the mount path. */
export const NOT_MOUNTED_EXIT = 3;
/** The exit code of the read when the volume is mounted but holds no marker. */
export const NO_MARKER_EXIT = 4;

/** The statuses of a command invocation (GetCommandInvocation) after which it does nothing more. */
export const FINAL_COMMAND_STATUSES: readonly string[] = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

/** The marker file's path on the instance; throws when the mount path is not one the commands may name. */
export function markerPath(mountPath: string): string {
  if (!MOUNT_PATH_PATTERN.test(mountPath) || mountPath.replace(/\/+$/, '') === '') {
    throw new Error(
      `The data marker's MOUNT_PATH must be an absolute path of letters, digits and ._/- (got ${JSON.stringify(mountPath)})`,
    );
  }
  return `${mountPath.replace(/\/+$/, '')}/${DATA_MARKER_FILE}`;
}

function mountCheck(mountPath: string): string {
  const dir = mountPath.replace(/\/+$/, '');
  return `if ! mountpoint -q '${dir}'; then echo 'nothing is mounted at ${dir}' >&2; exit ${NOT_MOUNTED_EXIT}; fi`;
}

/**
 * The commands (AWS-RunShellScript) that write `marker` to the data volume and read it back: into
 * a temporary file, flushed, renamed over the marker file and flushed again, so a snapshot taken
 * from then on holds it. Only on a mounted volume (never on the root volume under the mount path).
 */
export function writeCommands(mountPath: string, marker: string): string[] {
  if (!MARKER_PATTERN.test(marker)) throw new Error(`Not a data marker: ${JSON.stringify(marker)}`);
  const file = markerPath(mountPath);
  return [
    'set -eu',
    mountCheck(mountPath),
    `printf '%s\\n' '${marker}' > '${file}.tmp'`,
    'sync',
    `mv -f '${file}.tmp' '${file}'`,
    'sync',
    `cat '${file}'`,
  ];
}

/** The commands (AWS-RunShellScript) that read the marker from the data volume. */
export function readCommands(mountPath: string): string[] {
  const file = markerPath(mountPath);
  return [
    'set -eu',
    mountCheck(mountPath),
    `if [ ! -f '${file}' ]; then echo 'no marker at ${file}' >&2; exit ${NO_MARKER_EXIT}; fi`,
    `cat '${file}'`,
  ];
}

/** The part of GetCommandInvocation's answer the decisions read. */
export interface CommandInvocation {
  readonly Status?: string;
  readonly StatusDetails?: string;
  readonly ResponseCode?: number;
  readonly StandardOutputContent?: string;
  readonly StandardErrorContent?: string;
}

function why(invocation: CommandInvocation): string {
  const error = (invocation.StandardErrorContent ?? '').trim().split('\n').pop();
  return [
    `${invocation.Status ?? 'unknown'}${invocation.StatusDetails && invocation.StatusDetails !== invocation.Status ? ` (${invocation.StatusDetails})` : ''}`,
    invocation.ResponseCode !== undefined && invocation.ResponseCode >= 0 ? `exit ${invocation.ResponseCode}` : '',
    error ?? '',
  ]
    .filter((part) => part !== '')
    .join(', ');
}

/**
 * What a finished invocation of the write commands on `instanceId` means: `written` when it
 * succeeded and printed the marker back, `not-written` otherwise; undefined while it runs.
 */
export function writeOutcome(
  invocation: CommandInvocation,
  marker: string,
  instanceId: string,
): DataMarkerResult | undefined {
  if (!FINAL_COMMAND_STATUSES.includes(invocation.Status ?? '')) return undefined;
  if (invocation.Status === 'Success' && (invocation.StandardOutputContent ?? '').trim() === marker) {
    return { status: 'written', instanceId, detail: `marker written to the data volume of ${instanceId}` };
  }
  return {
    status: 'not-written',
    instanceId,
    detail: `could not write the marker on ${instanceId}: ${why(invocation)}`,
  };
}

/**
 * What a finished invocation of the read commands on `instanceId` means: `found` when it printed
 * the marker written, `different` when it printed another, `missing` when nothing is mounted or
 * the volume holds no marker, `unreachable` when the command did not run to its end (timed out,
 * cancelled, failed otherwise); undefined while it runs.
 */
export function checkOutcome(
  invocation: CommandInvocation,
  expected: string,
  instanceId: string,
): DataMarkerResult | undefined {
  if (!FINAL_COMMAND_STATUSES.includes(invocation.Status ?? '')) return undefined;
  const read = (invocation.StandardOutputContent ?? '').trim();
  if (invocation.Status === 'Success') {
    return read === expected
      ? { status: 'found', instanceId, detail: `the data-volume marker survived, read on ${instanceId}` }
      : {
          status: 'different',
          instanceId,
          detail: `the data volume of ${instanceId} holds another marker (${read.slice(0, 128) || 'empty'}) than the one written (${expected})`,
        };
  }
  if (
    invocation.Status === 'Failed' &&
    (invocation.ResponseCode === NOT_MOUNTED_EXIT || invocation.ResponseCode === NO_MARKER_EXIT)
  ) {
    return { status: 'missing', instanceId, detail: `the marker is gone on ${instanceId}: ${why(invocation)}` };
  }
  return {
    status: 'unreachable',
    instanceId,
    detail: `could not read the marker on ${instanceId}: ${why(invocation)}`,
  };
}

const LOST: readonly DataMarkerStatus[] = ['missing', 'different'];

/**
 * The probe's verdict completed with the marker check: a marker found keeps it (and says so); a
 * marker missing or different makes the run `data-lost`, a check that could not run
 * `data-unchecked`, and neither passes, whatever the recovery time was.
 */
export function withDataMarker(probe: VerifierProbeOutput, marker: DataMarkerResult): DataMarkerCheckOutput {
  if (marker.status === 'found') {
    return { ...probe, summary: `${probe.summary ?? probe.result}; ${marker.detail}`, dataMarker: marker };
  }
  const result = LOST.includes(marker.status) ? 'data-lost' : 'data-unchecked';
  return {
    ...probe,
    result,
    passed: false,
    summary: `${result}: ${marker.detail}; the service: ${probe.summary ?? probe.result}`,
    dataMarker: marker,
  };
}
