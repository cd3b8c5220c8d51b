// Internal: the pure decisions of the health probe (STYLE, "Handlers: decide purely"): what its
// environment says, what one attempt's answer means and what a run concluded. Imports only types
// and the shared probe attempt, so the bundled handler can import it. Not exported from the package.
import type { HealthProbeEnvironment, HealthProbeProtocol } from './contract';
import { AttemptOutcome, probeEndpoint } from '../common/probe-attempt';

/** The probe's settings, read from its environment. */
export interface ProbeConfig {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly protocol: HealthProbeProtocol;
  readonly port: number;
  readonly path: string;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly attemptIntervalMs: number;
  /** A failed run within this long of the holder's start records nothing (0: no grace). */
  readonly startupGraceMs: number;
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** The settings, with defaults (3 attempts 5 s apart, 5 s each); throws naming what is missing or wrong. */
export function probeConfig(env: Partial<Record<keyof HealthProbeEnvironment, string>>): ProbeConfig {
  const { protocol, port } = probeEndpoint('The health probe', env, ['ALLOCATION_ID', 'PUBLIC_IP', 'PROTOCOL', 'PORT']);
  return {
    allocationId: env.ALLOCATION_ID!,
    publicIp: env.PUBLIC_IP!,
    protocol,
    port,
    path: env.PATH || '/',
    timeoutMs: positive(env.TIMEOUT_MS, 5000),
    attempts: Math.floor(positive(env.ATTEMPTS, 3)),
    attemptIntervalMs: positive(env.ATTEMPT_INTERVAL_MS, 5000),
    startupGraceMs: positive(env.STARTUP_GRACE_SECONDS, 0) * 1000,
  };
}

/** What the probe reaches, for logs and the metric record: a URL, or `tcp://ip:port`. */
export function probeTarget(config: ProbeConfig): string {
  const base = `${config.protocol}://${config.publicIp}:${config.port}`;
  return config.protocol === 'tcp' ? base : `${base}${config.path}`;
}

export { attemptOutcome } from '../common/probe-attempt';
export type { AttemptOutcome, AttemptResult } from '../common/probe-attempt';

/** A run is healthy when one of its attempts was. */
export function runHealthy(outcomes: readonly AttemptOutcome[]): boolean {
  return outcomes.some((o) => o.ok);
}

/** What the probe knows of the instance holding the Elastic IP after a failed run. */
export interface HolderView {
  /** The holder's instance ID; undefined when no instance holds the Elastic IP. */
  readonly instanceId?: string;
  /** When the holder last started (EC2 `LaunchTime`, which a stop and start renews). */
  readonly launchTime?: Date;
}

/** Whether a failed run is recorded (as HealthProbeFailed 1), and why not when it is not. */
export type FailedRunVerdict = { readonly record: true } | { readonly record: false; readonly reason: string };

/**
 * A failed run counts unless nothing holds the Elastic IP (there is no instance to fail over from:
 * a replacement is on its way) or the holder started less than the startup grace ago (its service
 * may still be starting: at the stack's creation, after a standby was started to take over, or when
 * the Auto Scaling group launched a new instance). A holder whose launch time is unknown counts, so
 * a failed read never hides a failure.
 */
export function failedRunVerdict(holder: HolderView, now: number, startupGraceMs: number): FailedRunVerdict {
  if (holder.instanceId === undefined) {
    return { record: false, reason: 'no instance holds the Elastic IP' };
  }
  if (startupGraceMs > 0 && holder.launchTime !== undefined) {
    const upMs = now - holder.launchTime.getTime();
    if (upMs < startupGraceMs) {
      return {
        record: false,
        reason: `${holder.instanceId} started ${Math.round(upMs / 1000)} s ago, within the startup grace of ${Math.round(startupGraceMs / 1000)} s`,
      };
    }
  }
  return { record: true };
}
