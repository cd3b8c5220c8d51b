import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEnvironmentHealthCommand,
  DescribeEnvironmentsCommand,
  ElasticBeanstalkClient,
  EnvironmentDescription,
  SwapEnvironmentCNAMEsCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CutoverClients, onEvent, WaitOptions } from '../../src/beanstalk/cname-swap.lambda';
import { CustomResourceEvent, CustomResourceResponse, respond } from '../../src/common/cfn-response';

const APP = 'shop';
const BLUE = 'Prod-Shop-Blue';
const GREEN = 'Prod-Shop-Green';
const LIVE_CNAME = 'prod-shop-blue.eu-west-1.elasticbeanstalk.com';
const OTHER_CNAME = 'prod-shop-green.eu-west-1.elasticbeanstalk.com';

const eb = mockClient(ElasticBeanstalkClient);
const client = new ElasticBeanstalkClient({ region: 'eu-west-1' });

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  live: string,
  idle: string,
  physicalResourceId?: string,
): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: 'https://example.com/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Prod/1',
    RequestId: 'request-1',
    LogicalResourceId: 'CnameSwap',
    ResourceType: 'Custom::BeanstalkCnameSwap',
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: {
      ServiceToken: 'arn:fn',
      ApplicationName: APP,
      LiveEnvironmentName: live,
      IdleEnvironmentName: idle,
    },
  };
}

function env(name: string, cname: string, status = 'Ready'): EnvironmentDescription {
  return {
    EnvironmentName: name,
    ApplicationName: APP,
    CNAME: cname,
    Status: status as EnvironmentDescription['Status'],
  };
}

/** A clock that advances only when the handler sleeps, so waits are instant and counted. */
function fakeClock(timeoutMs = 60_000, pollIntervalMs = 10_000): WaitOptions & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    deadline: timeoutMs,
    pollIntervalMs,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const cw = mockClient(CloudWatchClient);
const cwClient = new CloudWatchClient({ region: 'eu-west-1' });
const cfn = mockClient(CloudFormationClient);
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Prod/1';

/** The stack's status as DescribeStacks reports it. */
function stackStatus(status: string): void {
  cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
    Stacks: [{ StackName: 'Prod', StackId: STACK_ID, StackStatus: status as never, CreationTime: new Date() }],
  });
}

