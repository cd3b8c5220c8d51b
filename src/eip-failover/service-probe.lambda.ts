/*
 * The health probe of ElasticIpFailoverInstance (FailoverStrategy.standbyInstance({ healthProbe })).
 *
 * Run once a minute by an EventBridge schedule, outside the VPC: it checks the service through the
 * Elastic IP as a client does (an HTTP or HTTPS GET of a path, or a TCP connection), up to ATTEMPTS
 * times ATTEMPT_INTERVAL_MS apart, each bounded by TIMEOUT_MS, stopping at the first success. It
 * then writes one embedded-metric-format record: HealthProbeFailed = 1 when every attempt failed,
 * 0 otherwise, by AllocationId. An alarm on that metric invokes the failover function.
 *
 * A failed probe is a result, not an error: the handler throws only when its configuration is
 * wrong. HTTPS does not verify the certificate (the probe connects to an IP address, which no
 * certificate names). The decisions are in service-probe-decisions.ts; this module does the I/O.
 *
 * Imports only Node's built-ins, its own helpers and the contract it shares with the construct; it
 * calls no AWS API.
 */
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import { HEALTH_PROBE_FAILED_METRIC, HealthProbeEnvironment, METRIC_DIMENSION, METRIC_NAMESPACE } from './contract';
import {
  AttemptOutcome,
  AttemptResult,
  attemptOutcome,
  ProbeConfig,
  probeConfig,
  probeTarget,
  runHealthy,
} from './service-probe-decisions';

/** What one run did, returned for logs and tests. */
export interface ProbeRun {
  readonly healthy: boolean;
  readonly target: string;
  readonly attempts: { readonly outcome: AttemptOutcome; readonly durationMs: number }[];
}

export async function handler(): Promise<ProbeRun> {
  const config = probeConfig(process.env as Partial<Record<keyof HealthProbeEnvironment, string>>);
  const target = probeTarget(config);
  const attempts: ProbeRun['attempts'] = [];
  for (let i = 0; i < config.attempts; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, config.attemptIntervalMs));
    const started = Date.now();
    const outcome = attemptOutcome(config.protocol, await attempt(config));
    attempts.push({ outcome, durationMs: Date.now() - started });
    if (outcome.ok) break;
  }
  const healthy = runHealthy(attempts.map((a) => a.outcome));
  const last = attempts[attempts.length - 1].outcome;
  process.stdout.write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [[METRIC_DIMENSION]],
            Metrics: [{ Name: HEALTH_PROBE_FAILED_METRIC, Unit: 'Count' }],
          },
        ],
      },
      [METRIC_DIMENSION]: config.allocationId,
      [HEALTH_PROBE_FAILED_METRIC]: healthy ? 0 : 1,
      Target: target,
      Attempts: attempts.length,
      ...(last.ok ? {} : { LastFailure: last.failure }),
    }) + '\n',
  );
  const run: ProbeRun = { healthy, target, attempts };
  console.log(JSON.stringify({ message: healthy ? 'healthy' : 'unhealthy', ...run }));
  return run;
}

/** One attempt, resolved with what it saw (never rejects). */
function attempt(config: ProbeConfig): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    if (config.protocol === 'tcp') {
      const socket = net.connect({ host: config.publicIp, port: config.port });
      socket.setTimeout(config.timeoutMs, () => {
        done({ error: `timeout after ${config.timeoutMs} ms` });
        socket.destroy();
      });
      socket.once('connect', () => {
        done({ connected: true });
        socket.destroy();
      });
      socket.once('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
      return;
    }
    const get = config.protocol === 'https' ? https.get : http.get;
    const request = get(
      {
        host: config.publicIp,
        port: config.port,
        path: config.path,
        headers: { Host: config.publicIp },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        done({ status: res.statusCode });
        res.resume();
        res.destroy();
      },
    );
    request.setTimeout(config.timeoutMs, () => {
      done({ error: `timeout after ${config.timeoutMs} ms` });
      request.destroy();
    });
    request.once('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
  });
}
