import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MOUNT_DATA_VOLUME_SCRIPT } from '../../src/eip-failover/mount-data-volume-script';

// The mount script runs for real under bash, with the commands it calls (curl, lsblk, blkid,
// mkfs.ext4, mount, mountpoint) replaced by stub executables on PATH that log their arguments.
// There are no loop devices in this sandbox, and no IMDS: stubs are the honest way to test the
// decision that matters, that only a device with nothing on it is ever formatted.

const SCRIPT = path.join(__dirname, '..', '..', 'src', 'eip-failover', 'mount-data-volume.sh');
const VOLUME_ID = 'vol-0123456789abcdef0';

/** What is on the device, as `blkid -p` would see it. */
type DeviceContent = 'blank' | 'ext4' | 'partition-table' | 'unreadable';

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly calls: string[];
  readonly fstab: string;
}

const STUBS: Record<string, string> = {
  // IMDSv2: a token for the PUT; the tag after `TAG_AFTER` reads (404 until then).
  curl: `
echo "curl $*" >> "$STUB_LOG"
case "$*" in
  *"-X PUT"*) echo token; exit 0 ;;
  *"tags/instance/DataVolumeId"*)
    n=$(cat "$STUB_STATE/tag-reads" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$STUB_STATE/tag-reads"
    if [ "$n" -gt "$TAG_AFTER" ]; then printf '%s' "$VOLUME_ID"; exit 0; fi
    exit 22 ;;
esac
exit 22`,
  lsblk: `
echo "lsblk $*" >> "$STUB_LOG"
echo "nvme0n1 vol0aaaaaaaaaaaaaaaa"
[ -n "$DEVICE_PRESENT" ] && echo "nvme1n1 \${VOLUME_ID//-/}"
exit 0`,
  blkid: `
echo "blkid $*" >> "$STUB_LOG"
content=$DEVICE_CONTENT
[ -e "$STUB_STATE/formatted" ] && content=ext4
case "$content" in
  blank) exit 2 ;;
  unreadable) exit 4 ;;
  partition-table) case "$*" in *export*) echo "PTUUID=1234"; echo "PTTYPE=gpt"; exit 0 ;; *) exit 2 ;; esac ;;
  ext4)
    case "$*" in
      *"-s UUID"*) echo "0b6c1e2a-0000-4000-8000-000000000001" ;;
      *"-s TYPE"*) echo "ext4" ;;
      *) echo "DEVNAME=$2"; echo "UUID=0b6c1e2a-0000-4000-8000-000000000001"; echo "TYPE=ext4" ;;
    esac
    exit 0 ;;
esac`,
  'mkfs.ext4': `
echo "mkfs.ext4 $*" >> "$STUB_LOG"
touch "$STUB_STATE/formatted"`,
  mount: `
echo "mount $*" >> "$STUB_LOG"`,
  mountpoint: `
echo "mountpoint $*" >> "$STUB_LOG"
exit 1`,
};