beforeEach(() => {
  eb.reset();
  cw.reset();
  cfn.reset();
  stackStatus('UPDATE_IN_PROGRESS');
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('CNAME swap handler', () => {
  test('is a no-op on create: the live slot already holds the live CNAME, which becomes the physical id', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves({ Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME)] });

    const result = await onEvent(event('Create', BLUE, GREEN), client, fakeClock());

    expect(result).toEqual({
      physicalResourceId: LIVE_CNAME,
      data: { LiveCname: LIVE_CNAME, IdleCname: OTHER_CNAME, Swapped: 'false' },
    });
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
    expect(eb).toHaveReceivedCommandWith(DescribeEnvironmentsCommand, {
      ApplicationName: APP,
      EnvironmentNames: [BLUE, GREEN],
      IncludeDeleted: false,
    });
  });

  test('is a no-op on update when the live slot already holds the live CNAME (a repeated deployment)', async () => {
    // Green became live earlier: it holds the live CNAME now.
    eb.on(DescribeEnvironmentsCommand).resolves({ Environments: [env(BLUE, OTHER_CNAME), env(GREEN, LIVE_CNAME)] });

    const result = await onEvent(event('Update', GREEN, BLUE, LIVE_CNAME), client, fakeClock());

    expect(result.physicalResourceId).toBe(LIVE_CNAME);
    expect(result.data?.Swapped).toBe('false');
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('swaps when the live slot does not hold the live CNAME, then checks the result', async () => {
    eb.on(DescribeEnvironmentsCommand)
      .resolvesOnce({ Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME)] })
      .resolves({ Environments: [env(BLUE, OTHER_CNAME), env(GREEN, LIVE_CNAME)] });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});

    const result = await onEvent(event('Update', GREEN, BLUE, LIVE_CNAME), client, fakeClock());

    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 1);
    expect(eb).toHaveReceivedCommandWith(SwapEnvironmentCNAMEsCommand, {
      SourceEnvironmentName: BLUE,
      DestinationEnvironmentName: GREEN,
    });
    expect(result).toEqual({
      physicalResourceId: LIVE_CNAME,
      data: { LiveCname: LIVE_CNAME, IdleCname: OTHER_CNAME, Swapped: 'true' },
    });
  });

  test('waits while an environment is updating, before and after the swap', async () => {
    eb.on(DescribeEnvironmentsCommand)
      .resolvesOnce({ Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME, 'Updating')] })
      .resolvesOnce({ Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME)] })
      .resolvesOnce({ Environments: [env(BLUE, OTHER_CNAME, 'Updating'), env(GREEN, LIVE_CNAME, 'Updating')] })
      .resolves({ Environments: [env(BLUE, OTHER_CNAME), env(GREEN, LIVE_CNAME)] });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});
    const clock = fakeClock();

    const result = await onEvent(event('Update', GREEN, BLUE, LIVE_CNAME), client, clock);

    expect(clock.sleeps).toEqual([10_000, 10_000]);
    expect(eb).toHaveReceivedCommandTimes(DescribeEnvironmentsCommand, 4);
    // The swap is sent only once both environments are Ready.
    const calls = eb.calls().map((c) => c.args[0].constructor.name);
    expect(calls).toEqual([
      'DescribeEnvironmentsCommand',
      'DescribeEnvironmentsCommand',
      'SwapEnvironmentCNAMEsCommand',
      'DescribeEnvironmentsCommand',
      'DescribeEnvironmentsCommand',
    ]);
    expect(result.data?.Swapped).toBe('true');
  });

  test('fails clearly on timeout, naming the environment that is not Ready, and never swaps', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves({
      Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME, 'Updating')],
    });
    const clock = fakeClock(35_000, 10_000);

    await expect(onEvent(event('Update', GREEN, BLUE, LIVE_CNAME), client, clock)).rejects.toThrow(
      /Timed out after 30 s waiting for the environments of shop to be Ready \(Prod-Shop-Green is Updating\)/,
    );
    expect(clock.sleeps).toHaveLength(3);
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('fails clearly when an environment is missing or terminating', async () => {
    eb.on(DescribeEnvironmentsCommand).resolvesOnce({ Environments: [env(BLUE, LIVE_CNAME)] });
    await expect(onEvent(event('Create', BLUE, GREEN), client, fakeClock())).rejects.toThrow(
      /Environment Prod-Shop-Green of application shop does not exist/,
    );

    eb.on(DescribeEnvironmentsCommand).resolves({
      Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME, 'Terminating')],
    });
    await expect(onEvent(event('Create', BLUE, GREEN), client, fakeClock())).rejects.toThrow(
      /Prod-Shop-Green .* is Terminating/,
    );
  });

  test('fails when the swap did not move the live CNAME', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves({ Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME)] });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});

    await expect(onEvent(event('Update', GREEN, BLUE, LIVE_CNAME), client, fakeClock())).rejects.toThrow(
      /After swapping CNAMEs, environment Prod-Shop-Green has prod-shop-green/,
    );
  });

  test('when the recorded live CNAME is gone (an environment was replaced), the live slot keeps its own', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves({
      Environments: [env(BLUE, 'new-blue.elasticbeanstalk.com'), env(GREEN, OTHER_CNAME)],
    });

    const result = await onEvent(event('Update', BLUE, GREEN, LIVE_CNAME), client, fakeClock());

    expect(result.physicalResourceId).toBe('new-blue.elasticbeanstalk.com');
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('delete leaves the environments alone', async () => {
    const result = await onEvent(event('Delete', BLUE, GREEN, LIVE_CNAME), client, fakeClock());

    expect(result).toEqual({ physicalResourceId: LIVE_CNAME });
    expect(eb.calls()).toHaveLength(0);
  });
});

