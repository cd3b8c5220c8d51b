// Shared by the failover, lifecycle hook and data retention handlers: the SDK clients' retry
// settings, typed environments, the failover metric, small helpers. Imports only the SDK's retry
// strategy (bundled) and the contract (handlers never import aws-cdk-lib).
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { FAILOVER_DURATION_METRIC, METRIC_DIMENSION, METRIC_NAMESPACE, TIME_TO_RECOVERY_METRIC } from './contract';

/** Retries after the first attempt of each AWS call, unless `MAX_RETRIES` says otherwise. */
export const DEFAULT_MAX_RETRIES = 6;
/** The first retry waits up to this long (each next one up to twice as long), unless `RETRY_BASE_DELAY_MS` says otherwise. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 200;

/** The client configuration {@link retryingClientConfig} returns. */
export interface RetryingClientConfig {
  readonly maxAttempts: () => Promise<number>;
  readonly retryStrategy: ConfiguredRetryStrategy;
}

/**
 * The retry settings of a handler's SDK client: the SDK's standard retry strategy (throttling and
 * transient errors: 429, 500, 502, 503, 504, timeouts and connection resets), up to `MAX_RETRIES`
 * retries (default 6) with exponential backoff and full jitter from `RETRY_BASE_DELAY_MS` (default
 * 200). Both are read from the environment at each call, so a client created when the module loads
 * follows the environment of the invocation.
 */
export function retryingClientConfig(): RetryingClientConfig {
  const maxAttempts = async () => numberFrom(process.env.MAX_RETRIES, DEFAULT_MAX_RETRIES) + 1;
  return {
    maxAttempts,
    // The SDK calls this before each retry, with the retry's number (1 for the first).
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, (retry) => {
      const delay =
        Math.random() * numberFrom(process.env.RETRY_BASE_DELAY_MS, DEFAULT_RETRY_BASE_DELAY_MS) * 2 ** (retry - 1);
      console.warn(JSON.stringify({ message: 'retrying', attempt: retry, delayMs: Math.round(delay) }));
      return delay;
    }),
  };
}

/** The environment of a handler as its contract (`FailoverEnvironment`, ...) describes it: every variable may be missing. */
export type EnvironmentOf<T> = { readonly [K in keyof T]?: string };

/** `process.env`, typed by the handler's contract. */
export function environment<T>(): EnvironmentOf<T> {
  return process.env as EnvironmentOf<T>;
}

/** The number an environment variable holds, or `fallback` when it is unset or empty. */
export function numberFrom(value: string | undefined, fallback: number): number {
  return value ? Number(value) : fallback;
}

/** One failover, as the metrics `FailoverDuration` and `TimeToRecovery` record it. */
export interface FailoverMetric {
  readonly allocationId: string;
  /** The instance that now holds the Elastic IP. */
  readonly newPrimary: string;
  /** How long the handler took. */
  readonly durationMs: number;
  /** When the failure (or the launch) was first reported, if known. */
  readonly eventTimeMs?: number;
}

/**
 * Writes the failover durations as a CloudWatch embedded-metric-format record (no API call), straight
 * to stdout: Lambda's console.log prefixes each line (time, request id, level), and CloudWatch only
 * extracts metrics from a line that is the JSON document alone.
 */
export function emitFailoverMetric(m: FailoverMetric): void {
  const metrics: { Name: string; Unit: string }[] = [{ Name: FAILOVER_DURATION_METRIC, Unit: 'Milliseconds' }];
  const record: Record<string, unknown> = {
    [METRIC_DIMENSION]: m.allocationId,
    NewPrimary: m.newPrimary,
    [FAILOVER_DURATION_METRIC]: m.durationMs,
  };
  if (m.eventTimeMs !== undefined) {
    metrics.push({ Name: TIME_TO_RECOVERY_METRIC, Unit: 'Milliseconds' });
    record[TIME_TO_RECOVERY_METRIC] = Math.max(0, Date.now() - m.eventTimeMs);
  }
  process.stdout.write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[METRIC_DIMENSION]], Metrics: metrics }],
      },
      ...record,
    }) + '\n',
  );
}

/** `Name: message` of an error, for logs and notifications. */
export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
