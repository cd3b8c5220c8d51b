#!/bin/bash
# Mounts the data volume of an ElasticIpFailoverInstance (FailoverStrategy.autoScalingGroup() with
# dataVolume). Run by the instance's user data on first boot, before the service's own commands.
#
# usage: mount-data-volume MOUNT_PATH TAG_KEY DEVICE_NAME [TIMEOUT_SECONDS]
#
#  1. Waits until the instance tag TAG_KEY (read from instance metadata, IMDSv2) names the volume:
#     the launch lifecycle hook function sets it once the volume is attached.
#  2. Waits until the volume's block device exists: on Nitro instances an NVMe device whose serial
#     is the volume id without the dash (found through /dev/disk/by-id or lsblk), on Xen instances
#     DEVICE_NAME or its /dev/xvd* twin.
#  3. Formats the device (ext4) ONLY when `blkid -p` finds nothing on it at all: no filesystem, no
#     partition table, no RAID or LVM signature. A device with a filesystem is mounted as it is; a
#     device with anything else on it is left alone and the script fails, so nothing is ever lost.
#  4. Mounts it at MOUNT_PATH and adds it to /etc/fstab (by UUID, with nofail) for later boots.
#
# Exits non-zero when the volume is not mounted, so the user data stops before the service starts
# without its data.
set -euo pipefail

mount_path=${1:?usage: mount-data-volume MOUNT_PATH TAG_KEY DEVICE_NAME [TIMEOUT_SECONDS]}
tag_key=${2:?usage: mount-data-volume MOUNT_PATH TAG_KEY DEVICE_NAME [TIMEOUT_SECONDS]}
device_name=${3:?usage: mount-data-volume MOUNT_PATH TAG_KEY DEVICE_NAME [TIMEOUT_SECONDS]}
timeout_seconds=${4:-1200}

# Overridable for tests only.
imds=${MOUNT_DATA_VOLUME_IMDS:-http://169.254.169.254}
fstab=${MOUNT_DATA_VOLUME_FSTAB:-/etc/fstab}
poll_seconds=${MOUNT_DATA_VOLUME_POLL_SECONDS:-5}

log() {
  echo "mount-data-volume: $*" >&2
}

fail() {
  log "ERROR: $*"
  exit 1
}

deadline=$((SECONDS + timeout_seconds))

imds_get() {
  local token
  token=$(curl -sSf -X PUT "$imds/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') || return 1
  curl -sSf -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/$1"
}

# 1. The volume id, from the instance's tags.
volume_id=''
until [[ $volume_id =~ ^vol-[0-9a-f]+$ ]]; do
  if ((SECONDS >= deadline)); then
    fail "no volume id in instance tag $tag_key after ${timeout_seconds}s (is the launch lifecycle hook function running?)"
  fi
  volume_id=$(imds_get "tags/instance/$tag_key" 2>/dev/null) || volume_id=''
  [[ $volume_id =~ ^vol-[0-9a-f]+$ ]] || sleep "$poll_seconds"
done
log "data volume $volume_id"

# 2. Its block device.
serial=${volume_id//-/}
find_device() {
  local by_id="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$serial"
  if [[ -e $by_id ]]; then
    readlink -f "$by_id"
    return 0
  fi
  local name device_serial
  while read -r name device_serial; do
    if [[ $device_serial == "$serial" ]]; then
      echo "/dev/$name"
      return 0
    fi
  done < <(lsblk -d -n -o NAME,SERIAL 2>/dev/null)
  local xen="/dev/xvd${device_name#/dev/sd}"
  local candidate
  for candidate in "$device_name" "$xen"; do
    if [[ -b $candidate ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
device=''
until device=$(find_device); do
  if ((SECONDS >= deadline)); then
    fail "the block device of $volume_id did not appear within ${timeout_seconds}s"
  fi
  sleep "$poll_seconds"
done
log "$volume_id is $device"

if mountpoint -q "$mount_path"; then
  log "$mount_path is already mounted; nothing to do"
  exit 0
fi

# 3. Format only a device with nothing on it. blkid -p probes the device itself (no cache):
#    exit 0 = found something, 2 = found nothing, anything else = could not tell.
probe_status=0
probe=$(blkid -p -o export "$device") || probe_status=$?
if ((probe_status == 2)); then
  log "$device holds no filesystem and no partition table: formatting it (ext4)"
  mkfs.ext4 -q -L data "$device"
elif ((probe_status != 0)); then
  fail "blkid could not tell what is on $device (exit $probe_status): not formatting, not mounting"
elif ! grep -q '^TYPE=' <<<"$probe"; then
  fail "$device holds something other than a filesystem (${probe//$'\n'/ }): not formatting, not mounting"
else
  log "$device already holds a filesystem: keeping its data"
fi

# 4. Mount it now and on every boot.
uuid=$(blkid -p -s UUID -o value "$device")
fs_type=$(blkid -p -s TYPE -o value "$device")
[[ -n $uuid && -n $fs_type ]] || fail "no UUID or filesystem type on $device after formatting"
mkdir -p "$mount_path"
if ! grep -q "^UUID=$uuid " "$fstab"; then
  echo "UUID=$uuid $mount_path $fs_type defaults,nofail 0 2" >>"$fstab"
fi
mount -t "$fs_type" "$device" "$mount_path"
log "mounted $device ($fs_type, UUID $uuid) at $mount_path"
