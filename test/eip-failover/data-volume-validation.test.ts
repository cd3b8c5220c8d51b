import { App, CfnParameter, Lazy, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DataVolumeOptions, ElasticIpFailoverInstance, FailoverStrategy } from '../../src';
import { publicOnlyVpc } from '../support/vpc';

// The data volume's size, type, IOPS and throughput, checked per volume type against what EC2 CreateVolume
// accepts (the lifecycle hook's function creates the volume with them; a refused call abandons every launch).

const ENV = { account: '111111111111', region: 'eu-west-1' };
const { GP2, GP3, IO1, IO2, ST1, SC1, STANDARD } = ec2.EbsDeviceVolumeType;

function synth(dataVolume: DataVolumeOptions, stack = new Stack(new App(), 'Stack', { env: ENV })): Template {
  new ElasticIpFailoverInstance(stack, 'Server', {
    vpc: publicOnlyVpc(stack),
    strategy: FailoverStrategy.autoScalingGroup({ dataVolume }),
  });
  return Template.fromStack(stack);
}

const attempt = (dataVolume: DataVolumeOptions) => () => synth(dataVolume);
const gib = Size.gibibytes;

describe('data volume validation: per volume type', () => {
  test.each<[string, DataVolumeOptions, RegExp]>([
    // gp3 (the default type)
    [
      'gp3 IOPS below 3000',
      { size: gib(50), iops: 1000 },
      /dataVolume.iops must be a whole number from 3000 to 80000 for gp3 volumes, received 1000/,
    ],
    [
      'gp3 IOPS above 80000',
      { size: gib(200), iops: 80001 },
      /dataVolume.iops must be a whole number from 3000 to 80000 for gp3 volumes, received 80001/,
    ],
    [
      'gp3 IOPS that are not a whole number',
      { size: gib(50), iops: 3000.5, volumeType: GP3 },
      /dataVolume.iops must be a whole number from 3000 to 80000 for gp3 volumes, received 3000.5/,
    ],
    [
      'gp3 IOPS above 500 per GiB of a small volume',
      { size: gib(10), iops: 16000 },
      /dataVolume.iops must be at most 500 IOPS per GiB for gp3 volumes, or 3000 at any size \(at most 5000 for a 10 GiB volume; 16000 IOPS need at least 32 GiB\), received 16000/,
    ],
    [
      'gp3 IOPS above 500 per GiB of a volume below 6 GiB',
      { size: gib(4), iops: 3001 },
      /dataVolume.iops must be at most 500 IOPS per GiB for gp3 volumes, or 3000 at any size \(at most 3000 for a 4 GiB volume; 3001 IOPS need at least 7 GiB\), received 3001/,
    ],
    [
      'gp3 throughput below 125 MiB/s',
      { size: gib(50), throughput: 100 },
      /dataVolume.throughput must be a whole number from 125 to 2000 for gp3 volumes, received 100/,
    ],
    [
      'gp3 throughput above 2000 MiB/s',
      { size: gib(100), iops: 10000, throughput: 2001 },
      /dataVolume.throughput must be a whole number from 125 to 2000 for gp3 volumes, received 2001/,
    ],
    [
      'gp3 throughput above 0.25 MiB/s per IOPS given',
      { size: gib(100), iops: 4000, throughput: 1500 },
      /dataVolume.throughput must be at most 0.25 MiB\/s per IOPS for gp3 volumes \(at most 1000 with 4000 IOPS; 1500 MiB\/s need at least 6000 IOPS\), received 1500/,
    ],
    [
      'gp3 throughput above 0.25 MiB/s per default IOPS',
      { size: gib(100), throughput: 1000 },
      /dataVolume.throughput must be at most 0.25 MiB\/s per IOPS for gp3 volumes \(at most 750 with 3000 IOPS, the default without dataVolume.iops; 1000 MiB\/s need at least 4000 IOPS\), received 1000/,
    ],
    [
      'gp3 above 65536 GiB',
      { size: gib(65537) },
      /dataVolume.size \(GiB\) must be a whole number from 1 to 65536 for gp3 volumes, received 65537/,
    ],
    [
      'gp3 above 65536 GiB by the deprecated sizeGiB',
      { sizeGiB: 70000, volumeType: GP3 },
      /dataVolume.sizeGiB must be a whole number from 1 to 65536 for gp3 volumes, received 70000/,
    ],
    // io1
    [
      'io1 without IOPS',
      { size: gib(100), volumeType: IO1 },
      /dataVolume.iops is required for io1 volumes \(a whole number from 100 to 64000\), received undefined/,
    ],
    [
      'io1 IOPS above 64000',
      { size: gib(2000), volumeType: IO1, iops: 64001 },
      /dataVolume.iops must be a whole number from 100 to 64000 for io1 volumes, received 64001/,
    ],
    [
      'io1 IOPS below 100',
      { size: gib(100), volumeType: IO1, iops: 99 },
      /dataVolume.iops must be a whole number from 100 to 64000 for io1 volumes, received 99/,
    ],
    [
      'io1 IOPS above 50 per GiB',
      { size: gib(10), volumeType: IO1, iops: 1000 },
      /dataVolume.iops must be at most 50 IOPS per GiB for io1 volumes \(at most 500 for a 10 GiB volume; 1000 IOPS need at least 20 GiB\), received 1000/,
    ],
    [
      'io1 below 4 GiB',
      { size: gib(3), volumeType: IO1, iops: 100 },
      /dataVolume.size \(GiB\) must be a whole number from 4 to 16384 for io1 volumes, received 3/,
    ],
    [
      'io1 above 16384 GiB',
      { size: gib(16385), volumeType: IO1, iops: 1000 },
      /dataVolume.size \(GiB\) must be a whole number from 4 to 16384 for io1 volumes, received 16385/,
    ],
    // io2
    [
      'io2 without IOPS',
      { size: gib(100), volumeType: IO2 },
      /dataVolume.iops is required for io2 volumes \(a whole number from 100 to 256000\), received undefined/,
    ],
    [
      'io2 IOPS above 256000',
      { size: gib(300), volumeType: IO2, iops: 256001 },
      /dataVolume.iops must be a whole number from 100 to 256000 for io2 volumes, received 256001/,
    ],
    [
      'io2 IOPS above 1000 per GiB',
      { size: gib(10), volumeType: IO2, iops: 20000 },
      /dataVolume.iops must be at most 1000 IOPS per GiB for io2 volumes \(at most 10000 for a 10 GiB volume; 20000 IOPS need at least 20 GiB\), received 20000/,
    ],
    [
      'io2 below 4 GiB',
      { size: gib(2), volumeType: IO2, iops: 100 },
      /dataVolume.size \(GiB\) must be a whole number from 4 to 65536 for io2 volumes, received 2/,
    ],
    // Types that take no IOPS or throughput
    [
      'IOPS on gp2',
      { size: gib(100), volumeType: GP2, iops: 3000 },
      /dataVolume.iops is only for gp3, io1 and io2 volumes \(volumeType is gp2\), received 3000/,
    ],
    [
      'IOPS on st1',
      { size: gib(500), volumeType: ST1, iops: 500 },
      /dataVolume.iops is only for gp3, io1 and io2 volumes \(volumeType is st1\), received 500/,
    ],
    [
      'IOPS on sc1',
      { size: gib(500), volumeType: SC1, iops: 250 },
      /dataVolume.iops is only for gp3, io1 and io2 volumes \(volumeType is sc1\), received 250/,
    ],
    [
      'IOPS on standard',
      { size: gib(100), volumeType: STANDARD, iops: 100 },
      /dataVolume.iops is only for gp3, io1 and io2 volumes \(volumeType is standard\), received 100/,
    ],
    [
      'throughput on io1',
      { size: gib(100), volumeType: IO1, iops: 1000, throughput: 250 },
      /dataVolume.throughput is only for gp3 volumes \(volumeType is io1\), received 250/,
    ],
    [
      'throughput on gp2',
      { size: gib(100), volumeType: GP2, throughput: 250 },
      /dataVolume.throughput is only for gp3 volumes \(volumeType is gp2\), received 250/,
    ],
    // Sizes of the other types
    [
      'st1 below 125 GiB',
      { size: gib(100), volumeType: ST1 },
      /dataVolume.size \(GiB\) must be a whole number from 125 to 16384 for st1 volumes, received 100/,
    ],
    [
      'sc1 above 16384 GiB',
      { size: gib(16385), volumeType: SC1 },
      /dataVolume.size \(GiB\) must be a whole number from 125 to 16384 for sc1 volumes, received 16385/,
    ],
    [
      'gp2 above 16384 GiB',
      { size: gib(20000), volumeType: GP2 },
      /dataVolume.size \(GiB\) must be a whole number from 1 to 16384 for gp2 volumes, received 20000/,
    ],
    [
      'standard above 1024 GiB',
      { size: gib(2000), volumeType: STANDARD },
      /dataVolume.size \(GiB\) must be a whole number from 1 to 1024 for standard volumes, received 2000/,
    ],
    [
      'a volume type EC2 does not know',
      { size: gib(100), volumeType: 'gp4' as ec2.EbsDeviceVolumeType },
      /dataVolume.volumeType must be one of gp2, gp3, io1, io2, st1, sc1, standard, received 'gp4'/,
    ],
  ])('refuses %s', (_, dataVolume, message) => {
    expect(attempt(dataVolume)).toThrow(message);
  });

  test('reports every problem of the volume at once', () => {
    expect(attempt({ size: gib(2), volumeType: IO1, iops: 1000, throughput: 250 })).toThrow(
      /dataVolume.size \(GiB\) must be a whole number from 4 to 16384 for io1 volumes[\s\S]*dataVolume.iops must be at most 50 IOPS per GiB for io1 volumes[\s\S]*dataVolume.throughput is only for gp3 volumes/,
    );
  });

  test('IOPS out of range are not also checked as a ratio, nor the throughput against them', () => {
    const run = attempt({ size: gib(1), iops: 1000, throughput: 500 });
    expect(run).toThrow(/dataVolume.iops must be a whole number from 3000 to 80000 for gp3 volumes/);
    expect(run).not.toThrow(/IOPS per GiB|MiB\/s per IOPS/);
  });
});