describe('custom resource response', () => {
  const context = { logStreamName: '2026/11/25/[$LATEST]abc', getRemainingTimeInMillis: () => 900_000 };

  test('reports SUCCESS with the physical id and data', async () => {
    const sent: CustomResourceResponse[] = [];
    await respond(
      event('Create', BLUE, GREEN),
      context,
      async () => ({ physicalResourceId: LIVE_CNAME, data: { LiveCname: LIVE_CNAME } }),
      async (url, response) => {
        expect(url).toBe('https://example.com/response');
        sent.push(response);
      },
    );
    expect(sent).toEqual([
      {
        Status: 'SUCCESS',
        PhysicalResourceId: LIVE_CNAME,
        StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Prod/1',
        RequestId: 'request-1',
        LogicalResourceId: 'CnameSwap',
        Data: { LiveCname: LIVE_CNAME },
      },
    ]);
  });

  test('reports FAILED with the error message and the log stream instead of timing out', async () => {
    const sent: CustomResourceResponse[] = [];
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await respond(
      event('Create', BLUE, GREEN),
      context,
      async () => {
        throw new Error('Timed out after 870 s');
      },
      async (_url, response) => {
        sent.push(response);
      },
    );
    expect(sent[0]).toMatchObject({
      Status: 'FAILED',
      Reason: 'Timed out after 870 s (log stream 2026/11/25/[$LATEST]abc)',
      PhysicalResourceId: 'CnameSwap-create-failed',
    });
  });
});

