import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DescribeAddressesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  attemptOutcome,
  failedRunVerdict,
  probeConfig,
  probeTarget,
  runHealthy,
} from '../../src/eip-failover/service-probe-decisions';
import { handler } from '../../src/eip-failover/service-probe.lambda';
import { closedPort, closeServers, listen } from '../support/sockets';

const ec2Mock = mockClient(EC2Client);
const HOLDER = 'i-0holder00000000000';

const ALLOCATION = 'eipalloc-0123456789abcdef0';

describe('service probe decisions', () => {
  test.each([
    [199, false],
    [200, true],
    [302, true],
    [399, true],
    [400, false],
    [500, false],
    [503, false],
  ])('HTTP %d healthy: %s', (status, ok) => {
    expect(attemptOutcome('http', { status }).ok).toBe(ok);
    expect(attemptOutcome('https', { status }).ok).toBe(ok);
  });

  test('failures say what happened', () => {
    expect(attemptOutcome('http', { status: 503 })).toEqual({ ok: false, failure: 'HTTP 503' });
    expect(attemptOutcome('http', { error: 'ECONNREFUSED' })).toEqual({ ok: false, failure: 'ECONNREFUSED' });
    expect(attemptOutcome('tcp', { error: 'timeout after 5000 ms' })).toEqual({
      ok: false,
      failure: 'timeout after 5000 ms',
    });
    expect(attemptOutcome('tcp', { connected: true })).toEqual({ ok: true });
    expect(attemptOutcome('http', {})).toEqual({ ok: false, failure: 'no answer' });
  });

  test('a run is healthy when any attempt was', () => {
    expect(runHealthy([{ ok: false, failure: 'x' }, { ok: true }])).toBe(true);
    expect(runHealthy([{ ok: false, failure: 'x' }])).toBe(false);
  });

  test.each([
    ['no holder', false, {}, 0, /no instance holds the Elastic IP/],
    ['holder up 10 min, grace 5 min', true, { instanceId: HOLDER, launchTime: new Date(0) }, 600_000, undefined],
    [
      'holder up 4 min, grace 5 min',
      false,
      { instanceId: HOLDER, launchTime: new Date(0) },
      240_000,
      /started 240 s ago, within the startup grace of 300 s/,
    ],
    ['holder up exactly 5 min', true, { instanceId: HOLDER, launchTime: new Date(0) }, 300_000, undefined],
    ['launch time unknown (a failed read)', true, { instanceId: 'unknown' }, 1, undefined],
  ])('a failed run with %s: recorded %s', (_what, recorded, holder, now, reason) => {
    const verdict = failedRunVerdict(holder, now as number, 300_000);
    expect(verdict.record).toBe(recorded);
    if (reason) expect(verdict).toMatchObject({ reason: expect.stringMatching(reason as RegExp) });
  });

  test('no startup grace: a failed run of a holder just started is recorded', () => {
    expect(failedRunVerdict({ instanceId: HOLDER, launchTime: new Date(0) }, 1_000, 0)).toEqual({ record: true });
  });

  test('configuration: defaults, the target, and refusals naming the variable', () => {
    const base = { ALLOCATION_ID: ALLOCATION, PUBLIC_IP: '203.0.113.10', PROTOCOL: 'https', PORT: '443' };
    const config = probeConfig(base);
    expect(config).toMatchObject({
      path: '/',
      timeoutMs: 5000,
      attempts: 3,
      attemptIntervalMs: 5000,
      startupGraceMs: 0,
    });
    expect(probeConfig({ ...base, STARTUP_GRACE_SECONDS: '300' }).startupGraceMs).toBe(300_000);
    expect(probeTarget({ ...config, path: '/health' })).toBe('https://203.0.113.10:443/health');
    expect(probeTarget(probeConfig({ ...base, PROTOCOL: 'tcp', PORT: '5432' }))).toBe('tcp://203.0.113.10:5432');
    expect(() => probeConfig({ ...base, PORT: undefined })).toThrow(/needs PORT/);
    expect(() => probeConfig({ ...base, PUBLIC_IP: '' })).toThrow(/needs PUBLIC_IP/);
    expect(() => probeConfig({ ...base, PROTOCOL: 'ftp' })).toThrow(/PROTOCOL must be http, https or tcp, not ftp/);
    expect(() => probeConfig({ ...base, PORT: '70000' })).toThrow(/PORT must be a port number .*70000/);
  });
});

/** Answers each request with the next status of `statuses` (the last repeats). */
function httpServer(statuses: number[]): { server: http.Server; requests: string[] } {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.statusCode = statuses.length > 1 ? statuses.shift()! : statuses[0];
    res.end('body');
  });
  return { server, requests };
}

let stdout: jest.SpyInstance;
const saved = { ...process.env };

function configure(protocol: string, port: number, extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    ALLOCATION_ID: ALLOCATION,
    PUBLIC_IP: '127.0.0.1',
    PROTOCOL: protocol,
    PORT: String(port),
    PATH: '/health',
    TIMEOUT_MS: '300',
    ATTEMPTS: '3',
    ATTEMPT_INTERVAL_MS: '10',
    ...extra,
  });
}

/** The embedded-metric-format record the run wrote. */
function record(): any {
  const lines = stdout.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"_aws"'));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

/** The holder of the Elastic IP, as the EC2 mock reports it: started `upSeconds` ago. */
function holderUp(upSeconds: number): void {
  ec2Mock.on(DescribeAddressesCommand, { AllocationIds: [ALLOCATION] }).resolves({
    Addresses: [{ AllocationId: ALLOCATION, InstanceId: HOLDER }],
  });
  ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [HOLDER] }).resolves({
    Reservations: [{ Instances: [{ InstanceId: HOLDER, LaunchTime: new Date(Date.now() - upSeconds * 1000) }] }],
  });
}

