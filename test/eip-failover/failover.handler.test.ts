import {
  AssociateAddressCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  StartInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AlarmEvent, FailoverEvent, handler, StateChangeEvent } from '../../src/eip-failover/failover.lambda';

const PRIMARY = 'i-0primary0000000000';
const STANDBY = 'i-0standby0000000000';
const ALLOCATION = 'eipalloc-0123456789abcdef0';
const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:failover';

const ec2Mock = mockClient(EC2Client);
const snsMock = mockClient(SNSClient);

type CheckStatus = 'ok' | 'impaired' | 'initializing' | 'not-applicable';
interface FakeInstance {
  state: string;
  checks: CheckStatus;
  /** States DescribeInstances reports next, one per call, before settling on `state`. */
  upcoming: string[];
  /** The state the instance reaches once `upcoming` is exhausted (a stop completing). */
  settlesTo?: string;
}

/**
 * A small model of the EC2 account the handler works on: who holds the Elastic IP, each instance's
 * state and status checks. The mocked EC2 calls read and change this model, so the tests assert on
 * what the handler did to the world (where the EIP ended up, which instance was started).
 */
class FakeEc2 {
  public holder: string | undefined = PRIMARY;
  public readonly instances: Record<string, FakeInstance> = {
    [PRIMARY]: { state: 'running', checks: 'ok', upcoming: [] },
    [STANDBY]: { state: 'running', checks: 'ok', upcoming: [] },
  };
  public readonly tags: Record<string, string> = { [PRIMARY]: 'primary', [STANDBY]: 'standby' };

