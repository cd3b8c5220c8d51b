// Internal: the verifier probe's settings, read from its environment, and the experiment's times
// as the state machine passes them (pure). Imports only types, so the bundled handler can import
// it. Not exported from the package.
import type { VerifierEnvironment, VerifierProbeProtocol } from './contract';
import type { AttemptTarget } from '../common/probe-attempt';

const PROTOCOLS: readonly string[] = ['http', 'https', 'tcp'];

/** Where the verifier probes; throws naming what is missing or wrong. */
export function verifierTarget(env: Partial<Record<keyof VerifierEnvironment, string>>): AttemptTarget {
  for (const name of ['PROTOCOL', 'HOST', 'PORT'] as const) {
    if (!env[name]) throw new Error(`The verifier probe needs ${name} in its environment`);
  }
  if (!PROTOCOLS.includes(env.PROTOCOL!)) {
    throw new Error(`The verifier probe's PROTOCOL must be http, https or tcp, not ${env.PROTOCOL}`);
  }
  const port = Number(env.PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`The verifier probe's PORT must be a port number from 1 to 65535, not ${env.PORT}`);
  }
  const timeoutMs = Number(env.TIMEOUT_MS);
  return {
    protocol: env.PROTOCOL as VerifierProbeProtocol,
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
