// Internal: the pure decisions of the CNAME swap's checks (STYLE, "Handlers: decide purely"): what
// the enhanced health status, the HTTP check's answer and the alarms' states mean for the swap.
// Imports nothing, so the bundled handler can import it. Not exported from the package.

/** What a check concluded: go on, try again later, or stop the cutover (with why). */
export type Verdict = { readonly verdict: 'ok' } | { readonly verdict: 'retry' | 'fail'; readonly reason: string };

/**
 * Enhanced health's `HealthStatus` of the environment becoming live (DescribeEnvironmentHealth;
 * one of NoData, Unknown, Pending, Ok, Info, Warning, Degraded, Severe, Suspended): only `Ok`
 * lets the swap go on. `Degraded`, `Severe` and `Suspended` stop it at once; the others (an
 * operation in progress, too little data yet, a warning) may clear, so they are asked again.
 */
export function healthVerdict(
  environmentName: string,
  healthStatus: string | undefined,
  causes: string[] = [],
): Verdict {
  if (healthStatus === 'Ok') return { verdict: 'ok' };
  const because = causes.length > 0 ? `: ${causes.join('; ')}` : '';
  const reason = `enhanced health rates ${environmentName} ${healthStatus ?? 'nothing (no status)'}, not Ok${because}`;
  return { verdict: ['Degraded', 'Severe', 'Suspended'].includes(healthStatus ?? '') ? 'fail' : 'retry', reason };
}

/** What one HTTP check saw: a status code, or an error (timeout, connection refused...). */
export interface ProbeResult {
  readonly status?: number;
  readonly error?: string;
}

/** The HTTP check passes with a 2xx or 3xx answer; anything else may pass on another try. */
export function probeVerdict(url: string, result: ProbeResult): Verdict {
  if (result.status !== undefined && result.status >= 200 && result.status < 400) return { verdict: 'ok' };
  const saw = result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? 'no answer');
  return { verdict: 'retry', reason: `GET ${url} answered ${saw}, not 2xx or 3xx` };
}

/** One alarm as DescribeAlarms reports it. */
export interface AlarmState {
  readonly name: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  readonly state: string;
}

/** Whether the swap may go on: none of the alarms of the environment becoming live is in ALARM. */
export function alarmsBeforeSwapVerdict(environmentName: string, alarms: AlarmState[]): Verdict {
  const firing = alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  if (firing.length === 0) return { verdict: 'ok' };
  return { verdict: 'fail', reason: `alarm(s) of ${environmentName} already in ALARM: ${firing.join(', ')}` };
}

/** What the bake concluded at one poll. */
export type BakeVerdict =
  { readonly verdict: 'continue' | 'passed' } | { readonly verdict: 'rollback'; readonly firing: string[] };

/**
 * One poll of the bake: any alarm in ALARM rolls back; otherwise the bake passes once `now`
 * reaches its end and continues before. `INSUFFICIENT_DATA` is not a failure (a new environment's
 * request metrics may have no data yet).
 */
export function bakeVerdict(alarms: AlarmState[], now: number, end: number): BakeVerdict {
  const firing = alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  if (firing.length > 0) return { verdict: 'rollback', firing };
  return { verdict: now >= end ? 'passed' : 'continue' };
}

/**
 * When the bake ends: `bakeSeconds` after it starts, but never later than `latestEnd` (the time
 * that still leaves room to swap back and answer CloudFormation).
 */
export function bakeEnd(start: number, bakeSeconds: number, latestEnd: number): number {
  return Math.min(start + bakeSeconds * 1000, latestEnd);
}

/**
 * Whether CloudFormation is rolling the stack back (`DescribeStacks`' `StackStatus`). During a
 * rollback a cutover puts the previous live slot back: it was serving before this deployment, so
 * it is neither checked nor baked, and nothing may make the rollback fail.
 */
export function isRollingBack(stackStatus: string | undefined): boolean {
  return stackStatus === 'UPDATE_ROLLBACK_IN_PROGRESS';
}

/** What a Route 53 cutover's check resource does with one request. */
export type CutoverCheckPlan = { readonly act: true } | { readonly act: false; readonly reason: string };

/**
 * A check acts on an Update that changes the live environment (a cutover), unless the stack is
 * rolling back; a Create (nothing was live before), a Delete, or an Update that keeps the live
 * environment check nothing. `stackStatus` is read only when it matters (undefined otherwise).
 */
export function cutoverCheckPlan(
  requestType: string,
  previousLive: string | undefined,
  live: string,
  stackStatus: string | undefined,
): CutoverCheckPlan {
  if (requestType !== 'Update') return { act: false, reason: `${requestType}: no cutover` };
  if (previousLive === live) return { act: false, reason: `${live} stays live: no cutover` };
  if (isRollingBack(stackStatus)) {
    return { act: false, reason: `the stack is rolling back to ${live}, which was live before` };
  }
  return { act: true };
}
