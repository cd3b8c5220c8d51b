/*
 * The health probe of ElasticIpFailoverInstance (FailoverStrategy.standbyInstance({ healthProbe })).
 *
 * Run once a minute by an EventBridge schedule, outside the VPC: it checks the service through the
 * Elastic IP as a client does (an HTTP or HTTPS GET of a path, or a TCP connection), up to ATTEMPTS
 * times ATTEMPT_INTERVAL_MS apart, each bounded by TIMEOUT_MS, stopping at the first success. It
 * then writes one embedded-metric-format record: HealthProbeFailed = 1 when every attempt failed,
 * 0 otherwise, by AllocationId. An alarm on that metric invokes the failover function.
 *
 * A failed run is recorded only when an instance holds the Elastic IP and it started longer than
 * STARTUP_GRACE_SECONDS ago (DescribeAddresses, then DescribeInstances for its LaunchTime; a healthy
 * run reads nothing): otherwise the run writes no record, which the alarm treats as not breaching,
 * so a service still starting is not failed over. A read that fails records the failure anyway.
 *
 * A failed probe is a result, not an error: the handler throws only when its configuration is
 * wrong. HTTPS does not verify the certificate (the probe connects to an IP address, which no
 * certificate names). The decisions are in service-probe-decisions.ts; this module does the I/O.
 *
 * Imports only Node's built-ins, the AWS SDK v3's EC2 client (provided by the Lambda runtime), its
 * own helpers and the contract it shares with the construct.
 */
import { DescribeAddressesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { HEALTH_PROBE_FAILED_METRIC, HealthProbeEnvironment, METRIC_DIMENSION, METRIC_NAMESPACE } from './contract';
import {
  AttemptOutcome,
  attemptOutcome,
  failedRunVerdict,
  HolderView,
  probeConfig,
  probeTarget,
  runHealthy,
} from './service-probe-decisions';
import { attempt } from '../common/probe-attempt';

/** What one run did, returned for logs and tests. */
export interface ProbeRun {
  readonly healthy: boolean;
  readonly target: string;
  readonly attempts: { readonly outcome: AttemptOutcome; readonly durationMs: number }[];
  /** Why a failed run recorded nothing (no holder, or within the startup grace). */
  readonly notRecorded?: string;
}

const ec2 = new EC2Client({});

export async function handler(): Promise<ProbeRun> {
  const config = probeConfig(process.env as Partial<Record<keyof HealthProbeEnvironment, string>>);
  const target = probeTarget(config);
  const attempts: ProbeRun['attempts'] = [];
  for (let i = 0; i < config.attempts; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, config.attemptIntervalMs));
    const started = Date.now();
    const outcome = attemptOutcome(config.protocol, await attempt({ ...config, host: config.publicIp }));
    attempts.push({ outcome, durationMs: Date.now() - started });
    if (outcome.ok) break;
  }
  const healthy = runHealthy(attempts.map((a) => a.outcome));
  const last = attempts[attempts.length - 1].outcome;
  if (!healthy) {
    const verdict = failedRunVerdict(await holderOf(config.allocationId), Date.now(), config.startupGraceMs);
    if (!verdict.record) {
      const run: ProbeRun = { healthy, target, attempts, notRecorded: verdict.reason };
      console.log(JSON.stringify({ message: 'unhealthy, not recorded', ...run }));
      return run;
    }
  }
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

/**
 * The instance holding the Elastic IP and when it started. A read that fails is logged and gives
 * a holder of unknown launch time, so the failed run is recorded.
 */
async function holderOf(allocationId: string): Promise<HolderView> {
  try {
    const addresses = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
    const instanceId = addresses.Addresses?.[0]?.InstanceId;
    if (instanceId === undefined) return {};
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const launchTime = described.Reservations?.[0]?.Instances?.[0]?.LaunchTime;
    return { instanceId, launchTime: launchTime === undefined ? undefined : new Date(launchTime) };
  } catch (e) {
    const err = e as { name?: string; message?: string };
    console.log(
      JSON.stringify({
        message: 'could not read the holder of the Elastic IP',
        error: `${err?.name}: ${err?.message}`,
      }),
    );
    return { instanceId: 'unknown' };
  }
}
