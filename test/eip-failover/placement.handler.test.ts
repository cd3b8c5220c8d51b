import type * as https from 'https';
import {
  AssociateAddressCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CustomResourceEvent, CustomResourceResponse } from '../../src/common/cfn-response';
import {
  decidePlacement,
  decideStandbyStop,
  handlePlacement,
  handler,
  PlacementProperties,
  PlacementWorld,
  StopDecision,
} from '../../src/eip-failover/failover.lambda';

// The Custom::ElasticIpPlacement resource, served by the failover function: where the Elastic IP goes
// when a deployment creates the pair or replaces one of its instances.

const PRIMARY = 'i-0primary0000000000';
const STANDBY = 'i-0standby0000000000';
const NEW_PRIMARY = 'i-0newprimary000000';
const NEW_STANDBY = 'i-0newstandby000000';
const ALLOCATION = 'eipalloc-0123456789abcdef0';
const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:failover';
const PHYSICAL_ID = `placement-${ALLOCATION}`;

// The module object itself (not an import's namespace copy), so a spy on `request` is what the handler calls.
const nodeHttps = jest.requireActual<typeof https>('https');

const ec2Mock = mockClient(EC2Client);
const snsMock = mockClient(SNSClient);

interface FakeInstance {
  state: string;
  checks: 'ok' | 'impaired' | 'initializing';
  role?: string;
  protected: boolean;
  /** States DescribeInstances reports next, one per call, before settling on `state`. */
  upcoming: string[];
}

/**
 * The EC2 account the placement works on: who holds the Elastic IP, each instance's state, status
 * checks, role tag and termination protection. The mocked calls read and change it.
 */
class FakeEc2 {
  public holder: string | undefined = PRIMARY;
  public readonly instances: Record<string, FakeInstance> = {};

  constructor() {
    for (const [id, role] of [
      [PRIMARY, 'primary'],
      [STANDBY, 'standby'],
      [NEW_PRIMARY, 'primary'],
      [NEW_STANDBY, 'standby'],
    ]) {
      this.instances[id] = { state: 'running', checks: 'ok', role, protected: true, upcoming: [] };
    }
    const find = (id: string) => {
      const i = this.instances[id];
      if (!i || i.state === 'gone') {
        throw Object.assign(new Error(`The instance ID '${id}' does not exist`), {
          name: 'InvalidInstanceID.NotFound',
        });
      }
      return i;
    };
    ec2Mock.on(DescribeAddressesCommand).callsFake((input) => {
      expect(input).toEqual({ AllocationIds: [ALLOCATION] });
      return { Addresses: [{ AllocationId: ALLOCATION, PublicIp: '203.0.113.10', InstanceId: this.holder }] };
    });
    ec2Mock.on(DescribeInstancesCommand).callsFake((input) => ({
      Reservations: (input.InstanceIds as string[]).map((id) => {
        const i = find(id);
        const state = i.upcoming.shift() ?? i.state;
        return {
          Instances: [
            { InstanceId: id, State: { Name: state }, Tags: i.role ? [{ Key: 'FailoverRole', Value: i.role }] : [] },
          ],
        };
      }),
    }));
    ec2Mock.on(DescribeInstanceStatusCommand).callsFake((input) => ({
      InstanceStatuses: (input.InstanceIds as string[]).map((id) => {
        const i = find(id);
        const checks = i.state === 'running' ? i.checks : 'not-applicable';
        return {
          InstanceId: id,
          InstanceState: { Name: i.state },
          InstanceStatus: { Status: checks },
          SystemStatus: { Status: checks },
        };
      }),
    }));
    ec2Mock.on(StartInstancesCommand).callsFake((input) => {
      for (const id of input.InstanceIds as string[]) {
        const i = find(id);
        if (i.state !== 'stopped') {
          throw Object.assign(new Error(`${id} is ${i.state}`), { name: 'IncorrectInstanceState' });
        }
        i.state = 'running';
        i.checks = 'initializing';
        i.upcoming = ['pending', 'pending'];
      }
      return {};
    });
    ec2Mock.on(StopInstancesCommand).callsFake((input) => {
      expect(Object.keys(input)).toEqual(['InstanceIds']);
      for (const id of input.InstanceIds as string[]) {
        const i = find(id);
        // What IAM allows the function (StopTheStandbyOfThisPair): only an instance tagged standby.
        if (i.role !== 'standby') {
          throw Object.assign(new Error('You are not authorized to perform this operation.'), {
            name: 'UnauthorizedOperation',
          });
        }
        if (i.state !== 'running') {
          throw Object.assign(new Error(`${id} is ${i.state}`), { name: 'IncorrectInstanceState' });
        }
        i.state = 'stopped';
      }
      return {};
    });
    ec2Mock.on(AssociateAddressCommand).callsFake((input) => {
      expect(input).toMatchObject({ AllocationId: ALLOCATION, AllowReassociation: true });
      if (find(input.InstanceId).state !== 'running') {
        throw Object.assign(new Error('not running'), { name: 'IncorrectInstanceState' });
      }
      this.holder = input.InstanceId;
      return { AssociationId: 'eipassoc-1' };
    });
    ec2Mock.on(CreateTagsCommand).callsFake((input) => {
      for (const id of input.Resources as string[]) {
        for (const tag of input.Tags) {
          expect(tag.Key).toBe('FailoverRole');
          find(id).role = tag.Value;
        }
      }
      return {};
    });
    ec2Mock.on(ModifyInstanceAttributeCommand).callsFake((input) => {
      expect(Object.keys(input).sort()).toEqual(['DisableApiTermination', 'InstanceId']);
      find(input.InstanceId).protected = input.DisableApiTermination.Value;
      return {};
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  }

  /** The roles of the given instances, as their tags say. */
  public roles(...ids: string[]): Record<string, string | undefined> {
    return Object.fromEntries(ids.map((id) => [id, this.instances[id].role]));
  }
}

interface Pair {
  readonly primary: string;
  readonly standby: string;
  readonly stopped?: boolean;
  readonly protection?: boolean;
}

function properties(pair: Pair): Record<string, string> {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:failover',
    ServiceTimeout: '1800',
    AllocationId: ALLOCATION,
    PrimaryInstanceId: pair.primary,
    StandbyInstanceId: pair.standby,
    StandbyStoppedAfterCreation: String(pair.stopped ?? false),
    TerminationProtection: String(pair.protection ?? true),
  };
}

function request(requestType: 'Create' | 'Update' | 'Delete', pair: Pair, old?: Pair): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/response?signed',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Stack/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'ServerElasticIpPlacement0670C851',
    ResourceType: 'Custom::ElasticIpPlacement',
    PhysicalResourceId: requestType === 'Create' ? undefined : PHYSICAL_ID,
    ResourceProperties: properties(pair),
    OldResourceProperties: old ? properties(old) : undefined,
  };
}