  constructor() {
    ec2Mock.on(DescribeAddressesCommand).callsFake((input) => {
      expect(input).toEqual({ AllocationIds: [ALLOCATION] });
      return { Addresses: [{ AllocationId: ALLOCATION, PublicIp: '203.0.113.10', InstanceId: this.holder }] };
    });
    ec2Mock.on(DescribeInstanceStatusCommand).callsFake((input) => ({
      InstanceStatuses: (input.InstanceIds as string[]).map((id) => {
        const i = this.instances[id];
        const checks = i.state === 'running' ? i.checks : 'not-applicable';
        return {
          InstanceId: id,
          InstanceState: { Name: i.state },
          InstanceStatus: { Status: checks },
          SystemStatus: { Status: checks },
        };
      }),
    }));
    ec2Mock.on(DescribeInstancesCommand).callsFake((input) => {
      const id = (input.InstanceIds as string[])[0];
      const i = this.instances[id];
      const next = i.upcoming.shift();
      if (next === undefined && i.settlesTo) {
        i.state = i.settlesTo;
        i.settlesTo = undefined;
      }
      const state = next ?? i.state;
      return { Reservations: [{ Instances: [{ InstanceId: id, State: { Name: state } }] }] };
    });
    ec2Mock.on(StartInstancesCommand).callsFake((input) => {
      for (const id of input.InstanceIds as string[]) {
        const i = this.instances[id];
        if (i.state !== 'stopped') {
          throw Object.assign(new Error(`${id} is ${i.state}`), { name: 'IncorrectInstanceState' });
        }
        i.state = 'running';
        i.checks = 'initializing';
        i.upcoming = ['pending', 'pending'];
      }
      return {};
    });
    ec2Mock.on(AssociateAddressCommand).callsFake((input) => {
      if (this.instances[input.InstanceId].state !== 'running') {
        throw Object.assign(new Error('not running'), { name: 'IncorrectInstanceState' });
      }
      this.holder = input.InstanceId;
      return { AssociationId: 'eipassoc-1' };
    });
    ec2Mock.on(CreateTagsCommand).callsFake((input) => {
      for (const id of input.Resources as string[]) {
        for (const tag of input.Tags) this.tags[id] = tag.Value;
      }
      return {};
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  }
}

function stateChange(instanceId: string, state: string): StateChangeEvent {
  return {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    time: new Date(Date.now() - 30_000).toISOString(),
    detail: { 'instance-id': instanceId, state },
  };
}

function alarm(instanceId: string, metric: string, value = 'ALARM'): AlarmEvent {
  return {
    source: 'aws.cloudwatch',
    alarmArn: 'arn:aws:cloudwatch:eu-west-1:111111111111:alarm:x',
    time: new Date().toISOString(),
    alarmData: {
      alarmName: `Stack-Server${metric}`,
      state: { value, timestamp: new Date(Date.now() - 60_000).toISOString() },
      configuration: {
        metrics: [{ metricStat: { metric: { name: metric, dimensions: { InstanceId: instanceId } } } }],
      },
    },
  };
}

/** Every EC2 command the handler sent, by name, in order. */
function ec2Calls(): string[] {
  return ec2Mock.calls().map((c) => (c.args[0] as object).constructor.name);
}

let fake: FakeEc2;
let stdout: jest.SpyInstance;

beforeEach(() => {
  ec2Mock.reset();
  snsMock.reset();
  process.env.ALLOCATION_ID = ALLOCATION;
  process.env.PUBLIC_IP = '203.0.113.10';
  process.env.INSTANCE_IDS = `${PRIMARY},${STANDBY}`;
  process.env.TOPIC_ARN = TOPIC;
  process.env.ROLE_TAG_KEY = 'FailoverRole';
  process.env.POLL_INTERVAL_MS = '1';
  process.env.RETRY_BASE_DELAY_MS = '1';
  fake = new FakeEc2();
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

describe('failover', () => {
  test('holder stopped, standby stopped: the standby is started, waited for, and takes the EIP', async () => {
    fake.instances[PRIMARY].state = 'stopped';
    fake.instances[STANDBY].state = 'stopped';

    const result = await handler(stateChange(PRIMARY, 'stopped'));

    expect(result).toMatchObject({ action: 'moved', from: PRIMARY, to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
    expect(ec2Mock).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: [STANDBY] });
    expect(ec2Mock).toHaveReceivedCommandWith(AssociateAddressCommand, {
      AllocationId: ALLOCATION,
      InstanceId: STANDBY,
      AllowReassociation: true,
    });
    // Started, polled until running (pending, pending, running), then the EIP moved.
    const calls = ec2Calls();
    expect(calls.indexOf('StartInstancesCommand')).toBeLessThan(calls.indexOf('AssociateAddressCommand'));
    expect(calls.filter((c) => c === 'DescribeInstancesCommand')).toHaveLength(3);
    expect(fake.tags).toEqual({ [PRIMARY]: 'standby', [STANDBY]: 'primary' });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: expect.stringContaining(`moved to ${STANDBY}`),
    });
  });

  test('standby still stopping: waits until it has stopped, starts it, then moves the EIP', async () => {
    fake.instances[PRIMARY].state = 'stopped';
    fake.instances[STANDBY].state = 'stopping';
    fake.instances[STANDBY].upcoming = ['stopping'];
    fake.instances[STANDBY].settlesTo = 'stopped';

    const result = await handler(stateChange(PRIMARY, 'stopped'));

    expect(result).toMatchObject({ action: 'moved', to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
    const calls = ec2Calls();
    expect(calls.slice(0, 5)).toEqual([
      'DescribeAddressesCommand',
      'DescribeInstanceStatusCommand',
      'DescribeInstancesCommand', // stopping
      'DescribeInstancesCommand', // stopped
      'StartInstancesCommand',
    ]);
    expect(ec2Mock).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: [STANDBY] });
  });

  test('standby already running: the EIP moves without starting or waiting, in 5 EC2 calls', async () => {
    fake.instances[PRIMARY].state = 'stopping';

    const result = await handler(stateChange(PRIMARY, 'stopping'));

    expect(result).toMatchObject({ action: 'moved', from: PRIMARY, to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
    expect(ec2Mock).not.toHaveReceivedCommand(StartInstancesCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeInstancesCommand);
    // The hot path: who holds the EIP and the state of both instances (together), the move, one tag
    // per role (after the move).
    expect(ec2Calls()).toEqual([
      'DescribeAddressesCommand',
      'DescribeInstanceStatusCommand',
      'AssociateAddressCommand',
      'CreateTagsCommand',
      'CreateTagsCommand',
    ]);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, {
      InstanceIds: [PRIMARY, STANDBY],
      IncludeAllInstances: true,
    });
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [STANDBY],
      Tags: [{ Key: 'FailoverRole', Value: 'primary' }],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [PRIMARY],
      Tags: [{ Key: 'FailoverRole', Value: 'standby' }],
    });
  });

  test('the two reads are sent before either answers; the move waits for both, the tags for the move', async () => {
    fake.instances[PRIMARY].state = 'stopping';
    const sent: string[] = [];
    let statusAsked!: () => void;
    const statusWasAsked = new Promise<void>((resolve) => (statusAsked = resolve));
    const answer = { Addresses: [{ AllocationId: ALLOCATION, PublicIp: '203.0.113.10', InstanceId: PRIMARY }] };
    // DescribeAddresses answers only once DescribeInstanceStatus has been sent: a handler that
    // waited for the address before asking for the statuses would never get an answer (1 s).
    ec2Mock.on(DescribeAddressesCommand).callsFake(async () => {
      sent.push('DescribeAddresses');
      await Promise.race([
        statusWasAsked,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('DescribeInstanceStatus was not sent before this answer')), 1000),
        ),
      ]);
      sent.push('DescribeAddresses answered');
      return answer;
    });
    ec2Mock.on(DescribeInstanceStatusCommand).callsFake((input) => {
      sent.push('DescribeInstanceStatus');
      statusAsked();
      return {
        InstanceStatuses: (input.InstanceIds as string[]).map((id) => ({
          InstanceId: id,
          InstanceState: { Name: fake.instances[id].state },
          InstanceStatus: { Status: fake.instances[id].state === 'running' ? 'ok' : 'not-applicable' },
          SystemStatus: { Status: fake.instances[id].state === 'running' ? 'ok' : 'not-applicable' },
        })),
      };
    });
    ec2Mock.on(AssociateAddressCommand).callsFake((input) => {
      sent.push('AssociateAddress');
      fake.holder = input.InstanceId;
      return { AssociationId: 'eipassoc-1' };
    });
    ec2Mock.on(CreateTagsCommand).callsFake(() => {
      sent.push('CreateTags');
      return {};
    });

    const result = await handler(stateChange(PRIMARY, 'stopping'));

    expect(result).toMatchObject({ action: 'moved', to: STANDBY });
    expect(sent).toEqual([
      'DescribeAddresses',
      'DescribeInstanceStatus',
      'DescribeAddresses answered',
      'AssociateAddress',
      'CreateTags',
      'CreateTags',
    ]);
  });

  test('a status-check alarm on the holder moves the EIP', async () => {
    fake.instances[PRIMARY].checks = 'impaired';

    const result = await handler(alarm(PRIMARY, 'StatusCheckFailed_Instance'));

    expect(result).toMatchObject({ action: 'moved', to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
  });

  test('a CPU alarm on the holder moves the EIP even though its status checks pass', async () => {
    const result = await handler(alarm(PRIMARY, 'CPUUtilization'));
    expect(result).toMatchObject({ action: 'moved', to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
  });

  test('a terminated holder (EC2 has already released the EIP) hands the EIP to the other instance', async () => {
    fake.instances[PRIMARY].state = 'terminated';
    fake.holder = undefined;

    const result = await handler(stateChange(PRIMARY, 'terminated'));

    expect(result).toMatchObject({ action: 'moved', from: PRIMARY, to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
  });

  test('records the failover duration as an embedded-metric-format line', async () => {
    fake.instances[PRIMARY].state = 'stopped';
    await handler(stateChange(PRIMARY, 'stopped'));

    const lines = stdout.mock.calls.map((c) => String(c[0]));
    const emf = lines.map((l) => JSON.parse(l)).find((r) => r._aws);
    expect(emf._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'CdkHaPatterns/ElasticIpFailover',
      Dimensions: [['AllocationId']],
      Metrics: [
        { Name: 'FailoverDuration', Unit: 'Milliseconds' },
        { Name: 'TimeToRecovery', Unit: 'Milliseconds' },
      ],
    });
    expect(emf.AllocationId).toBe(ALLOCATION);
    expect(emf.FailoverDuration).toBeGreaterThanOrEqual(0);
    // The event is 30 s old: the time to recovery counts from it.
    expect(emf.TimeToRecovery).toBeGreaterThanOrEqual(30_000);
  });
});

/** The event of the health probe's alarm (its metric names the Elastic IP, not an instance). */
function probeAlarm(value = 'ALARM', allocationId = ALLOCATION): AlarmEvent {
  return {
    source: 'aws.cloudwatch',
    alarmArn: 'arn:aws:cloudwatch:eu-west-1:111111111111:alarm:probe',
    time: new Date().toISOString(),
    alarmData: {
      alarmName: 'Stack-ServerHealthProbeAlarm',
      state: { value, timestamp: new Date(Date.now() - 60_000).toISOString() },
      configuration: {
        metrics: [
          { metricStat: { metric: { name: 'HealthProbeFailed', dimensions: { AllocationId: allocationId } } } },
        ],
      },
    },
  };
}

describe('health probe', () => {
  test('a failed probe moves the EIP from its holder to the healthy other instance, whichever holds it', async () => {
    const first = await handler(probeAlarm());
    expect(first).toMatchObject({ action: 'moved', from: PRIMARY, to: STANDBY });
    expect(fake.holder).toBe(STANDBY);
    expect(fake.tags).toEqual({ [PRIMARY]: 'standby', [STANDBY]: 'primary' });

    // The service fails again on the new holder (a later ALARM): the EIP goes back.
    const again = await handler(probeAlarm());
    expect(again).toMatchObject({ action: 'moved', from: STANDBY, to: PRIMARY });
  });

  test('the two reads are sent together for a probe too (both instances, the EIP)', async () => {
    await handler(probeAlarm());
    expect(ec2Calls().slice(0, 2)).toEqual(['DescribeAddressesCommand', 'DescribeInstanceStatusCommand']);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, {
      InstanceIds: [PRIMARY, STANDBY],
      IncludeAllInstances: true,
    });
  });

  test('a failed probe with the other instance impaired leaves the EIP (both unhealthy)', async () => {
    fake.instances[STANDBY].checks = 'impaired';
    const result = await handler(probeAlarm());
    expect(result).toMatchObject({ action: 'both-unhealthy' });
    expect(fake.holder).toBe(PRIMARY);
  });

  test('the probe alarm returning to OK, or a probe of another Elastic IP, calls nothing', async () => {
    expect(await handler(probeAlarm('OK'))).toMatchObject({ action: 'ignored' });
    expect(await handler(probeAlarm('ALARM', 'eipalloc-0someoneelse00000'))).toMatchObject({ action: 'ignored' });
    expect(ec2Calls()).toEqual([]);
  });

  test('a failed probe while no instance holds the EIP moves nothing', async () => {
    fake.holder = undefined;
    const result = await handler(probeAlarm());
    expect(result).toMatchObject({
      action: 'ignored',
      reason: expect.stringContaining('no instance holds the Elastic IP'),
    });
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
  });
});

describe('no action', () => {
  test('an event about the standby moves nothing', async () => {
    fake.instances[STANDBY].state = 'stopped';

    const result = await handler(stateChange(STANDBY, 'stopped'));

    expect(result).toMatchObject({ action: 'ignored', reason: expect.stringContaining(`${PRIMARY} does`) });
    expect(fake.holder).toBe(PRIMARY);
    // The two reads, sent together; nothing is changed.
    expect(ec2Calls()).toEqual(['DescribeAddressesCommand', 'DescribeInstanceStatusCommand']);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a duplicate event delivered after the move moves nothing', async () => {
    fake.instances[PRIMARY].state = 'stopped';
    const event = stateChange(PRIMARY, 'stopped');
    await handler(event);
    expect(fake.holder).toBe(STANDBY);
    ec2Mock.resetHistory();
    snsMock.resetHistory();

    const again = await handler(event);

    expect(again).toMatchObject({ action: 'ignored' });
    expect(fake.holder).toBe(STANDBY);
    expect(ec2Calls()).toEqual(['DescribeAddressesCommand', 'DescribeInstanceStatusCommand']);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a stale stop event about a holder that is running and healthy again moves nothing', async () => {
    const result = await handler(stateChange(PRIMARY, 'stopped'));

    expect(result).toMatchObject({ action: 'ignored', reason: expect.stringContaining('healthy again') });
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
  });

  test('an alarm returning to OK moves nothing and calls nothing', async () => {
    const result = await handler(alarm(PRIMARY, 'StatusCheckFailed_System', 'OK'));
    expect(result).toMatchObject({ action: 'ignored' });
    expect(ec2Calls()).toEqual([]);
  });

  test('an event about an instance outside the pair calls nothing', async () => {
    const result = await handler(stateChange('i-0someoneelse000000', 'terminated'));
    expect(result).toMatchObject({ action: 'ignored' });
    expect(ec2Calls()).toEqual([]);
  });
});

describe('both unhealthy', () => {
  test('holder stopped and standby terminated: a notification, and the EIP stays where it is', async () => {
    fake.instances[PRIMARY].state = 'stopped';
    fake.instances[STANDBY].state = 'terminated';

    const result = await handler(stateChange(PRIMARY, 'stopped'));

    expect(result).toMatchObject({ action: 'both-unhealthy' });
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(StartInstancesCommand);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: expect.stringContaining('both instances unhealthy'),
      Message: expect.stringContaining(`Other:  ${STANDBY} (terminated`),
    });
  });

  test('holder alarming and standby impaired: no flapping to the impaired standby', async () => {
    fake.instances[PRIMARY].checks = 'impaired';
    fake.instances[STANDBY].checks = 'impaired';

    const result = await handler(alarm(PRIMARY, 'StatusCheckFailed_Instance'));

    expect(result).toMatchObject({ action: 'both-unhealthy' });
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.stringContaining('instance checks impaired'),
    });
  });
});

