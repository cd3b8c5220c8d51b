import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DescribeAddressesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DataMarkerCheckOutput, DataMarkerWriteOutput, VerifierProbeOutput } from '../../src/resilience/contract';
import { handler } from '../../src/resilience/data-marker.lambda';

const ALLOCATION = 'eipalloc-0123456789abcdef0';
const OLD = 'i-0old000000000000';
const NEW = 'i-0new000000000000';

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);

function sdkError(name: string): Error {
  return Object.assign(new Error(name), { name });
}

interface Invocation {
  readonly instanceId: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  reads: number;
}

/**
 * A small model of the account: who holds the Elastic IP, what each instance has mounted at
 * /data (a directory here, or nothing) and whether Systems Manager knows it yet. SendCommand runs
 * the handler's commands for real, in bash, on the instance's directory (with `mountpoint`
 * answering for it), so the tests assert on the files the handler left, not on the calls.
 */
class FakeAccount {
  public holder: string | undefined = OLD;
  public readonly volumes: Record<string, string | undefined> = {};
  /** SendCommand fails with InvalidInstanceId this many more times per instance. */
  public readonly unknownFor: Record<string, number> = {};
  public readonly sent: string[] = [];
  private readonly invocations = new Map<string, Invocation>();
  private readonly bin = fs.mkdtempSync(path.join(os.tmpdir(), 'marker-bin-'));

  constructor() {
    ec2Mock.on(DescribeAddressesCommand).callsFake((input) => {
      expect(input).toEqual({ AllocationIds: [ALLOCATION] });
      return { Addresses: [{ AllocationId: ALLOCATION, InstanceId: this.holder }] };
    });
    ssmMock.on(SendCommandCommand).callsFake((input) => {
      const instanceId = input.InstanceIds[0];
      expect(input).toMatchObject({ DocumentName: 'AWS-RunShellScript', TimeoutSeconds: 60 });
      if ((this.unknownFor[instanceId] ?? 0) > 0) {
        this.unknownFor[instanceId]--;
        throw sdkError('InvalidInstanceId');
      }
      this.sent.push(instanceId);
      const dir = this.volumes[instanceId];
      fs.writeFileSync(path.join(this.bin, 'mountpoint'), `#!/bin/sh\nexit ${dir ? 0 : 1}\n`, { mode: 0o755 });
      const script = (input.Parameters.commands as string[])
        .join('\n')
        .split("'/data")
        .join(`'${dir ?? '/nonexistent/data'}`);
      const out = spawnSync('bash', ['-c', script], {
        env: { ...process.env, PATH: `${this.bin}:${process.env.PATH}` },
        encoding: 'utf8',
      });
      const commandId = `cmd-${this.invocations.size + 1}`;
      this.invocations.set(commandId, {
        instanceId,
        status: out.status,
        stdout: out.stdout,
        stderr: out.stderr,
        reads: 0,
      });
      return { Command: { CommandId: commandId } };
    });
    // Not visible at the first read, in progress at the second, done at the third.
    ssmMock.on(GetCommandInvocationCommand).callsFake((input) => {
      const invocation = this.invocations.get(input.CommandId)!;
      expect(input.InstanceId).toBe(invocation.instanceId);
      invocation.reads++;
      if (invocation.reads === 1) throw sdkError('InvocationDoesNotExist');
      if (invocation.reads === 2) return { Status: 'InProgress', ResponseCode: -1 };
      return {
        Status: invocation.status === 0 ? 'Success' : 'Failed',
        StatusDetails: invocation.status === 0 ? 'Success' : 'Failed',
        ResponseCode: invocation.status,
        StandardOutputContent: invocation.stdout,
        StandardErrorContent: invocation.stderr,
      };
    });
  }

  public newVolume(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'marker-volume-'));
  }

  /** The replacement's volume, made from a snapshot of `from` (a copy of its files). */
  public restoredFrom(from: string): string {
    const to = this.newVolume();
    for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
    return to;
  }
}

const PROBE: VerifierProbeOutput = {
  measurement: { probes: 60, failures: 30, relapses: 0 },
  done: true,
  result: 'passed',
  passed: true,
  timeToDetectSeconds: 10,
  timeToRecoverSeconds: 240,
  summary: 'passed: recovered in 240 s, within the budget of 600 s (60 probes, 30 failed)',
};

