/*
 * The probe of a resilience experiment's verifier (addResilienceExperiments()). The verifier's
 * state machine starts the experiment, then every few seconds reads it (GetExperiment) and
 * invokes this function, which probes the service once the way its users reach it (an HTTP(S)
 * GET of a URL, or a TCP connection to an address and port), adds the answer to the measurement
 * it was given and returns the measurement and whether the run is over, with the verdict: the
 * state machine then publishes MeasuredRecoveryTime and notifies the topic.
 *
 * A failed probe is a result, not an error: the handler throws only when its configuration is
 * wrong. The decisions are in verifier-decisions.ts; this module probes.
 *
 * Imports only Node's built-ins (through the shared probe attempt), its own helpers and the
 * contract it shares with the construct; it calls no AWS API.
 */
import type { VerifierEnvironment, VerifierProbeInput, VerifierProbeOutput } from './contract';
import { epochMs, verifierTarget } from './verifier-config';
import { recordProbe, verdict } from './verifier-decisions';
import { attempt, attemptOutcome } from '../common/probe-attempt';

export async function handler(input: VerifierProbeInput): Promise<VerifierProbeOutput> {
  const target = verifierTarget(process.env as Partial<Record<keyof VerifierEnvironment, string>>);
  const outcome = attemptOutcome(target.protocol, await attempt(target));
  const now = Date.now();
  const measurement = recordProbe(input.measurement, outcome.ok, now, outcome.ok ? 'answered' : outcome.failure);
  const started = epochMs(input.experiment?.StartTime) ?? now;
  const out = verdict(
    measurement,
    {
      experimentStart: started,
      status: input.experiment?.State?.Status ?? 'unknown',
      reason: input.experiment?.State?.Reason,
      experimentEnd: epochMs(input.experiment?.EndTime),
      budgetSeconds: input.budgetSeconds,
      recoveryWaitSeconds: input.recoveryWaitSeconds,
      quietSeconds: input.quietSeconds,
    },
    now,
  );
  console.log(JSON.stringify({ message: 'verifier probe', ok: outcome.ok, ...out }));
  return out;
}
