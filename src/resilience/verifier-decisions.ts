// Internal: the pure decisions of the resilience verifier (STYLE, "Handlers: decide purely"): what
// one probe adds to the measurement, and what the measurement and the experiment's state conclude.
// Imports only types, so the bundled handler can import it. Not exported from the package.
import type { Measurement, VerifierProbeOutput, VerifierResult } from './contract';

/** The statuses of an experiment (GetExperiment) after which it does nothing more. */
export const FINAL_EXPERIMENT_STATUSES: readonly string[] = ['completed', 'stopped', 'failed', 'cancelled'];

/**
 * The measurement after one probe at `at` (epoch ms): the first failure is kept; a good probe
 * after a failure marks the recovery, which a later failure takes back (a relapse), so the
 * recovery measured is the one that lasted.
 */
export function recordProbe(previous: Measurement | undefined, ok: boolean, at: number, what: string): Measurement {
  const m: Measurement = previous ?? { probes: 0, failures: 0, relapses: 0 };
  if (ok) {
    const recoveredAt = m.firstFailureAt !== undefined && m.recoveredAt === undefined ? at : m.recoveredAt;
    return { ...m, probes: m.probes + 1, recoveredAt, last: what };
  }
  return {
    ...m,
    probes: m.probes + 1,
    failures: m.failures + 1,
    firstFailureAt: m.firstFailureAt ?? at,
    recoveredAt: undefined,
    relapses: m.recoveredAt !== undefined ? m.relapses + 1 : m.relapses,
    last: what,
  };
}

/** What the verifier knows of the experiment and its limits (epoch ms and seconds). */
export interface VerdictInput {
  readonly experimentStart: number;
  readonly status: string;
  readonly reason?: string;
  /** When the experiment ended; `now` is used when its status is final and no end time is given. */
  readonly experimentEnd?: number;
  readonly budgetSeconds: number;
  readonly recoveryWaitSeconds: number;
  readonly quietSeconds: number;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * Whether the run is over and how it ended:
 * - an experiment still running: go on probing;
 * - `failed` or `cancelled`: the experiment did not inject its fault as planned (`experiment-failed`);
 * - `stopped`: a stop condition (one of the construct's alarms) or a person stopped it: the service
 *   degraded beyond what the pattern claims (`stopped-by-stop-condition`);
 * - `completed`: once the service has recovered from the outage it had, `passed` when the recovery
 *   took at most the budget and `recovered-late` otherwise; with no failure seen, `passed` once it
 *   answered `quietSeconds` past the end; still failing `recoveryWaitSeconds` past the end,
 *   `not-recovered`.
 * Times: to detect, from the experiment's start to the first failed probe; to recover, from the
 * first failed probe to the first good one after which none failed.
 */
export function verdict(measured: Measurement, input: VerdictInput, now: number): VerifierProbeOutput {
  if (!FINAL_EXPERIMENT_STATUSES.includes(input.status)) return { measurement: measured, done: false };
  const m: Measurement = { ...measured, endSeenAt: measured.endSeenAt ?? now };
  const timeToDetectSeconds = m.firstFailureAt === undefined ? -1 : seconds(m.firstFailureAt - input.experimentStart);
  const recovered = m.firstFailureAt !== undefined && m.recoveredAt !== undefined;
  const timeToRecoverSeconds =
    m.firstFailureAt === undefined ? 0 : recovered ? seconds(m.recoveredAt! - m.firstFailureAt) : -1;
  const finish = (result: VerifierResult, why: string): VerifierProbeOutput => ({
    measurement: m,
    done: true,
    result,
    passed: result === 'passed',
    timeToDetectSeconds,
    timeToRecoverSeconds,
    summary: `${result}: ${why} (${m.probes} probes, ${m.failures} failed${m.relapses > 0 ? `, ${m.relapses} relapse(s)` : ''})`,
  });
  const because = input.reason ? `: ${input.reason}` : '';
  if (input.status === 'failed' || input.status === 'cancelled') {
    return finish('experiment-failed', `the experiment ${input.status}${because}`);
  }
  if (input.status === 'stopped') {
    return finish('stopped-by-stop-condition', `the experiment was stopped${because}`);
  }
  const sinceEnd = (now - (input.experimentEnd ?? m.endSeenAt!)) / 1000;
  if (m.firstFailureAt === undefined) {
    if (sinceEnd < input.quietSeconds) return { measurement: m, done: false };
    return finish('passed', `no probe failed during the experiment or ${input.quietSeconds} s after it`);
  }
  if (recovered) {
    return timeToRecoverSeconds <= input.budgetSeconds
      ? finish('passed', `recovered in ${timeToRecoverSeconds} s, within the budget of ${input.budgetSeconds} s`)
      : finish('recovered-late', `recovered in ${timeToRecoverSeconds} s, over the budget of ${input.budgetSeconds} s`);
  }
  if (sinceEnd < input.recoveryWaitSeconds) return { measurement: m, done: false };
  return finish(
    'not-recovered',
    `still failing ${input.recoveryWaitSeconds} s after the experiment ended (last: ${m.last ?? 'no answer'})`,
  );
}
