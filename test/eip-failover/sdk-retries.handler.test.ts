import * as http from 'http';
import type { AddressInfo } from 'net';
import { DescribeAddressesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { FailoverEvent, FailoverResult } from '../../src/eip-failover/failover.lambda';
import { retryingClientConfig } from '../../src/eip-failover/handler-support';
import { handlerEnvironment, loadBundledHandler } from '../support/moto-server';

// The handlers' SDK clients retry throttling and transient errors themselves (the SDK's standard
// retry strategy, configured by retryingClientConfig). aws-sdk-client-mock replaces `send`, so the
// other handler tests cannot see it: here real clients talk to a tiny EC2 endpoint on 127.0.0.1
// that answers from a script, and the test counts the requests that reach it.

const ALLOCATION = 'eipalloc-0123456789abcdef0';
const PRIMARY = 'i-0primary0000000000';
const STANDBY = 'i-0standby0000000000';

/** One scripted answer: the HTTP status and the EC2 error code, or a successful DescribeAddresses. */
type Answer = { readonly status: number; readonly code: string } | { readonly holder: string };

const throttled: Answer = { status: 503, code: 'RequestLimitExceeded' };
const unavailable: Answer = { status: 503, code: 'Unavailable' };
const unauthorized: Answer = { status: 403, code: 'UnauthorizedOperation' };

class FakeEc2 {
  public static async start(): Promise<FakeEc2> {
    const fake = new FakeEc2();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The actions of the requests received, in order. */
  public readonly requests: string[] = [];
  /** What the next requests get; once used up, the last answer repeats. */
  public script: Answer[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '?';
      this.requests.push(action);
      if (action === 'DescribeInstanceStatus') {
        // Sent with DescribeAddresses (the failover function reads both at once): always answered,
        // so the script is DescribeAddresses's alone.
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>` +
            `<instanceStatusSet/></DescribeInstanceStatusResponse>`,
        );
        return;
      }
      const answer = this.script.length > 1 ? this.script.shift()! : this.script[0];
      if ('holder' in answer) {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeAddressesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>` +
            `<addressesSet><item><allocationId>${ALLOCATION}</allocationId><instanceId>${answer.holder}</instanceId>` +
            `<publicIp>203.0.113.10</publicIp><domain>vpc</domain></item></addressesSet></DescribeAddressesResponse>`,
        );
      } else {
        res.writeHead(answer.status, { 'content-type': 'text/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${answer.code}</Code>` +
            `<Message>scripted ${answer.code}</Message></Error></Errors><RequestID>r</RequestID></Response>`,
        );
      }
    });
  });

  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let fake: FakeEc2;
const savedEnv = process.env;

beforeAll(async () => {
  fake = await FakeEc2.start();
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.requests.length = 0;
  process.env = handlerEnvironment(fake.endpoint, { RETRY_BASE_DELAY_MS: '1' });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  process.env = savedEnv;
  jest.restoreAllMocks();
});

describe('a client configured by retryingClientConfig', () => {
  let client: EC2Client;
  beforeEach(() => {
    client = new EC2Client({
      ...retryingClientConfig(),
      region: 'eu-west-1',
      endpoint: fake.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });
  afterEach(() => client.destroy());
  const describeAddresses = () => client.send(new DescribeAddressesCommand({ AllocationIds: [ALLOCATION] }));

  test.each([
    ['throttling (RequestLimitExceeded, 503)', throttled],
    ['a transient server error (503)', unavailable],
  ])('retries %s and succeeds', async (_, error) => {
    fake.script = [error, error, { holder: PRIMARY }];

    const out = await describeAddresses();

    expect(out.Addresses?.[0]?.InstanceId).toBe(PRIMARY);
    expect(fake.requests).toEqual(['DescribeAddresses', 'DescribeAddresses', 'DescribeAddresses']);
  });

  test('does not retry an error that is not retryable', async () => {
    fake.script = [unauthorized, { holder: PRIMARY }];

    await expect(describeAddresses()).rejects.toMatchObject({ name: 'UnauthorizedOperation' });

    expect(fake.requests).toEqual(['DescribeAddresses']);
  });

  test('gives up after MAX_RETRIES retries (the environment of the call, not of the client creation)', async () => {
    process.env.MAX_RETRIES = '2';
    fake.script = [throttled];

    await expect(describeAddresses()).rejects.toMatchObject({ name: 'RequestLimitExceeded' });

    expect(fake.requests).toHaveLength(3);
  });

  test('makes seven attempts by default, backing off from RETRY_BASE_DELAY_MS', async () => {
    fake.script = [throttled];
    const warn = jest.mocked(console.warn);

    await expect(describeAddresses()).rejects.toMatchObject({ name: 'RequestLimitExceeded' });

    expect(fake.requests).toHaveLength(7);
    const delays = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as { attempt: number; delayMs: number });
    expect(delays.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    // Full jitter: up to 1 ms * 2^(attempt - 1).
    for (const d of delays) expect(d.delayMs).toBeLessThanOrEqual(2 ** (d.attempt - 1));
  });
});

describe('the bundled failover function', () => {
  interface Handler {
    handler(event: FailoverEvent): Promise<FailoverResult>;
  }

  test('retries its EC2 calls: throttled twice, then it reads the Elastic IP and carries on', async () => {
    Object.assign(process.env, {
      ALLOCATION_ID: ALLOCATION,
      INSTANCE_IDS: `${PRIMARY},${STANDBY}`,
      TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:failover',
    });
    const fn = loadBundledHandler<Handler>('eip-failover/failover.lambda');
    // The standby is reported stopped, but the primary holds the Elastic IP: nothing more to do.
    fake.script = [throttled, throttled, { holder: PRIMARY }];

    const result = await fn.handler({
      source: 'aws.ec2',
      'detail-type': 'EC2 Instance State-change Notification',
      detail: { 'instance-id': STANDBY, state: 'stopped' },
    });

    expect(result).toMatchObject({ action: 'ignored', reason: expect.stringContaining(`${PRIMARY} does`) });
    expect(fake.requests.filter((a) => a === 'DescribeAddresses')).toEqual([
      'DescribeAddresses',
      'DescribeAddresses',
      'DescribeAddresses',
    ]);
    expect(fake.requests.filter((a) => a !== 'DescribeAddresses')).toEqual(['DescribeInstanceStatus']);
  });
});