describe('data volume validation: accepted volumes', () => {
  test.each<[string, DataVolumeOptions]>([
    ['gp3 by default, with no IOPS or throughput', { size: gib(1) }],
    ['gp3 at 3000 IOPS on a 1 GiB volume', { size: gib(1), iops: 3000, volumeType: GP3 }],
    ['gp3 at 500 IOPS per GiB', { size: gib(50), iops: 25000 }],
    ['gp3 at its maxima', { size: gib(65536), iops: 80000, throughput: 2000 }],
    ['gp3 at 2000 MiB/s with 8000 IOPS on 16 GiB', { size: gib(16), iops: 8000, throughput: 2000 }],
    ['gp3 at 750 MiB/s with the default IOPS', { size: gib(8), throughput: 750 }],
    ['gp3 by the deprecated sizeGiB', { sizeGiB: 65536 }],
    ['gp2 at its limits', { size: gib(16384), volumeType: GP2 }],
    ['io1 at 50 IOPS per GiB', { size: gib(20), volumeType: IO1, iops: 1000 }],
    ['io1 at its maxima', { size: gib(16384), volumeType: IO1, iops: 64000 }],
    ['io1 at its minima', { size: gib(4), volumeType: IO1, iops: 100 }],
    ['io2 at 1000 IOPS per GiB', { size: gib(10), volumeType: IO2, iops: 10000 }],
    ['io2 at its maxima', { size: gib(65536), volumeType: IO2, iops: 256000 }],
    ['st1 at 125 GiB', { size: gib(125), volumeType: ST1 }],
    ['sc1 at 16384 GiB', { size: gib(16384), volumeType: SC1 }],
    ['standard at 1024 GiB', { size: gib(1024), volumeType: STANDARD }],
  ])('accepts %s', (_, dataVolume) => {
    expect(attempt(dataVolume)).not.toThrow();
  });

  test.each([GP3, IO1, IO2])(
    'accepts a %s volume whose size, IOPS and throughput are CloudFormation parameters',
    (volumeType) => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const number = (id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
      const throughput = volumeType === GP3 ? number('Throughput') : undefined;
      const volume = { size: gib(number('Size')), volumeType, iops: number('Iops'), throughput };
      expect(() => synth(volume, stack)).not.toThrow();
    },
  );

  test.each<[string, DataVolumeOptions]>([
    [
      'an unresolved size with IOPS above any small size',
      { size: gib(Lazy.number({ produce: () => 10 })), iops: 80000 },
    ],
    [
      'unresolved IOPS with a large throughput',
      { size: gib(100), iops: Lazy.number({ produce: () => 8000 }), throughput: 2000 },
    ],
    ['an unresolved throughput', { size: gib(100), throughput: Lazy.number({ produce: () => 2000 }) }],
    ['an unresolved sizeGiB on st1', { sizeGiB: Lazy.number({ produce: () => 500 }), volumeType: ST1 }],
  ])('does not refuse %s', (_, dataVolume) => {
    expect(attempt(dataVolume)).not.toThrow();
  });

  test('an unresolved volume type: the checks per type are skipped', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const volumeType = new CfnParameter(stack, 'VolumeType', { type: 'String' }).valueAsString;
    const volume = { size: gib(2), volumeType: volumeType as ec2.EbsDeviceVolumeType, iops: 1000 };
    expect(() => synth(volume, stack)).not.toThrow();
  });

  test('with unresolved IOPS the range of the throughput is still checked', () => {
    const iops = Lazy.number({ produce: () => 8000 });
    expect(attempt({ size: gib(100), iops, throughput: 3000 })).toThrow(
      /dataVolume.throughput must be a whole number from 125 to 2000 for gp3 volumes, received 3000/,
    );
  });
});