describe('errors', () => {
  // Retries are the SDK clients' own (the mock replaces send, so it cannot see them): see sdk-retries.handler.test.ts.

  test('an AssociateAddress failure surfaces (not swallowed), after a failure notification', async () => {
    fake.instances[PRIMARY].state = 'stopped';
    ec2Mock
      .on(AssociateAddressCommand)
      .rejects(Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation' }));

    await expect(handler(stateChange(PRIMARY, 'stopped'))).rejects.toThrow('You are not authorized');

    expect(ec2Mock).toHaveReceivedCommandTimes(AssociateAddressCommand, 1);
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateTagsCommand);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: expect.stringContaining('failover from'),
      Message: expect.stringContaining('UnauthorizedOperation'),
    });
  });

  test('a standby that never reaches running fails the failover within the wait bound', async () => {
    process.env.WAIT_TIMEOUT_SECONDS = '0.05';
    try {
      fake.instances[PRIMARY].state = 'stopped';
      fake.instances[STANDBY].state = 'pending';
      fake.instances[STANDBY].upcoming = Array(10_000).fill('pending');

      await expect(handler(stateChange(PRIMARY, 'stopped'))).rejects.toThrow(/still pending after waiting/);
      expect(fake.holder).toBe(PRIMARY);
    } finally {
      delete process.env.WAIT_TIMEOUT_SECONDS;
    }
  });

  test('refuses to run without its configuration', async () => {
    delete process.env.ALLOCATION_ID;
    const event: FailoverEvent = stateChange(PRIMARY, 'stopped');
    await expect(handler(event)).rejects.toThrow(/ALLOCATION_ID/);
  });
});