function runScript(
  content: DeviceContent,
  options: { tagAfter?: number; devicePresent?: boolean; timeout?: number } = {},
): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mount-data-volume-'));
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  fs.mkdirSync(bin);
  fs.mkdirSync(state);
  for (const [name, body] of Object.entries(STUBS)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  }
  const log = path.join(dir, 'calls.log');
  const fstab = path.join(dir, 'fstab');
  fs.writeFileSync(log, '');
  fs.writeFileSync(fstab, 'UUID=root / xfs defaults 0 0\n');
  const mountPath = path.join(dir, 'data');
  const result = spawnSync('bash', [SCRIPT, mountPath, 'DataVolumeId', '/dev/sdf', String(options.timeout ?? 30)], {
    encoding: 'utf-8',
    timeout: 60_000,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      STUB_LOG: log,
      STUB_STATE: state,
      VOLUME_ID,
      DEVICE_CONTENT: content,
      TAG_AFTER: String(options.tagAfter ?? 0),
      DEVICE_PRESENT: options.devicePresent === false ? '' : '1',
      MOUNT_DATA_VOLUME_FSTAB: fstab,
      MOUNT_DATA_VOLUME_POLL_SECONDS: '0',
    },
  });
  const calls = fs
    .readFileSync(log, 'utf-8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.replace(mountPath, '<mountPath>'));
  const run = {
    status: result.status,
    stderr: result.stderr,
    calls,
    fstab: fs.readFileSync(fstab, 'utf-8').replace(mountPath, '<mountPath>'),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return run;
}

const called = (run: Run, command: string) => run.calls.filter((c) => c.startsWith(`${command} `));

describe('mount-data-volume.sh', () => {
  test('a blank device is formatted (ext4), mounted and added to fstab with nofail', () => {
    const run = runScript('blank');
    expect(run.status).toBe(0);
    expect(called(run, 'mkfs.ext4')).toEqual(['mkfs.ext4 -q -L data /dev/nvme1n1']);
    expect(called(run, 'mount')).toEqual(['mount -t ext4 /dev/nvme1n1 <mountPath>']);
    expect(run.fstab).toBe(
      'UUID=root / xfs defaults 0 0\nUUID=0b6c1e2a-0000-4000-8000-000000000001 <mountPath> ext4 defaults,nofail 0 2\n',
    );
    // The probe that decided came before the format.
    expect(run.calls.indexOf('blkid -p -o export /dev/nvme1n1')).toBeLessThan(
      run.calls.indexOf('mkfs.ext4 -q -L data /dev/nvme1n1'),
    );
  });

  test('a device that holds a filesystem is mounted and NEVER formatted', () => {
    const run = runScript('ext4');
    expect(run.status).toBe(0);
    expect(called(run, 'mkfs.ext4')).toEqual([]);
    expect(called(run, 'mount')).toEqual(['mount -t ext4 /dev/nvme1n1 <mountPath>']);
    expect(run.stderr).toContain('already holds a filesystem: keeping its data');
  });

  test('a device with a partition table but no filesystem is neither formatted nor mounted: the script fails', () => {
    const run = runScript('partition-table');
    expect(run.status).toBe(1);
    expect(called(run, 'mkfs.ext4')).toEqual([]);
    expect(called(run, 'mount')).toEqual([]);
    expect(run.stderr).toMatch(/holds something other than a filesystem \(PTUUID=1234 PTTYPE=gpt\)/);
  });

  test('a device blkid cannot read is neither formatted nor mounted: the script fails', () => {
    const run = runScript('unreadable');
    expect(run.status).toBe(1);
    expect(called(run, 'mkfs.ext4')).toEqual([]);
    expect(called(run, 'mount')).toEqual([]);
    expect(run.stderr).toMatch(/blkid could not tell what is on \/dev\/nvme1n1 \(exit 4\)/);
  });

  test('waits for the launch hook function to name the volume in the instance tag (IMDSv2 token first)', () => {
    const run = runScript('ext4', { tagAfter: 3 });
    expect(run.status).toBe(0);
    const tagReads = called(run, 'curl').filter((c) => c.includes('tags/instance/DataVolumeId'));
    expect(tagReads).toHaveLength(4);
    for (const read of tagReads) expect(read).toContain('X-aws-ec2-metadata-token: token');
    expect(called(run, 'curl')[0]).toContain('-X PUT http://169.254.169.254/latest/api/token');
  });

  test('fails, touching nothing, when the volume is never named', () => {
    const run = runScript('blank', { tagAfter: 1_000_000, timeout: 1 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no volume id in instance tag DataVolumeId after 1s/);
    expect(called(run, 'mkfs.ext4')).toEqual([]);
    expect(called(run, 'mount')).toEqual([]);
  });

  test('fails, touching nothing, when the device never appears', () => {
    const run = runScript('blank', { devicePresent: false, timeout: 1 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the block device of vol-0123456789abcdef0 did not appear/);
    expect(called(run, 'mkfs.ext4')).toEqual([]);
  });

  test('the constant shipped in the package is the script, byte for byte', () => {
    expect(MOUNT_DATA_VOLUME_SCRIPT).toBe(fs.readFileSync(SCRIPT, 'utf-8'));
  });

  const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
  (shellcheck ? test : test.skip)('passes shellcheck', () => {
    expect(() => execFileSync('shellcheck', ['--shell=bash', SCRIPT], { encoding: 'utf-8' })).not.toThrow();
  });
});
