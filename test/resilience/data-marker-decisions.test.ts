import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { VerifierProbeOutput } from '../../src/resilience/contract';
import {
  checkOutcome,
  CommandInvocation,
  markerPath,
  NO_MARKER_EXIT,
  NOT_MOUNTED_EXIT,
  readCommands,
  withDataMarker,
  writeCommands,
  writeOutcome,
} from '../../src/resilience/data-marker-decisions';

const MARKER = 'marker-20261203T120000Z-0b9d7c4e';
const I = 'i-0123456789abcdef0';

describe('the marker commands', () => {
  test.each([
    ['/data', '/data/.cdk-ha-patterns-resilience-marker'],
    ['/srv/app-data/', '/srv/app-data/.cdk-ha-patterns-resilience-marker'],
  ])('the marker of %s is at the root of the volume: %s', (mount, file) => {
    expect(markerPath(mount)).toBe(file);
  });

  test.each(["/data'; rm -rf /", 'data', '/', '', '/data $(reboot)'])(
    'a mount path the commands could not quote safely (%j) is refused',
    (mount) => {
      expect(() => markerPath(mount)).toThrow(
        /MOUNT_PATH must be an absolute path of letters, digits and \._\/- \(got /,
      );
    },
  );

  test('only a marker of letters, digits and ._:- is written', () => {
    expect(() => writeCommands('/data', "x'; reboot; '")).toThrow(/Not a data marker/);
    expect(writeCommands('/data', MARKER)).toContain(
      `printf '%s\\n' '${MARKER}' > '/data/.cdk-ha-patterns-resilience-marker.tmp'`,
    );
  });

  // The commands run in bash here, on a directory that stands for the mounted volume: `mountpoint`
  // is replaced by a script that answers as for a mounted or an unmounted path.
  function run(commands: string[], mounted: boolean, dir: string): { status: number | null; stdout: string } {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-'));
    fs.writeFileSync(path.join(bin, 'mountpoint'), `#!/bin/sh\nexit ${mounted ? 0 : 1}\n`, { mode: 0o755 });
    const script = commands.join('\n').split('/data').join(dir);
    const out = spawnSync('bash', ['-c', script], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    return { status: out.status, stdout: out.stdout };
  }

  test('on a mounted volume: the write leaves the marker (no temporary file) and prints it; the read prints it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-'));
    const written = run(writeCommands('/data', MARKER), true, dir);
    expect(written).toEqual({ status: 0, stdout: `${MARKER}\n` });
    expect(fs.readdirSync(dir)).toEqual(['.cdk-ha-patterns-resilience-marker']);
    expect(run(readCommands('/data'), true, dir)).toEqual({ status: 0, stdout: `${MARKER}\n` });
  });

  test('nothing mounted: neither writes (exit 3) and nothing is left on the root volume; no marker: the read exits 4', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-'));
    expect(run(writeCommands('/data', MARKER), false, dir).status).toBe(NOT_MOUNTED_EXIT);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(run(readCommands('/data'), false, dir).status).toBe(NOT_MOUNTED_EXIT);
    expect(run(readCommands('/data'), true, dir).status).toBe(NO_MARKER_EXIT);
  });

  test('the commands are valid bash', () => {
    for (const commands of [writeCommands('/data', MARKER), readCommands('/data')]) {
      expect(() => execFileSync('bash', ['-n', '-c', commands.join('\n')])).not.toThrow();
    }
  });
});

describe('what an invocation means', () => {
  const inv = (Status: string, ResponseCode: number, out = '', err = ''): CommandInvocation => ({
    Status,
    StatusDetails: Status,
    ResponseCode,
    StandardOutputContent: out,
    StandardErrorContent: err,
  });

  test.each<[string, CommandInvocation, string | undefined]>([
    ['still running', inv('InProgress', -1), undefined],
    ['pending', inv('Pending', -1), undefined],
    ['delayed', inv('Delayed', -1), undefined],
    ['succeeded and printed the marker', inv('Success', 0, `${MARKER}\n`), 'written'],
    ['succeeded but printed something else', inv('Success', 0, 'other\n'), 'not-written'],
    ['nothing mounted', inv('Failed', 3, '', 'nothing is mounted at /data'), 'not-written'],
    ['timed out', inv('TimedOut', -1), 'not-written'],
    ['cancelled', inv('Cancelled', -1), 'not-written'],
  ])('write: %s → %s', (_case, invocation, status) => {
    expect(writeOutcome(invocation, MARKER, I)?.status).toBe(status);
  });

  test.each<[string, CommandInvocation, string | undefined]>([
    ['still running', inv('InProgress', -1), undefined],
    ['the marker written', inv('Success', 0, `${MARKER}\n`), 'found'],
    ['another marker', inv('Success', 0, 'marker-20250101T000000Z-ffffffff\n'), 'different'],
    ['an empty file', inv('Success', 0, ''), 'different'],
    ['no marker on the volume', inv('Failed', NO_MARKER_EXIT, '', 'no marker at /data/x'), 'missing'],
    ['no volume mounted', inv('Failed', NOT_MOUNTED_EXIT, '', 'nothing is mounted at /data'), 'missing'],
    ['failed otherwise', inv('Failed', 1), 'unreachable'],
    ['timed out', inv('TimedOut', -1), 'unreachable'],
    ['cancelled', inv('Cancelled', -1), 'unreachable'],
  ])('check: %s → %s', (_case, invocation, status) => {
    expect(checkOutcome(invocation, MARKER, I)?.status).toBe(status);
  });

  test('the detail names the instance, the status, the exit code and the last line of the error', () => {
    expect(checkOutcome(inv('Failed', 3, '', 'a\nnothing is mounted at /data\n'), MARKER, I)).toEqual({
      status: 'missing',
      instanceId: I,
      detail: `the marker is gone on ${I}: Failed, exit 3, nothing is mounted at /data`,
    });
  });
});

describe('the marker completes the verdict', () => {
  const passed: VerifierProbeOutput = {
    measurement: { probes: 80, failures: 40, relapses: 0 },
    done: true,
    result: 'passed',
    passed: true,
    timeToDetectSeconds: 12,
    timeToRecoverSeconds: 250,
    summary: 'passed: recovered in 250 s, within the budget of 600 s (80 probes, 40 failed)',
  };
  const late: VerifierProbeOutput = {
    ...passed,
    result: 'recovered-late',
    passed: false,
    summary: 'recovered-late: ...',
  };

  test.each<[string, string, string, boolean, VerifierProbeOutput]>([
    ['a pass', 'found', 'passed', true, passed],
    ['a late recovery', 'found', 'recovered-late', false, late],
    ['a pass', 'missing', 'data-lost', false, passed],
    ['a pass', 'different', 'data-lost', false, passed],
    ['a late recovery', 'missing', 'data-lost', false, late],
    ['a pass', 'unreachable', 'data-unchecked', false, passed],
  ])('after %s, a marker %s → %s (passed: %s)', (_case, status, result, ok, probe) => {
    const out = withDataMarker(probe, { status: status as any, instanceId: I, detail: `the marker is ${status}` });
    expect(out.result).toBe(result);
    expect(out.passed).toBe(ok);
    // The measured times are the probe's: the marker changes the verdict, not the recovery time.
    expect(out.timeToRecoverSeconds).toBe(250);
    expect(out.summary).toContain(`the marker is ${status}`);
    expect(out.dataMarker.status).toBe(status);
  });
});
