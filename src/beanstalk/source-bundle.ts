import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

/**
 * Where an application version's source bundle is in S3, as returned by {@link SourceBundle.bind}.
 */
export interface SourceBundleConfig {
  /** The bucket that holds the bundle. */
  readonly bucket: s3.IBucket;

  /** The key of the bundle (a zip file, or a jar/war for the Java platforms). */
  readonly key: string;
}

/**
 * The code of an application version: a local file or directory uploaded as a CDK asset, or an
 * object already in S3.
 */
export abstract class SourceBundle {
  /**
   * A local directory (zipped by CDK on synthesis) or file (a zip, or a jar/war for the Java
   * platforms) uploaded to the CDK assets bucket on deployment.
   *
   * @param path the directory or file
   * @param options asset options (exclusions, asset hash)
   */
  public static fromAsset(path: string, options?: s3assets.AssetOptions): SourceBundle {
    return new AssetSourceBundle(path, options ?? {});
  }

  /**
   * An object already in S3, in the region of the environment.
   *
   * @param bucket the bucket
   * @param key the object key
   */
  public static fromBucket(bucket: s3.IBucket, key: string): SourceBundle {
    return new BucketSourceBundle(bucket, key);
  }

  /**
   * Makes the bundle available to `scope` (for an asset, creates the asset there) and says where
   * it is.
   */
  public abstract bind(scope: Construct): SourceBundleConfig;
}

class AssetSourceBundle extends SourceBundle {
  constructor(
    private readonly path: string,
    private readonly options: s3assets.AssetOptions,
  ) {
    super();
  }

  public bind(scope: Construct): SourceBundleConfig {
    const asset = new s3assets.Asset(scope, 'SourceBundle', { ...this.options, path: this.path });
    return { bucket: asset.bucket, key: asset.s3ObjectKey };
  }
}

class BucketSourceBundle extends SourceBundle {
  constructor(
    private readonly bucket: s3.IBucket,
    private readonly key: string,
  ) {
    super();
  }

  public bind(_scope: Construct): SourceBundleConfig {
    return { bucket: this.bucket, key: this.key };
  }
}