beforeEach(() => {
  ec2Mock.reset();
  holderUp(3600);
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
  closeServers();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

describe('service probe handler (real sockets on 127.0.0.1)', () => {
  test('HTTP 200: healthy after one attempt; the metric record is 0 for this Elastic IP', async () => {
    const { server, requests } = httpServer([200]);
    configure('http', await listen(server));
    const run = await handler();
    expect(run.healthy).toBe(true);
    expect(run.attempts).toHaveLength(1);
    expect(requests).toEqual(['GET /health']);
    // A healthy run reads nothing of EC2.
    expect(ec2Mock.calls()).toHaveLength(0);
    const emf = record();
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'CdkHaPatterns/ElasticIpFailover',
        Dimensions: [['AllocationId']],
        Metrics: [{ Name: 'HealthProbeFailed', Unit: 'Count' }],
      },
    ]);
    expect(emf).toMatchObject({ AllocationId: ALLOCATION, HealthProbeFailed: 0, Attempts: 1 });
  });

  test('HTTP 503 every time: unhealthy after 3 attempts, metric 1, the last failure recorded', async () => {
    const { server, requests } = httpServer([503]);
    configure('http', await listen(server));
    const run = await handler();
    expect(run.healthy).toBe(false);
    expect(requests).toHaveLength(3);
    expect(record()).toMatchObject({ HealthProbeFailed: 1, Attempts: 3, LastFailure: 'HTTP 503' });
  });

  test('503 then 200: healthy on the second attempt', async () => {
    const { server } = httpServer([503, 200]);
    configure('http', await listen(server));
    const run = await handler();
    expect(run.healthy).toBe(true);
    expect(run.attempts.map((a) => a.outcome.ok)).toEqual([false, true]);
    expect(record().HealthProbeFailed).toBe(0);
  });

  test('a server that accepts but never answers: each attempt times out', async () => {
    const hung = http.createServer(() => undefined);
    configure('http', await listen(hung), { ATTEMPTS: '2' });
    const run = await handler();
    expect(run.healthy).toBe(false);
    expect(run.attempts.map((a) => a.outcome)).toEqual([
      { ok: false, failure: 'timeout after 300 ms' },
      { ok: false, failure: 'timeout after 300 ms' },
    ]);
  });

  test('a closed port: ECONNREFUSED, unhealthy', async () => {
    configure('http', await closedPort());
    const run = await handler();
    expect(run.healthy).toBe(false);
    expect(record()).toMatchObject({ HealthProbeFailed: 1, LastFailure: 'ECONNREFUSED' });
  });

  test('HTTPS with a self-signed certificate (not verified): healthy', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-cert-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const server = https.createServer(
      { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) },
      (_req, res) => {
        res.statusCode = 204;
        res.end();
      },
    );
    configure('https', await listen(server));
    const run = await handler();
    expect(run).toMatchObject({ healthy: true, target: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/health$/) });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('TCP: a listening port is healthy, a closed one is not', async () => {
    const server = net.createServer((socket) => socket.end());
    configure('tcp', await listen(server));
    expect((await handler()).healthy).toBe(true);
    configure('tcp', await closedPort());
    expect((await handler()).healthy).toBe(false);
  });

  test('a bad configuration throws, naming it (a failed probe never does)', async () => {
    configure('http', 80, { PORT: '' });
    await expect(handler()).rejects.toThrow(/needs PORT/);
    configure('gopher', 80);
    await expect(handler()).rejects.toThrow(/PROTOCOL must be http, https or tcp, not gopher/);
  });

  test("a failed run within the startup grace of the holder's start records nothing (the alarm sees no data)", async () => {
    holderUp(60);
    configure('http', await closedPort(), { STARTUP_GRACE_SECONDS: '300' });
    const run = await handler();
    expect(run.healthy).toBe(false);
    expect(run.notRecorded).toMatch(new RegExp(`${HOLDER} started 60 s ago, within the startup grace of 300 s`));
    const lines = stdout.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"_aws"'));
    expect(lines).toHaveLength(0);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeAddressesCommand, { AllocationIds: [ALLOCATION] });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [HOLDER] });
  });

  test('a failed run after the startup grace is recorded', async () => {
    holderUp(301);
    configure('http', await closedPort(), { STARTUP_GRACE_SECONDS: '300' });
    const run = await handler();
    expect(run.notRecorded).toBeUndefined();
    expect(record()).toMatchObject({ HealthProbeFailed: 1 });
  });

  test('nothing holds the Elastic IP: a failed run records nothing', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: ALLOCATION }] });
    configure('http', await closedPort(), { STARTUP_GRACE_SECONDS: '300' });
    const run = await handler();
    expect(run.notRecorded).toMatch(/no instance holds the Elastic IP/);
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });

  test('the EC2 read fails: the failed run is recorded anyway (a read error never hides a failure)', async () => {
    ec2Mock
      .on(DescribeAddressesCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));
    configure('http', await closedPort(), { STARTUP_GRACE_SECONDS: '300' });
    const run = await handler();
    expect(run.notRecorded).toBeUndefined();
    expect(record()).toMatchObject({ HealthProbeFailed: 1 });
  });
});
