import * as http from 'http';
import * as net from 'net';
import { Measurement, VerifierProbeInput } from '../../src/resilience/contract';
import { epochMs, verifierTarget } from '../../src/resilience/verifier-config';
import { handler } from '../../src/resilience/verifier.lambda';
import { closedPort, closeServers, listen } from '../support/sockets';

const saved = { ...process.env };
function configure(protocol: string, port: number): void {
  Object.assign(process.env, {
    PROTOCOL: protocol,
    HOST: '127.0.0.1',
    PORT: String(port),
    PATH: '/health',
    TIMEOUT_MS: '300',
  });
}
const FRESH: Measurement = { probes: 0, failures: 0, relapses: 0 };
function input(measurement: Measurement, status: string, ended = false): VerifierProbeInput {
  const now = Date.now();
  return {
    measurement,
    experiment: {
      State: { Status: status, Reason: status === 'stopped' ? 'Experiment stopped by stop condition' : undefined },
      StartTime: new Date(now - 60_000).toISOString(),
      EndTime: ended ? new Date(now - 120_000 + 60_000).toISOString() : undefined,
    },
    budgetSeconds: 30,
    recoveryWaitSeconds: 600,
    quietSeconds: 0,
  };
}

beforeEach(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
afterEach(() => {
  jest.restoreAllMocks();
  closeServers();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

describe('verifier probe handler (real sockets on 127.0.0.1)', () => {
  test('a service that fails, then answers: the rounds measure the outage and pass once the experiment completed', async () => {
    let up = false;
    const server = http.createServer((_req, res) => {
      res.statusCode = up ? 200 : 503;
      res.end();
    });
    configure('http', await listen(server));
    const first = await handler(input(FRESH, 'running'));
    expect(first).toMatchObject({ done: false, measurement: { probes: 1, failures: 1, last: 'HTTP 503' } });
    up = true;
    const second = await handler(input(first.measurement, 'running'));
    expect(second.done).toBe(false);
    expect(second.measurement.recoveredAt).toBeGreaterThanOrEqual(second.measurement.firstFailureAt!);
    const third = await handler(input(second.measurement, 'completed', true));
    expect(third).toMatchObject({ done: true, result: 'passed', passed: true });
    expect(third.timeToRecoverSeconds).toBeGreaterThanOrEqual(0);
    expect(third.timeToDetectSeconds).toBeGreaterThanOrEqual(59);
  });

  test('TCP to a closed port fails the probe; a listening one answers', async () => {
    configure('tcp', await closedPort());
    const failed = await handler(input(FRESH, 'running'));
    expect(failed.measurement).toMatchObject({ failures: 1, last: 'ECONNREFUSED' });
    configure('tcp', await listen(net.createServer((s) => s.end())));
    const answered = await handler(input(failed.measurement, 'running'));
    expect(answered.measurement).toMatchObject({ failures: 1, probes: 2, last: 'answered' });
  });

  test('an experiment stopped by a stop condition ends the run as such', async () => {
    configure('tcp', await closedPort());
    expect(await handler(input(FRESH, 'stopped', true))).toMatchObject({
      done: true,
      result: 'stopped-by-stop-condition',
      passed: false,
    });
  });

  test('a bad configuration throws, naming it (a failed probe never does)', async () => {
    configure('tcp', 80);
    process.env.PORT = '';
    await expect(handler(input(FRESH, 'running'))).rejects.toThrow(/needs PORT/);
    expect(() => verifierTarget({ PROTOCOL: 'ftp', HOST: 'h', PORT: '1' })).toThrow(/http, https or tcp, not ftp/);
    expect(() => verifierTarget({ PROTOCOL: 'tcp', HOST: 'h', PORT: '0' })).toThrow(/from 1 to 65535, not 0/);
  });

  test('Step Functions timestamps: ISO strings and epoch seconds', () => {
    expect(epochMs('2026-12-03T10:00:00Z')).toBe(Date.parse('2026-12-03T10:00:00Z'));
    expect(epochMs(1_796_000_000)).toBe(1_796_000_000_000);
    expect(epochMs(1_796_000_000_000)).toBe(1_796_000_000_000);
    expect(epochMs(undefined)).toBeUndefined();
    expect(epochMs('not a time')).toBeUndefined();
  });
});