const context = { logStreamName: '2026/12/01/[$LATEST]abc', getRemainingTimeInMillis: () => 600_000 };

/** Sends the request and returns the one response the handler PUT to the response URL. */
async function send(event: CustomResourceEvent): Promise<CustomResourceResponse> {
  const responses: CustomResourceResponse[] = [];
  const returned = await handlePlacement(event, context, async (url, response) => {
    expect(url).toBe(event.ResponseURL);
    responses.push(response);
  });
  expect(responses).toEqual([returned]);
  return returned;
}

/** Every EC2 command the handler sent, by name, in order. */
function ec2Calls(): string[] {
  return ec2Mock.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
}

/** The changing EC2 calls, with their instance, in order. */
function changes(): string[] {
  return ec2Mock
    .calls()
    .map((c) => c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> })
    .filter((cmd) => !cmd.constructor.name.startsWith('Describe'))
    .map((cmd) => {
      const input = cmd.input;
      const id =
        (input.InstanceId as string) ??
        (input.InstanceIds as string[] | undefined)?.[0] ??
        (input.Resources as string[])[0];
      const detail =
        cmd.constructor.name === 'CreateTagsCommand'
          ? `=${(input.Tags as { Value: string }[])[0].Value}`
          : cmd.constructor.name === 'ModifyInstanceAttributeCommand'
            ? ` protection=${(input.DisableApiTermination as { Value: boolean }).Value}`
            : '';
      return `${cmd.constructor.name.replace(/Command$/, '')} ${id}${detail}`;
    });
}

let fake: FakeEc2;

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
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

describe('Create', () => {
  test('associates the Elastic IP with the primary and answers SUCCESS with a stable physical id', async () => {
    fake.holder = undefined;

    const response = await send(request('Create', { primary: PRIMARY, standby: STANDBY }));

    expect(response).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: PHYSICAL_ID,
      StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Stack/guid',
      RequestId: 'request-Create',
      LogicalResourceId: 'ServerElasticIpPlacement0670C851',
      Data: undefined,
    });
    expect(fake.holder).toBe(PRIMARY);
    // The template creates the instances unprotected; the placement switches protection on.
    expect(changes()).toEqual([
      `AssociateAddress ${PRIMARY}`,
      `ModifyInstanceAttribute ${PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${STANDBY} protection=true`,
    ]);
    expect(ec2Mock).toHaveReceivedCommandWith(AssociateAddressCommand, {
      AllocationId: ALLOCATION,
      InstanceId: PRIMARY,
      AllowReassociation: true,
    });
    // A first placement is no move: nobody is told.
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  test('waits for a pending primary to run before associating', async () => {
    fake.holder = undefined;
    // DescribeInstances reports pending three times (the first read, then two polls), then running.
    fake.instances[PRIMARY].upcoming = ['pending', 'pending', 'pending'];

    const response = await send(request('Create', { primary: PRIMARY, standby: STANDBY }));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Calls().filter((c) => c === 'DescribeInstances').length).toBeGreaterThanOrEqual(3);
    // Associated once the primary runs, then protected.
    expect(ec2Calls().slice(-3)).toEqual(['AssociateAddress', 'ModifyInstanceAttribute', 'ModifyInstanceAttribute']);
  });

  test('an instance of the pair that already holds the Elastic IP and serves keeps it (no remap, no charge)', async () => {
    fake.holder = STANDBY;

    const response = await send(request('Create', { primary: PRIMARY, standby: STANDBY }));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(STANDBY);
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
    // The tags follow the holder.
    expect(fake.roles(PRIMARY, STANDBY)).toEqual({ [PRIMARY]: 'standby', [STANDBY]: 'primary' });
  });

  test('with a stopped standby, never gives the Elastic IP to the standby that is about to be stopped', async () => {
    fake.holder = undefined;
    fake.instances[PRIMARY].checks = 'impaired';

    const response = await send(request('Create', { primary: PRIMARY, standby: STANDBY, stopped: true }));

    expect(response.Status).toBe('FAILED');
    expect(response.PhysicalResourceId).toBe('ServerElasticIpPlacement0670C851-create-failed');
    expect(response.Reason).toMatch(/no instance of the pair can take it/);
    expect(response.Reason).toMatch(/stopped after creation/);
    expect(fake.holder).toBeUndefined();
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
  });
});

