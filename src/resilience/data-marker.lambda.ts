/*
 * The data-volume marker of a resilience experiment's verifier (ElasticIpFailoverInstance with an
 * Auto Scaling group and a data volume). Before the experiment (`write`), it writes a fresh marker
 * to the data volume of the instance that holds the Elastic IP, through Systems Manager Run Command
 * (AWS-RunShellScript), and reads it back; once the service recovered (`check`), it reads the
 * marker on the instance that holds the Elastic IP then (the replacement, whose volume was made
 * from the snapshot of the old one) and completes the probe's verdict with what it found.
 *
 * It writes one small file and reads it; it deletes nothing. Waiting is part of the job: right
 * after a recovery the new holder may not be registered with Systems Manager yet, so the function
 * retries until WAIT_SECONDS have passed and then reports `unreachable`, never a false `found`.
 * The decisions are in data-marker-decisions.ts; this module calls the EC2 and SSM APIs. Imports
 * only the SDK, Node's built-ins and its own folder (handlers reach no other construct folder).
 */
import { randomUUID } from 'crypto';
import { DescribeAddressesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import type {
  DataMarkerCheckOutput,
  DataMarkerEnvironment,
  DataMarkerInput,
  DataMarkerResult,
  DataMarkerWriteOutput,
} from './contract';
import {
  checkOutcome,
  CommandInvocation,
  markerPath,
  readCommands,
  withDataMarker,
  writeCommands,
  writeOutcome,
} from './data-marker-decisions';

// The SDK's standard retry strategy (throttling and transient errors, 3 attempts) for each call;
// the function's own loop waits for what takes longer (a holder, Systems Manager, the command).
const ec2 = new EC2Client({});
const ssm = new SSMClient({});

/** A number from the environment, or `fallback` when it is unset or empty. */
function numberFrom(value: string | undefined, fallback: number): number {
  return value ? Number(value) : fallback;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Settings {
  readonly allocationId: string;
  readonly mountPath: string;
  readonly deadline: number;
  readonly pollMs: number;
}

function settings(): Settings {
  const env = process.env as Partial<Record<keyof DataMarkerEnvironment, string>>;
  if (!env.ALLOCATION_ID) throw new Error('The data marker needs ALLOCATION_ID (the Elastic IP allocation id)');
  markerPath(env.MOUNT_PATH ?? '');
  return {
    allocationId: env.ALLOCATION_ID,
    mountPath: env.MOUNT_PATH!,
    deadline: Date.now() + numberFrom(env.WAIT_SECONDS, 240) * 1000,
    pollMs: numberFrom(env.POLL_MS, 5000),
  };
}

/** The instance that holds the Elastic IP now, if any. */
async function holder(allocationId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
  return out.Addresses?.[0]?.InstanceId;
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? String(error);
}

/**
 * Runs `commands` on the holder of the Elastic IP and returns what `decide` makes of the finished
 * invocation, retrying while there is no holder, while Systems Manager does not know the holder yet
 * (InvalidInstanceId) and while the invocation is not visible yet, until the deadline.
 */
async function runOnHolder(
  s: Settings,
  commands: string[],
  comment: string,
  decide: (invocation: CommandInvocation, instanceId: string) => DataMarkerResult | undefined,
): Promise<DataMarkerResult> {
  let last = 'no instance held the Elastic IP';
  let instanceId: string | undefined;
  while (Date.now() < s.deadline) {
    instanceId = await holder(s.allocationId);
    if (!instanceId) {
      last = 'no instance held the Elastic IP';
      await sleep(s.pollMs);
      continue;
    }
    let commandId: string | undefined;
    try {
      const sent = await ssm.send(
        new SendCommandCommand({
          InstanceIds: [instanceId],
          DocumentName: 'AWS-RunShellScript',
          Parameters: { commands, executionTimeout: ['60'] },
          TimeoutSeconds: 60,
          Comment: comment,
        }),
      );
      commandId = sent.Command?.CommandId;
    } catch (error) {
      if (errorName(error) !== 'InvalidInstanceId') throw error;
      last = `Systems Manager cannot reach ${instanceId} yet (InvalidInstanceId)`;
      await sleep(s.pollMs);
      continue;
    }
    if (!commandId) throw new Error('SendCommand returned no command id');
    while (Date.now() < s.deadline) {
      await sleep(s.pollMs);
      let invocation: CommandInvocation;
      try {
        invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      } catch (error) {
        if (errorName(error) !== 'InvocationDoesNotExist') throw error;
        continue;
      }
      const decided = decide(invocation, instanceId);
      if (decided) return decided;
      last = `the command ${commandId} on ${instanceId} is still ${invocation.Status}`;
    }
  }
  return { status: 'unreachable', instanceId, detail: `gave up waiting: ${last}` };
}

export async function handler(input: DataMarkerInput): Promise<DataMarkerWriteOutput | DataMarkerCheckOutput> {
  const s = settings();
  if (input.action === 'write') {
    const marker = `marker-${new Date().toISOString().replace(/[^0-9TZ]/g, '')}-${randomUUID()}`;
    const result = await runOnHolder(
      s,
      writeCommands(s.mountPath, marker),
      'cdk-ha-patterns verifier: writes its data marker',
      (invocation, instanceId) => writeOutcome(invocation, marker, instanceId),
    );
    // A write that could not run is not-written: the state machine does not start the experiment.
    const out: DataMarkerWriteOutput = {
      ...result,
      status: result.status === 'written' ? 'written' : 'not-written',
      marker,
    };
    console.log(JSON.stringify({ message: 'data marker write', ...out }));
    return out;
  }
  if (input.action === 'check') {
    if (!input.marker || !input.probe) {
      throw new Error('A data marker check needs the marker written and the probe verdict');
    }
    const expected = input.marker;
    const result = await runOnHolder(
      s,
      readCommands(s.mountPath),
      'cdk-ha-patterns verifier: reads its data marker',
      (invocation, instanceId) => checkOutcome(invocation, expected, instanceId),
    );
    const out = withDataMarker(input.probe, result);
    console.log(JSON.stringify({ message: 'data marker check', ...out.dataMarker, result: out.result }));
    return out;
  }
  throw new Error(
    `The data marker's action must be write or check (got ${JSON.stringify((input as { action?: unknown }).action)})`,
  );
}
