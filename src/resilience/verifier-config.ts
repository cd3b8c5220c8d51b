// Internal: the verifier probe's settings, read from its environment, and the experiment's times
// as the state machine passes them (pure). Imports only types and the shared probe endpoint check,
// so the bundled handler can import it. Not exported from the package.
import type { VerifierEnvironment } from './contract';
import { AttemptTarget, probeEndpoint } from '../common/probe-attempt';

/** Where the verifier probes; throws naming what is missing or wrong. */
export function verifierTarget(env: Partial<Record<keyof VerifierEnvironment, string>>): AttemptTarget {
  const { protocol, port } = probeEndpoint('The verifier probe', env, ['PROTOCOL', 'HOST', 'PORT']);
  const timeoutMs = Number(env.TIMEOUT_MS);
  return {
    protocol,
    host: env.HOST!,
    port,
    path: env.PATH || '/',
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 3000,
  };
}

/**
 * A time as Step Functions passes an SDK integration's timestamp: an ISO 8601 string, or epoch
 * seconds; undefined when absent or unreadable.
 */
export function epochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