describe('Update', () => {
  test('the standby is replaced and the holder stays: no AssociateAddress, the old standby released', async () => {
    const response = await send(
      request('Update', { primary: PRIMARY, standby: NEW_STANDBY }, { primary: PRIMARY, standby: STANDBY }),
    );

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
    // The new standby's protection is confirmed (CloudFormation created it protected), the old one's released.
    expect(changes()).toEqual([
      `ModifyInstanceAttribute ${NEW_STANDBY} protection=true`,
      `ModifyInstanceAttribute ${STANDBY} protection=false`,
    ]);
    expect(fake.instances[STANDBY].protected).toBe(false);
    expect(fake.instances[PRIMARY].protected).toBe(true);
    expect(fake.instances[NEW_STANDBY].protected).toBe(true);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  test('the holder is replaced: the Elastic IP moves to the running survivor, tags swap, then the old instance is released', async () => {
    const response = await send(
      request('Update', { primary: NEW_PRIMARY, standby: STANDBY }, { primary: PRIMARY, standby: STANDBY }),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(STANDBY);
    expect(changes()).toEqual([
      `AssociateAddress ${STANDBY}`,
      `CreateTags ${STANDBY}=primary`,
      `CreateTags ${NEW_PRIMARY}=standby`,
      `ModifyInstanceAttribute ${NEW_PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${PRIMARY} protection=false`,
    ]);
    expect(fake.roles(STANDBY, NEW_PRIMARY)).toEqual({ [STANDBY]: 'primary', [NEW_PRIMARY]: 'standby' });
    expect(fake.instances[PRIMARY].protected).toBe(false);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: expect.stringContaining(`moved to ${STANDBY} by a deployment`),
      Message: expect.stringContaining(`from ${PRIMARY} to ${STANDBY}`),
    });
  });

  test('the holder is replaced and the standby is kept stopped: it is started, waited for, then takes the Elastic IP', async () => {
    fake.instances[STANDBY].state = 'stopped';

    const response = await send(
      request(
        'Update',
        { primary: NEW_PRIMARY, standby: STANDBY, stopped: true },
        { primary: PRIMARY, standby: STANDBY, stopped: true },
      ),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(STANDBY);
    expect(changes()).toEqual([
      `StartInstances ${STANDBY}`,
      `AssociateAddress ${STANDBY}`,
      `CreateTags ${STANDBY}=primary`,
      `CreateTags ${NEW_PRIMARY}=standby`,
      `ModifyInstanceAttribute ${NEW_PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${PRIMARY} protection=false`,
    ]);
    // Polled until running (pending, pending, running) before the move.
    const calls = ec2Calls();
    const polls = calls.slice(calls.indexOf('StartInstances'), calls.indexOf('AssociateAddress'));
    expect(polls.filter((c) => c === 'DescribeInstances')).toHaveLength(3);
  });

  test('after a failover, replacing the failed instance (created as primary) leaves the Elastic IP on the standby', async () => {
    // The failover moved the Elastic IP to the standby and swapped the tags; the old primary is stopped.
    fake.holder = STANDBY;
    fake.instances[PRIMARY].state = 'stopped';
    fake.instances[PRIMARY].role = 'standby';
    fake.instances[STANDBY].role = 'primary';

    const response = await send(
      request('Update', { primary: NEW_PRIMARY, standby: STANDBY }, { primary: PRIMARY, standby: STANDBY }),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(STANDBY);
    // The new instance was created with the template's tag (primary): it is the standby.
    expect(changes()).toEqual([
      `CreateTags ${NEW_PRIMARY}=standby`,
      `ModifyInstanceAttribute ${NEW_PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${PRIMARY} protection=false`,
    ]);
  });

  test('after a failover, replacing the holder never moves the Elastic IP back to the stopped (failed) instance', async () => {
    fake.holder = STANDBY;
    fake.instances[PRIMARY].state = 'stopped';

    const response = await send(
      request('Update', { primary: PRIMARY, standby: NEW_STANDBY }, { primary: PRIMARY, standby: STANDBY }),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(NEW_STANDBY);
    expect(ec2Mock).not.toHaveReceivedCommand(StartInstancesCommand);
    expect(changes()).toEqual([
      `AssociateAddress ${NEW_STANDBY}`,
      `CreateTags ${NEW_STANDBY}=primary`,
      `CreateTags ${PRIMARY}=standby`,
      `ModifyInstanceAttribute ${NEW_STANDBY} protection=true`,
      `ModifyInstanceAttribute ${STANDBY} protection=false`,
    ]);
  });

  test('no instance of the new pair can take it: FAILED with the reason, the Elastic IP and protection untouched', async () => {
    fake.holder = STANDBY;
    fake.instances[PRIMARY].state = 'stopped';

    const response = await send(
      request(
        'Update',
        { primary: PRIMARY, standby: NEW_STANDBY, stopped: true },
        { primary: PRIMARY, standby: STANDBY, stopped: true },
      ),
    );

    expect(response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_ID });
    expect(response.Reason).toMatch(
      new RegExp(
        `${STANDBY} \\(no longer in the pair\\) holds the Elastic IP, and no instance of the pair can take it`,
      ),
    );
    expect(response.Reason).toMatch(/log stream 2026\/12\/01/);
    expect(fake.holder).toBe(STANDBY);
    expect(changes()).toEqual([]);
  });

  test('nothing changed: answered without any call', async () => {
    const pair = { primary: PRIMARY, standby: STANDBY };
    const response = await send(request('Update', pair, pair));

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(ec2Calls()).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a duplicate Update finds the work done: the same result, only the (idempotent) protection calls repeated', async () => {
    const event = request('Update', { primary: NEW_PRIMARY, standby: STANDBY }, { primary: PRIMARY, standby: STANDBY });
    const first = await send(event);
    const world = JSON.stringify({ holder: fake.holder, instances: fake.instances });
    ec2Mock.resetHistory();
    snsMock.resetHistory();

    const again = await send(event);

    expect(again).toEqual(first);
    expect(JSON.stringify({ holder: fake.holder, instances: fake.instances })).toBe(world);
    expect(changes()).toEqual([
      `ModifyInstanceAttribute ${NEW_PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${PRIMARY} protection=false`,
    ]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a rollback (the old pair back) protects the old instance again and releases the one the failed deployment created', async () => {
    // The forward update moved the Elastic IP to the standby and released the old primary; a later resource failed.
    await send(request('Update', { primary: NEW_PRIMARY, standby: STANDBY }, { primary: PRIMARY, standby: STANDBY }));
    expect(fake.instances[PRIMARY].protected).toBe(false);
    ec2Mock.resetHistory();

    const response = await send(
      request('Update', { primary: PRIMARY, standby: STANDBY }, { primary: NEW_PRIMARY, standby: STANDBY }),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(STANDBY);
    expect(changes()).toEqual([
      `CreateTags ${PRIMARY}=standby`,
      `ModifyInstanceAttribute ${PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${NEW_PRIMARY} protection=false`,
    ]);
    expect(fake.instances[PRIMARY].protected).toBe(true);
    expect(fake.instances[NEW_PRIMARY].protected).toBe(false);
  });

  test('without termination protection (terminationProtection: false) nothing is protected, the old instance still released', async () => {
    const response = await send(
      request(
        'Update',
        { primary: PRIMARY, standby: NEW_STANDBY, protection: false },
        { primary: PRIMARY, standby: STANDBY, protection: false },
      ),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(changes()).toEqual([`ModifyInstanceAttribute ${STANDBY} protection=false`]);
  });

  test('an old instance that is already gone has nothing to release', async () => {
    fake.instances[STANDBY].state = 'gone';

    const response = await send(
      request('Update', { primary: PRIMARY, standby: NEW_STANDBY }, { primary: PRIMARY, standby: STANDBY }),
    );

    expect(response.Status).toBe('SUCCESS');
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyInstanceAttributeCommand, {
      InstanceId: STANDBY,
      DisableApiTermination: { Value: false },
    });
  });

  test('an API failure answers FAILED with the error (after the retry budget for throttling), never a hang', async () => {
    ec2Mock.on(ModifyInstanceAttributeCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
      }),
    );

    const response = await send(
      request('Update', { primary: PRIMARY, standby: NEW_STANDBY }, { primary: PRIMARY, standby: STANDBY }),
    );

    expect(response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_ID });
    expect(response.Reason).toMatch(/^You are not authorized to perform this operation\. \(log stream /);
  });

  test('work that would outlast the function answers FAILED before the function times out, and never acts later', async () => {
    fake.holder = PRIMARY;
    fake.instances[STANDBY].state = 'stopped';
    // StartInstances answers only after the budget (50 ms here) has run out.
    ec2Mock.on(StartInstancesCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      fake.instances[STANDBY].state = 'running';
      return {};
    });
    const responses: CustomResourceResponse[] = [];

    const response = await handlePlacement(
      request(
        'Update',
        { primary: NEW_PRIMARY, standby: STANDBY, stopped: true },
        { primary: PRIMARY, standby: STANDBY, stopped: true },
      ),
      { logStreamName: 'stream', getRemainingTimeInMillis: () => 20_050 },
      async (_url, r) => {
        responses.push(r);
      },
    );

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/did not finish within 0 s/);
    // The abandoned work resumes once StartInstances answers, and stops before changing anything else.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(responses).toHaveLength(1);
    expect(fake.holder).toBe(PRIMARY);
    expect(changes()).toEqual([`StartInstances ${STANDBY}`]);
    expect(fake.instances[PRIMARY].protected).toBe(true);
  });
});

describe('Stopping the standby (StandbyState.STOPPED), in the placement', () => {
  const stopped = (primary: string, standby: string): Pair => ({ primary, standby, stopped: true });

  test('Create: the Elastic IP goes on the primary, both are protected, then the standby is stopped, last', async () => {
    fake.holder = undefined;

    const response = await send(request('Create', stopped(PRIMARY, STANDBY)));

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(changes()).toEqual([
      `AssociateAddress ${PRIMARY}`,
      `ModifyInstanceAttribute ${PRIMARY} protection=true`,
      `ModifyInstanceAttribute ${STANDBY} protection=true`,
      `StopInstances ${STANDBY}`,
    ]);
    expect(fake.instances[STANDBY].state).toBe('stopped');
    expect(fake.instances[PRIMARY].state).toBe('running');
    // Decided from a fresh read: where the Elastic IP is, and the tags, just before the stop.
    const calls = ec2Calls();
    expect(calls.slice(calls.lastIndexOf('ModifyInstanceAttribute') + 1)).toEqual([
      'DescribeAddresses',
      'DescribeInstances',
      'DescribeInstanceStatus',
      'StopInstances',
    ]);
  });

  test('a retried Create finds the standby stopped: no second stop, the Elastic IP stays', async () => {
    fake.holder = undefined;
    const event = request('Create', stopped(PRIMARY, STANDBY));
    const first = await send(event);
    ec2Mock.resetHistory();

    const again = await send(event);

    expect(again).toEqual(first);
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
    expect(fake.instances[STANDBY].state).toBe('stopped');
  });

  test('Create when a failover already gave the standby the Elastic IP: it keeps it and nothing is stopped', async () => {
    fake.holder = STANDBY;

    const response = await send(request('Create', stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(STANDBY);
    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
    expect(fake.instances[STANDBY].state).toBe('running');
    expect(fake.instances[PRIMARY].state).toBe('running');
  });

  test('the standby is replaced: the holder stays, the old standby is released, then the new standby is stopped', async () => {
    fake.instances[STANDBY].state = 'stopped';

    const response = await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(PRIMARY);
    expect(changes()).toEqual([
      `ModifyInstanceAttribute ${NEW_STANDBY} protection=true`,
      `ModifyInstanceAttribute ${STANDBY} protection=false`,
      `StopInstances ${NEW_STANDBY}`,
    ]);
    expect(fake.instances[NEW_STANDBY].state).toBe('stopped');
  });

  test('after a failover the instance created as standby serves; replacing it moves the Elastic IP to the other, and only the new standby is stopped', async () => {
    // The failover moved the Elastic IP to the standby and swapped the tags; the old primary recovered.
    fake.holder = STANDBY;
    fake.instances[STANDBY].role = 'primary';
    fake.instances[PRIMARY].role = 'standby';

    const response = await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(PRIMARY);
    expect(changes()).toEqual([
      `AssociateAddress ${PRIMARY}`,
      `CreateTags ${PRIMARY}=primary`,
      `ModifyInstanceAttribute ${NEW_STANDBY} protection=true`,
      `ModifyInstanceAttribute ${STANDBY} protection=false`,
      `StopInstances ${NEW_STANDBY}`,
    ]);
    expect(fake.instances[PRIMARY].state).toBe('running');
  });

  test('a failover gave the new standby the Elastic IP before the placement ran: it keeps it, nothing is stopped', async () => {
    fake.holder = NEW_STANDBY;
    fake.instances[NEW_STANDBY].role = 'primary';
    fake.instances[PRIMARY].role = 'standby';

    const response = await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(NEW_STANDBY);
    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
    expect(fake.instances[NEW_STANDBY].state).toBe('running');
    expect(fake.instances[PRIMARY].state).toBe('running');
  });

  test('the instance created as primary is replaced: the standby is not new, nothing is stopped', async () => {
    const response = await send(request('Update', stopped(NEW_PRIMARY, STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
  });

  test('a pending new standby is waited for, then stopped', async () => {
    fake.instances[NEW_STANDBY].upcoming = ['pending', 'pending', 'pending'];

    const response = await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.instances[NEW_STANDBY].state).toBe('stopped');
    expect(changes().slice(-1)).toEqual([`StopInstances ${NEW_STANDBY}`]);
  });

  test('a standby that leaves the running state before the stop lands is left as it is (SUCCESS)', async () => {
    ec2Mock.on(StopInstancesCommand).rejects(
      Object.assign(new Error(`This instance '${NEW_STANDBY}' is not in a state from which it can be stopped.`), {
        name: 'IncorrectInstanceState',
      }),
    );

    const response = await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(PRIMARY);
  });

  test('a stop that is refused (not authorized) answers FAILED with the error, after the Elastic IP was placed', async () => {
    ec2Mock.on(StopInstancesCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
      }),
    );

    const response = await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));

    expect(response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_ID });
    expect(response.Reason).toMatch(/^You are not authorized to perform this operation\. \(log stream /);
    expect(fake.holder).toBe(PRIMARY);
  });

  test('a rollback brings back the old standby, already stopped: nothing is stopped again', async () => {
    fake.instances[STANDBY].state = 'stopped';
    await send(request('Update', stopped(PRIMARY, NEW_STANDBY), stopped(PRIMARY, STANDBY)));
    ec2Mock.resetHistory();

    const response = await send(request('Update', stopped(PRIMARY, STANDBY), stopped(PRIMARY, NEW_STANDBY)));

    expect(response.Status).toBe('SUCCESS');
    expect(fake.holder).toBe(PRIMARY);
    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
    expect(fake.instances[STANDBY].protected).toBe(true);
    expect(fake.instances[NEW_STANDBY].protected).toBe(false);
  });

  describe('switched on for an existing pair (StandbyState.RUNNING to STOPPED, same instances)', () => {
    const running: Pair = { primary: PRIMARY, standby: STANDBY };

    test('the standby is stopped, and nothing else is called: no move, no tag, no protection', async () => {
      const response = await send(request('Update', stopped(PRIMARY, STANDBY), running));

      expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
      expect(changes()).toEqual([`StopInstances ${STANDBY}`]);
      expect(fake.instances[PRIMARY].state).toBe('running');
    });

    test('after a failover (the instance created as standby holds the Elastic IP), nothing is stopped', async () => {
      fake.holder = STANDBY;
      fake.instances[STANDBY].role = 'primary';
      fake.instances[PRIMARY].role = 'standby';

      const response = await send(request('Update', stopped(PRIMARY, STANDBY), running));

      expect(response.Status).toBe('SUCCESS');
      expect(changes()).toEqual([]);
      expect(fake.instances[STANDBY].state).toBe('running');
      expect(fake.instances[PRIMARY].state).toBe('running');
    });

    test('the tags say the instance created as standby is primary (even if the Elastic IP says otherwise): nothing is stopped', async () => {
      fake.instances[STANDBY].role = 'primary';

      const response = await send(request('Update', stopped(PRIMARY, STANDBY), running));

      expect(response.Status).toBe('SUCCESS');
      expect(changes()).toEqual([]);
    });

    test.each<[string, (f: FakeEc2) => void]>([
      ['the holder fails its status checks (a failover is coming)', (f) => (f.instances[PRIMARY].checks = 'impaired')],
      ['no instance holds the Elastic IP', (f) => (f.holder = undefined)],
      ['an instance outside the pair holds the Elastic IP', (f) => (f.holder = NEW_PRIMARY)],
      ['the standby is already stopped', (f) => (f.instances[STANDBY].state = 'stopped')],
    ])('%s: nothing is stopped, SUCCESS', async (_, arrange) => {
      arrange(fake);

      const response = await send(request('Update', stopped(PRIMARY, STANDBY), running));

      expect(response.Status).toBe('SUCCESS');
      expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
      expect(changes()).toEqual([]);
    });

    test('switched off again (STOPPED to RUNNING): answered without any call, the standby is not started', async () => {
      fake.instances[STANDBY].state = 'stopped';

      const response = await send(request('Update', running, stopped(PRIMARY, STANDBY)));

      expect(response.Status).toBe('SUCCESS');
      expect(ec2Calls()).toEqual([]);
    });

    test('a standby still pending when the answer is due is never stopped afterwards', async () => {
      fake.instances[STANDBY].state = 'pending';
      setTimeout(() => (fake.instances[STANDBY].state = 'running'), 150);
      const responses: CustomResourceResponse[] = [];

      const response = await handlePlacement(
        request('Update', stopped(PRIMARY, STANDBY), running),
        { logStreamName: 'stream', getRemainingTimeInMillis: () => 20_050 },
        async (_url, r) => {
          responses.push(r);
        },
      );

      expect(response.Status).toBe('FAILED');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(responses).toHaveLength(1);
      expect(fake.instances[STANDBY].state).toBe('running');
      expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
    });
  });
});

describe('Delete', () => {
  test('answers SUCCESS with the physical id and makes no EC2 call', async () => {
    const response = await send(request('Delete', { primary: PRIMARY, standby: STANDBY }));

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(ec2Calls()).toEqual([]);
    expect(fake.holder).toBe(PRIMARY);
  });
});

describe('the function entry point', () => {
  test('a CloudFormation request is answered by a PUT to the pre-signed response URL', async () => {
    const bodies: { url: string; options: https.RequestOptions; body: string }[] = [];
    jest.spyOn(nodeHttps, 'request').mockImplementation(((
      url: string,
      options: https.RequestOptions,
      callback: (res: unknown) => void,
    ) => {
      const chunks: string[] = [];
      const req = {
        on: () => req,
        end: (body: string) => {
          chunks.push(body);
          bodies.push({ url, options, body: chunks.join('') });
          const res = { resume: () => undefined, on: (event: string, fn: () => void) => event === 'end' && fn() };
          callback(res);
        },
      };
      return req;
    }) as unknown as typeof https.request);

    const response = await handler(request('Delete', { primary: PRIMARY, standby: STANDBY }), context);

    expect(response.Status).toBe('SUCCESS');
    expect(bodies).toHaveLength(1);
    expect(bodies[0].url).toBe(request('Delete', { primary: PRIMARY, standby: STANDBY }).ResponseURL);
    expect(bodies[0].options).toMatchObject({ method: 'PUT', headers: { 'content-type': '' } });
    expect(JSON.parse(bodies[0].body)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
  });

  test('a failover event is still a failover (no custom resource response)', async () => {
    const request_ = jest.spyOn(nodeHttps, 'request');
    const result = await handler({
      source: 'aws.ec2',
      'detail-type': 'EC2 Instance State-change Notification',
      detail: { 'instance-id': STANDBY, state: 'stopped' },
    });
    expect(result).toMatchObject({ action: 'ignored' });
    expect(request_).not.toHaveBeenCalled();
  });
});

describe('decidePlacement', () => {
  const up = { state: 'running', impaired: false };
  const props = (primary: string, standby: string, stopped = false): PlacementProperties => ({
    allocationId: ALLOCATION,
    primaryInstanceId: primary,
    standbyInstanceId: standby,
    standbyStoppedAfterCreation: stopped,
    terminationProtection: true,
  });
  const world = (holder: string | undefined, instances: PlacementWorld['instances']): PlacementWorld => ({
    holder,
    instances,
  });

  test.each<
    [
      string,
      PlacementProperties,
      PlacementProperties | undefined,
      PlacementWorld,
      string,
      Partial<ReturnType<typeof decidePlacement>>,
    ]
  >([
    [
      'create: the primary',
      props(PRIMARY, STANDBY),
      undefined,
      world(undefined, { [PRIMARY]: { ...up, role: 'primary' }, [STANDBY]: { ...up, role: 'standby' } }),
      PRIMARY,
      // Both instances are protected by the placement (the template creates them unprotected).
      { associate: true, start: false, wait: false, tags: [], protect: [PRIMARY, STANDBY], release: [] },
    ],
    [
      'create with terminationProtection: false protects nothing',
      { ...props(PRIMARY, STANDBY), terminationProtection: false },
      undefined,
      world(undefined, { [PRIMARY]: { ...up, role: 'primary' }, [STANDBY]: { ...up, role: 'standby' } }),
      PRIMARY,
      { associate: true, start: false, wait: false, tags: [], protect: [], release: [] },
    ],
    [
      'create: a pending primary is waited for',
      props(PRIMARY, STANDBY),
      undefined,
      world(undefined, { [PRIMARY]: { state: 'pending', impaired: false, role: 'primary' }, [STANDBY]: up }),
      PRIMARY,
      { wait: true, associate: true },
    ],
    [
      'update: an impaired surviving standby is passed over for the new primary',
      props(NEW_PRIMARY, STANDBY),
      props(PRIMARY, STANDBY),
      world(PRIMARY, { [NEW_PRIMARY]: { ...up, role: 'primary' }, [STANDBY]: { state: 'running', impaired: true } }),
      NEW_PRIMARY,
      { associate: true, release: [PRIMARY], tags: [{ instanceId: STANDBY, role: 'standby' }] },
    ],
    [
      'update: both replaced at once, the new primary takes it',
      props(NEW_PRIMARY, NEW_STANDBY),
      props(PRIMARY, STANDBY),
      world(PRIMARY, { [NEW_PRIMARY]: { ...up, role: 'primary' }, [NEW_STANDBY]: { ...up, role: 'standby' } }),
      NEW_PRIMARY,
      { associate: true, protect: [NEW_PRIMARY, NEW_STANDBY], release: [PRIMARY, STANDBY], tags: [] },
    ],
    [
      'update: a holder in the pair whose status check fails gives way to the other instance',
      props(PRIMARY, NEW_STANDBY),
      props(PRIMARY, STANDBY),
      world(PRIMARY, {
        [PRIMARY]: { state: 'running', impaired: true, role: 'primary' },
        [NEW_STANDBY]: { ...up, role: 'standby' },
      }),
      NEW_STANDBY,
      { associate: true, release: [STANDBY] },
    ],
  ])('%s', (_, p, previous, w, target, expected) => {
    const plan = decidePlacement(p, previous, w);
    expect(plan.target).toBe(target);
    expect(plan).toMatchObject(expected);
  });

  test('refuses, naming each instance, when none can take it', () => {
    expect(() =>
      decidePlacement(
        props(NEW_PRIMARY, STANDBY),
        props(PRIMARY, STANDBY),
        world(PRIMARY, {
          [NEW_PRIMARY]: { state: 'terminated', impaired: false },
          [STANDBY]: { state: 'stopped', impaired: false },
        }),
      ),
    ).toThrow(
      `${PRIMARY} (no longer in the pair) holds the Elastic IP, and no instance of the pair can take it: ${NEW_PRIMARY} terminated, ${STANDBY} stopped`,
    );
  });
});

describe('decidePlacement: which standby the placement considers stopping', () => {
  const up = { state: 'running', impaired: false };
  const props = (primary: string, standby: string, stopped: boolean): PlacementProperties => ({
    allocationId: ALLOCATION,
    primaryInstanceId: primary,
    standbyInstanceId: standby,
    standbyStoppedAfterCreation: stopped,
    terminationProtection: true,
  });
  const everyoneUp = (holder: string | undefined): PlacementWorld => ({
    holder,
    instances: {
      [PRIMARY]: { ...up, role: 'primary' },
      [STANDBY]: { ...up, role: 'standby' },
      [NEW_PRIMARY]: { ...up, role: 'primary' },
      [NEW_STANDBY]: { ...up, role: 'standby' },
    },
  });

  test.each<[string, PlacementProperties, PlacementProperties | undefined, PlacementWorld, string | undefined]>([
    ['create, stopped standby', props(PRIMARY, STANDBY, true), undefined, everyoneUp(undefined), STANDBY],
    ['create, running standby', props(PRIMARY, STANDBY, false), undefined, everyoneUp(undefined), undefined],
    [
      'create, the standby already holds the Elastic IP',
      props(PRIMARY, STANDBY, true),
      undefined,
      everyoneUp(STANDBY),
      undefined,
    ],
    [
      'standby replaced',
      props(PRIMARY, NEW_STANDBY, true),
      props(PRIMARY, STANDBY, true),
      everyoneUp(PRIMARY),
      NEW_STANDBY,
    ],
    [
      'instance created as primary replaced',
      props(NEW_PRIMARY, STANDBY, true),
      props(PRIMARY, STANDBY, true),
      everyoneUp(PRIMARY),
      undefined,
    ],
    [
      'switched on while the primary is replaced, the new primary holding the Elastic IP',
      props(NEW_PRIMARY, STANDBY, true),
      props(PRIMARY, STANDBY, false),
      everyoneUp(NEW_PRIMARY),
      STANDBY,
    ],
    [
      'switched on while the holder is replaced: the Elastic IP moves to the standby, which is not stopped',
      props(NEW_PRIMARY, STANDBY, true),
      props(PRIMARY, STANDBY, false),
      everyoneUp(PRIMARY),
      undefined,
    ],
    [
      'switched off while the standby is replaced',
      props(PRIMARY, NEW_STANDBY, false),
      props(PRIMARY, STANDBY, true),
      everyoneUp(PRIMARY),
      undefined,
    ],
  ])('%s', (_, p, previous, world, stop) => {
    expect(decidePlacement(p, previous, world).stop).toBe(stop);
  });
});

describe('decideStandbyStop', () => {
  const pair = [PRIMARY, STANDBY];
  const serving = { state: 'running', impaired: false, role: 'primary' };
  const standby = { state: 'running', impaired: false, role: 'standby' };

  test.each<[string, PlacementWorld, StopDecision['action'], RegExp]>([
    [
      'the standby runs and the primary serves',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: standby } },
      'stop',
      /serves/,
    ],
    [
      'it holds the Elastic IP',
      { holder: STANDBY, instances: { [PRIMARY]: serving, [STANDBY]: standby } },
      'leave',
      /holds the Elastic IP/,
    ],
    [
      'it is tagged primary',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: { ...standby, role: 'primary' } } },
      'leave',
      /tagged primary/,
    ],
    [
      'it has no role tag',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: { ...standby, role: undefined } } },
      'leave',
      /no role/,
    ],
    [
      'nobody holds the Elastic IP',
      { holder: undefined, instances: { [PRIMARY]: serving, [STANDBY]: standby } },
      'leave',
      /no instance holds/,
    ],
    [
      'an instance outside the pair holds it',
      { holder: NEW_PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: standby } },
      'leave',
      /not an instance of the pair/,
    ],
    [
      'the holder is impaired',
      { holder: PRIMARY, instances: { [PRIMARY]: { ...serving, impaired: true }, [STANDBY]: standby } },
      'leave',
      /status check failed/,
    ],
    [
      'the holder is stopping',
      { holder: PRIMARY, instances: { [PRIMARY]: { ...serving, state: 'stopping' }, [STANDBY]: standby } },
      'leave',
      /stopping/,
    ],
    [
      'it is already stopped',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: { ...standby, state: 'stopped' } } },
      'leave',
      /already stopped/,
    ],
    [
      'it is stopping',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: { ...standby, state: 'stopping' } } },
      'leave',
      /already stopping/,
    ],
    [
      'it is terminated',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: { ...standby, state: 'terminated' } } },
      'leave',
      /nothing to stop/,
    ],
    ['EC2 does not know it', { holder: PRIMARY, instances: { [PRIMARY]: serving } }, 'leave', /missing/],
    [
      'it is pending',
      { holder: PRIMARY, instances: { [PRIMARY]: serving, [STANDBY]: { ...standby, state: 'pending' } } },
      'wait',
      /pending/,
    ],
  ])('%s', (_, world, action, reason) => {
    const decision = decideStandbyStop(STANDBY, pair, world);
    expect(decision).toMatchObject({ action, instanceId: STANDBY });
    expect(decision.reason).toMatch(reason);
  });

  test('an instance that is not of the pair is never stopped', () => {
    const world = { holder: PRIMARY, instances: { [PRIMARY]: serving, [NEW_STANDBY]: standby } };
    expect(decideStandbyStop(NEW_STANDBY, pair, world).action).toBe('leave');
  });
});
