import { SizeRoundingBehavior } from 'aws-cdk-lib';
import type { DataVolumeOptions } from './options';

/**
 * The data volume's size in GiB, from `size` or the deprecated `sizeGiB`. A size that is not a whole
 * number of GiB comes back as a fraction, for the validator to refuse.
 */
export function dataVolumeSizeGiB(volume: DataVolumeOptions): number | undefined {
  if (volume.size === undefined) return volume.sizeGiB;
  return volume.size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
}