const saved = { ...process.env };
let account: FakeAccount;
beforeEach(() => {
  ec2Mock.reset();
  ssmMock.reset();
  Object.assign(process.env, {
    ALLOCATION_ID: ALLOCATION,
    MOUNT_PATH: '/data',
    WAIT_SECONDS: '2',
    POLL_MS: '1',
  });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  account = new FakeAccount();
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const write = () => handler({ action: 'write' }) as Promise<DataMarkerWriteOutput>;
const check = (marker: string) => handler({ action: 'check', marker, probe: PROBE }) as Promise<DataMarkerCheckOutput>;

describe('data marker handler', () => {
  test('written on the holder, then found on the replacement whose volume was restored from its snapshot', async () => {
    const old = (account.volumes[OLD] = account.newVolume());
    const written = await write();
    expect(written).toMatchObject({
      status: 'written',
      instanceId: OLD,
      marker: expect.stringMatching(/^marker-\d{8}T\d{9}Z-/),
    });
    expect(fs.readFileSync(path.join(old, '.cdk-ha-patterns-resilience-marker'), 'utf8')).toBe(`${written.marker}\n`);

    account.holder = NEW;
    account.volumes[NEW] = account.restoredFrom(old);
    const checked = await check(written.marker);
    expect(checked.dataMarker).toMatchObject({ status: 'found', instanceId: NEW });
    expect(checked).toMatchObject({ result: 'passed', passed: true, timeToRecoverSeconds: 240 });
    expect(checked.summary).toMatch(/the data-volume marker survived, read on i-0new/);
  });

  test('the replacement got an empty volume: data-lost, not passed', async () => {
    account.volumes[OLD] = account.newVolume();
    const written = await write();
    account.holder = NEW;
    account.volumes[NEW] = account.newVolume();
    const checked = await check(written.marker);
    expect(checked).toMatchObject({
      result: 'data-lost',
      passed: false,
      dataMarker: { status: 'missing', instanceId: NEW },
    });
    expect(checked.summary).toMatch(/^data-lost: the marker is gone on i-0new\S*: Failed, exit 4, no marker at/);
  });

  test('the replacement has no volume mounted: data-lost', async () => {
    account.volumes[OLD] = account.newVolume();
    const written = await write();
    account.holder = NEW;
    const checked = await check(written.marker);
    expect(checked).toMatchObject({ result: 'data-lost', dataMarker: { status: 'missing' } });
    expect(checked.summary).toMatch(/exit 3, nothing is mounted at \/data/);
  });

  test('a volume restored from an older snapshot (another marker): data-lost', async () => {
    const old = (account.volumes[OLD] = account.newVolume());
    const first = await write();
    const older = account.restoredFrom(old);
    const second = await write();
    account.holder = NEW;
    account.volumes[NEW] = older;
    const checked = await check(second.marker);
    expect(checked.dataMarker.status).toBe('different');
    expect(checked.summary).toContain(first.marker);
  });

  test('nothing mounted on the holder: not-written, naming why', async () => {
    const written = await write();
    expect(written).toMatchObject({ status: 'not-written', instanceId: OLD });
    expect(written.detail).toMatch(
      /could not write the marker on i-0old\S*: Failed, exit 3, nothing is mounted at \/data/,
    );
  });

  test('Systems Manager does not know the replacement yet: it retries until it does', async () => {
    const old = (account.volumes[OLD] = account.newVolume());
    const written = await write();
    account.holder = NEW;
    account.volumes[NEW] = account.restoredFrom(old);
    account.unknownFor[NEW] = 3;
    const checked = await check(written.marker);
    expect(checked.dataMarker.status).toBe('found');
    expect(account.unknownFor[NEW]).toBe(0);
  });

  test('no instance holds the Elastic IP until the wait ends: unchecked (not passed), or not written', async () => {
    account.holder = undefined;
    const checked = await check('marker-20261203T120000Z-0b9d7c4e');
    expect(checked).toMatchObject({ result: 'data-unchecked', passed: false, dataMarker: { status: 'unreachable' } });
    expect(checked.summary).toMatch(/gave up waiting: no instance held the Elastic IP/);
    expect((await write()).status).toBe('not-written');
    expect(account.sent).toEqual([]);
  });

  test('Systems Manager never knows the holder: unchecked after the wait', async () => {
    account.holder = NEW;
    account.unknownFor[NEW] = 1e9;
    const checked = await check('marker-20261203T120000Z-0b9d7c4e');
    expect(checked.dataMarker).toMatchObject({ status: 'unreachable', instanceId: NEW });
    expect(checked.dataMarker.detail).toMatch(/cannot reach i-0new\S* yet \(InvalidInstanceId\)/);
  });

  test('an error that waiting does not fix (access denied) fails the invocation', async () => {
    ssmMock.on(SendCommandCommand).rejects(sdkError('AccessDeniedException'));
    await expect(write()).rejects.toThrow(/AccessDeniedException/);
  });

  test('a wrong configuration or input fails naming it', async () => {
    process.env.MOUNT_PATH = "/data'; reboot";
    await expect(write()).rejects.toThrow(/MOUNT_PATH must be an absolute path/);
    process.env.MOUNT_PATH = '/data';
    delete process.env.ALLOCATION_ID;
    await expect(write()).rejects.toThrow(/needs ALLOCATION_ID/);
    process.env.ALLOCATION_ID = ALLOCATION;
    await expect(handler({ action: 'check', probe: PROBE })).rejects.toThrow(/needs the marker written/);
    await expect(handler({ action: 'delete' } as any)).rejects.toThrow(/must be write or check \(got "delete"\)/);
  });
});
