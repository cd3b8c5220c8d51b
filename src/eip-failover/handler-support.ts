// Shared by the failover and lifecycle hook handlers: retries, the failover metric, small helpers.
// Imports nothing (handlers import only the AWS SDK and their own helpers).

/** Error names and codes AWS services use for throttling. */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
]);

/** How often and how patiently to retry. */
export interface RetryBudget {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** The first retry waits up to this long; each next one up to twice as long. */
  readonly retryBaseDelayMs: number;
}

/**
 * Runs an AWS call, retrying throttling and server errors with exponential backoff and full jitter.
 * The handlers' SDK clients make one attempt each, so this is the only retry budget.
 */
export async function withRetries<T>(budget: RetryBudget, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= budget.maxRetries || !isRetryable(e)) throw e;
      const delay = Math.random() * budget.retryBaseDelayMs * 2 ** attempt;
      console.warn(
        JSON.stringify({ message: 'retrying', attempt: attempt + 1, error: errorText(e), delayMs: Math.round(delay) }),
      );
      await sleep(delay);
    }
  }
}

/** Throttling, 429 and 5xx errors (and what the SDK marks retryable) are worth another attempt. */
export function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (THROTTLING_CODES.has(err?.name ?? '') || THROTTLING_CODES.has(err?.Code ?? '')) return true;
  if (err?.$retryable) return true;
  const status = err?.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

/** One failover, as the metrics `FailoverDuration` and `TimeToRecovery` record it. */
export interface FailoverMetric {
  readonly namespace: string;
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
  const metrics: { Name: string; Unit: string }[] = [{ Name: 'FailoverDuration', Unit: 'Milliseconds' }];
  const record: Record<string, unknown> = {
    AllocationId: m.allocationId,
    NewPrimary: m.newPrimary,
    FailoverDuration: m.durationMs,
  };
  if (m.eventTimeMs !== undefined) {
    metrics.push({ Name: 'TimeToRecovery', Unit: 'Milliseconds' });
    record.TimeToRecovery = Math.max(0, Date.now() - m.eventTimeMs);
  }
  process.stdout.write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: m.namespace, Dimensions: [['AllocationId']], Metrics: metrics }],
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