describe('CNAME swap that checks before and steps back after', () => {
  const ALARMS = ['Prod-Shop-Green-EnvironmentHealth', 'Prod-Shop-Green-ServerErrorRate'];
  const checked = (requestType: 'Create' | 'Update' = 'Update'): CustomResourceEvent => {
    const e = event(requestType, GREEN, BLUE, LIVE_CNAME);
    return {
      ...e,
      ResourceProperties: {
        ...e.ResourceProperties,
        RequireHealthOk: 'true',
        HttpCheck: { Scheme: 'http', Path: '/health' },
        LiveAlarmNames: ALARMS,
        BakeSeconds: '300',
      },
    };
  };
  const before = { Environments: [env(BLUE, LIVE_CNAME), env(GREEN, OTHER_CNAME)] };
  const after = { Environments: [env(BLUE, OTHER_CNAME), env(GREEN, LIVE_CNAME)] };
  const alarms = (state: string) => ({
    MetricAlarms: ALARMS.map((AlarmName) => ({ AlarmName, StateValue: state as any })),
  });
  const clients = (statuses: number[] = [200]): CutoverClients & { urls: string[] } => {
    const urls: string[] = [];
    return {
      cloudwatch: cwClient,
      probe: async (url) => {
        urls.push(url);
        const status = statuses[Math.min(urls.length - 1, statuses.length - 1)];
        return { status };
      },
      urls,
    };
  };
  const calls = () => eb.calls().map((c) => c.args[0].constructor.name);
  const swaps = () => eb.commandCalls(SwapEnvironmentCNAMEsCommand).map((c) => c.args[0].input);

  test('healthy: checks health, the HTTP path and the alarms, swaps, bakes the whole bake time, succeeds', async () => {
    eb.on(DescribeEnvironmentsCommand).resolvesOnce(before).resolves(after);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});
    cw.on(DescribeAlarmsCommand).resolves(alarms('OK'));
    const clock = fakeClock(900_000, 15_000);
    const probe = clients();

    const result = await onEvent(checked(), client, clock, probe);

    expect(result.data?.Swapped).toBe('true');
    expect(eb).toHaveReceivedCommandWith(DescribeEnvironmentHealthCommand, {
      EnvironmentName: GREEN,
      AttributeNames: ['HealthStatus', 'Causes'],
    });
    // The environment becoming live is checked at its own (still idle) CNAME.
    expect(probe.urls).toEqual([`http://${OTHER_CNAME}/health`]);
    expect(swaps()).toEqual([{ SourceEnvironmentName: BLUE, DestinationEnvironmentName: GREEN }]);
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ALARMS });
    // Bake: 300 s in polls of 15 s.
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(300_000);
    expect(calls().indexOf('DescribeEnvironmentHealthCommand')).toBeLessThan(
      calls().indexOf('SwapEnvironmentCNAMEsCommand'),
    );
  });

  test('unhealthy before: no swap, the request fails with the health status and its causes', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(before);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Degraded', Causes: ['40% of requests fail'] });
    cw.on(DescribeAlarmsCommand).resolves(alarms('OK'));

    await expect(onEvent(checked(), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(
      /Did not swap the CNAMEs: enhanced health rates Prod-Shop-Green Degraded, not Ok: 40% of requests fail/,
    );
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('health Info that stays Info: asked 4 times, then no swap', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(before);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Info' });
    await expect(onEvent(checked(), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(/Info, not Ok/);
    expect(eb).toHaveReceivedCommandTimes(DescribeEnvironmentHealthCommand, 4);
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('the HTTP check failing 3 times: no swap', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(before);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    const probe = clients([503]);
    await expect(onEvent(checked(), client, fakeClock(900_000, 15_000), probe)).rejects.toThrow(
      /Did not swap the CNAMEs: GET http:\/\/prod-shop-green.eu-west-1.elasticbeanstalk.com\/health answered HTTP 503/,
    );
    expect(probe.urls).toHaveLength(3);
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('an alarm of the environment becoming live already in ALARM: no swap', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(before);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    cw.on(DescribeAlarmsCommand).resolves(alarms('ALARM'));
    await expect(onEvent(checked(), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(/already in ALARM/);
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('an alarm during the bake: swaps back and fails', async () => {
    eb.on(DescribeEnvironmentsCommand).resolvesOnce(before).resolvesOnce(after).resolves(before);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce(alarms('OK')) // before the swap
      .resolvesOnce(alarms('OK'))
      .resolvesOnce(alarms('OK'))
      .resolves({ MetricAlarms: [{ AlarmName: ALARMS[1], StateValue: 'ALARM' }] });

    await expect(onEvent(checked(), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(
      /Alarm\(s\) of Prod-Shop-Green went to ALARM during the bake after the swap \(Prod-Shop-Green-ServerErrorRate\): swapped the CNAMEs back/,
    );
    expect(swaps()).toEqual([
      { SourceEnvironmentName: BLUE, DestinationEnvironmentName: GREEN },
      { SourceEnvironmentName: GREEN, DestinationEnvironmentName: BLUE },
    ]);
  });

  test('an alarm only after the bake: not seen, no swap back, success', async () => {
    eb.on(DescribeEnvironmentsCommand).resolvesOnce(before).resolves(after);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});
    // 1 check before the swap + 21 polls of the 300 s bake (0, 15, ..., 300 s) are OK; ALARM later.
    let polls = 0;
    cw.on(DescribeAlarmsCommand).callsFake(() => (++polls <= 22 ? alarms('OK') : alarms('ALARM')));

    const result = await onEvent(checked(), client, fakeClock(900_000, 15_000), clients());

    expect(result.data?.Swapped).toBe('true');
    expect(polls).toBe(22);
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 1);
  });

  test('a bake longer than the time left is cut short so a swap back still fits', async () => {
    eb.on(DescribeEnvironmentsCommand).resolvesOnce(before).resolves(after);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});
    cw.on(DescribeAlarmsCommand).resolves(alarms('OK'));
    const clock = fakeClock(300_000, 15_000);
    await onEvent(checked(), client, clock, clients());
    // The deadline is 300 s and 180 s are kept for a swap back: the bake ends at 120 s.
    expect(clock.now()).toBe(120_000);
  });

  test('no swap needed: no check and no bake', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(after);
    const probe = clients();
    const result = await onEvent(checked(), client, fakeClock(), probe);
    expect(result.data?.Swapped).toBe('false');
    expect(eb).toHaveReceivedCommandTimes(DescribeEnvironmentHealthCommand, 0);
    expect(cw.calls()).toHaveLength(0);
    expect(probe.urls).toEqual([]);
  });

  test('during a rollback: swaps back at once, without checks or bake (the slot was live before)', async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    eb.on(DescribeEnvironmentsCommand).resolvesOnce(before).resolves(after);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Severe' });
    eb.on(SwapEnvironmentCNAMEsCommand).resolves({});
    cw.on(DescribeAlarmsCommand).resolves(alarms('ALARM'));
    const probe = clients([503]);
    const clock = fakeClock(900_000, 15_000);

    const result = await onEvent(checked(), client, clock, probe);

    expect(result.data?.Swapped).toBe('true');
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
    expect(eb).toHaveReceivedCommandTimes(DescribeEnvironmentHealthCommand, 0);
    expect(probe.urls).toEqual([]);
    expect(cw.calls()).toHaveLength(0);
    expect(clock.sleeps).toEqual([]);
  });

  test('the stack status is read only when a swap is needed', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(after);
    await onEvent(checked(), client, fakeClock(), clients());
    expect(cfn.calls()).toHaveLength(0);
  });
});

describe('Route 53 cutover checks (Custom::BeanstalkCutoverCheck)', () => {
  const ALARMS = ['Prod-Shop-Green-EnvironmentHealth', 'Prod-Shop-Green-ServerErrorRate'];
  const GREEN_CNAME = 'prod-shop-green-111111111111.eu-west-1.elasticbeanstalk.com';
  const checkEvent = (
    phase: 'before' | 'after',
    requestType: 'Create' | 'Update' | 'Delete' = 'Update',
    previousLive: string = BLUE,
  ): CustomResourceEvent => {
    const properties = {
      ServiceToken: 'arn:fn',
      ApplicationName: APP,
      LiveEnvironmentName: GREEN,
      Phase: phase,
      LiveAlarmNames: ALARMS,
      ...(phase === 'before'
        ? { RequireHealthOk: 'true', HttpCheck: { Scheme: 'https', Path: '/health' } }
        : { BakeSeconds: '300' }),
    };
    return {
      RequestType: requestType,
      ResponseURL: 'https://example.com/response',
      StackId: STACK_ID,
      RequestId: 'request-2',
      LogicalResourceId: phase === 'before' ? 'ShopCutoverCheck' : 'ShopCutoverBake',
      ResourceType: 'Custom::BeanstalkCutoverCheck',
      PhysicalResourceId:
        requestType === 'Create' ? undefined : phase === 'before' ? 'ShopCutoverCheck' : 'ShopCutoverBake',
      ResourceProperties: properties,
      OldResourceProperties:
        requestType === 'Update' ? { ...properties, LiveEnvironmentName: previousLive } : undefined,
    };
  };
  const alarms = (state: string) => ({
    MetricAlarms: ALARMS.map((AlarmName) => ({ AlarmName, StateValue: state as any })),
  });
  const clients = (statuses: number[] = [200]): CutoverClients & { urls: string[] } => {
    const urls: string[] = [];
    return {
      cloudwatch: cwClient,
      probe: async (url) => {
        urls.push(url);
        return { status: statuses[Math.min(urls.length - 1, statuses.length - 1)] };
      },
      urls,
    };
  };
  const green = { Environments: [env(GREEN, GREEN_CNAME)] };

  test('before, healthy: waits for Ready, checks health, the HTTPS path at its own CNAME and the alarms; keeps its physical id', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(green);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    cw.on(DescribeAlarmsCommand).resolves(alarms('OK'));
    const probe = clients();

    const result = await onEvent(checkEvent('before'), client, fakeClock(900_000, 15_000), probe);

    expect(result).toEqual({ physicalResourceId: 'ShopCutoverCheck' });
    expect(eb).toHaveReceivedCommandWith(DescribeEnvironmentsCommand, {
      ApplicationName: APP,
      EnvironmentNames: [GREEN],
    });
    expect(eb).toHaveReceivedCommandWith(DescribeEnvironmentHealthCommand, { EnvironmentName: GREEN });
    expect(probe.urls).toEqual([`https://${GREEN_CNAME}/health`]);
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ALARMS });
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('before, unhealthy: fails, so the record does not move', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(green);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Severe', Causes: ['No instances'] });
    await expect(onEvent(checkEvent('before'), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(
      /Did not move the record to Prod-Shop-Green: enhanced health rates Prod-Shop-Green Severe, not Ok: No instances; it stays on the environment that was live/,
    );
  });

  test('before, the HTTP check fails 3 times: fails', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(green);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    const probe = clients([502]);
    await expect(onEvent(checkEvent('before'), client, fakeClock(900_000, 15_000), probe)).rejects.toThrow(
      /Did not move the record to Prod-Shop-Green: GET https:\/\/prod-shop-green-111111111111.eu-west-1.elasticbeanstalk.com\/health answered HTTP 502/,
    );
    expect(probe.urls).toHaveLength(3);
  });

  test('before, an alarm already in ALARM: fails', async () => {
    eb.on(DescribeEnvironmentsCommand).resolves(green);
    eb.on(DescribeEnvironmentHealthCommand).resolves({ HealthStatus: 'Ok' });
    cw.on(DescribeAlarmsCommand).resolves(alarms('ALARM'));
    await expect(onEvent(checkEvent('before'), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(
      /Did not move the record to Prod-Shop-Green: alarm\(s\) of Prod-Shop-Green already in ALARM/,
    );
  });

  test('after: the bake passes when no alarm fires for the bake time', async () => {
    cw.on(DescribeAlarmsCommand).resolves(alarms('OK'));
    const clock = fakeClock(900_000, 15_000);
    const result = await onEvent(checkEvent('after'), client, clock, clients());
    expect(result).toEqual({ physicalResourceId: 'ShopCutoverBake' });
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(300_000);
    // Nothing to swap back: no time is kept for it.
    expect(eb.calls()).toHaveLength(0);
  });

  test('after: an alarm during the bake fails the deployment, so CloudFormation moves the record back', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce(alarms('OK'))
      .resolves({ MetricAlarms: [{ AlarmName: ALARMS[0], StateValue: 'ALARM' }] });
    await expect(onEvent(checkEvent('after'), client, fakeClock(900_000, 15_000), clients())).rejects.toThrow(
      /Alarm\(s\) of Prod-Shop-Green went to ALARM during the bake after the record moved to it \(Prod-Shop-Green-EnvironmentHealth\): failing the deployment, so CloudFormation moves the record back/,
    );
    expect(eb).toHaveReceivedCommandTimes(SwapEnvironmentCNAMEsCommand, 0);
  });

  test('after: an alarm only after the bake is not seen', async () => {
    let polls = 0;
    cw.on(DescribeAlarmsCommand).callsFake(() => (++polls <= 21 ? alarms('OK') : alarms('ALARM')));
    await onEvent(checkEvent('after'), client, fakeClock(900_000, 15_000), clients());
    expect(polls).toBe(21);
  });

  test.each([
    ['Create (nothing was live before)', 'Create' as const, BLUE, 'UPDATE_IN_PROGRESS'],
    ['Delete', 'Delete' as const, BLUE, 'UPDATE_IN_PROGRESS'],
    ['an Update that keeps the live slot', 'Update' as const, GREEN, 'UPDATE_IN_PROGRESS'],
    ['the rollback of a failed cutover', 'Update' as const, BLUE, 'UPDATE_ROLLBACK_IN_PROGRESS'],
  ])('%s: checks nothing and bakes nothing', async (_what, requestType, previousLive, status) => {
    stackStatus(status);
    const probe = clients();
    for (const phase of ['before', 'after'] as const) {
      const result = await onEvent(checkEvent(phase, requestType, previousLive), client, fakeClock(), probe);
      expect(result.physicalResourceId).toBe(phase === 'before' ? 'ShopCutoverCheck' : 'ShopCutoverBake');
    }
    expect(eb.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
    expect(probe.urls).toEqual([]);
  });

  test('the stack status is read only for an Update that changes the live slot', async () => {
    await onEvent(checkEvent('before', 'Update', GREEN), client, fakeClock(), clients());
    await onEvent(checkEvent('before', 'Create'), client, fakeClock(), clients());
    expect(cfn.calls()).toHaveLength(0);
  });
});
