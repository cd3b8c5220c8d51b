import { Duration, Token } from 'aws-cdk-lib';
import type { HealthProbeProtocol } from './contract';
import { PropsValidator } from '../common/validation';

/** Options of every {@link HealthProbe}. */
export interface HealthProbeOptions {
  /**
   * How many one-minute runs in a row must fail (every attempt of the run) before the instance
   * holding the Elastic IP counts as failed, 1 to 10. Each run makes up to 3 attempts 5 seconds
   * apart, so a blip does not count.
   *
   * @default 3
   */
  readonly failedRuns?: number;

  /**
   * How long after the instance holding the Elastic IP started (at the stack's creation, when a
   * stopped standby is started to take over, or when the Auto Scaling group launches a new
   * instance) a failed run counts for nothing, 0 to 60 minutes, so a service still starting is
   * not failed over. Set it to the longest your service takes to answer once its instance runs.
   *
   * @default Duration.minutes(5)
   */
  readonly startupGrace?: Duration;

  /**
   * How long one attempt may take before it counts as failed, 1 to 15 seconds.
   *
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
}

/** Options of an HTTP or HTTPS {@link HealthProbe}. */
export interface HttpHealthProbeOptions extends HealthProbeOptions {
  /**
   * The port on the Elastic IP.
   *
   * @default 80 for HTTP, 443 for HTTPS
   */
  readonly port?: number;

  /**
   * The path requested, starting with `/`. An answer from 200 to 399 counts as healthy.
   *
   * @default '/'
   */
  readonly path?: string;
}

/** The longest an attempt may take: three attempts and their pauses fit in a one-minute run. */
const MAX_TIMEOUT_SECONDS = 15;

/** The longest startup grace: an hour. */
const MAX_STARTUP_GRACE_SECONDS = 3600;

/**
 * How the health probe of an {@link ElasticIpFailoverInstance} checks the service: once a minute,
 * from outside the VPC, through the Elastic IP, the way clients reach it. Every attempt of a run
 * failing counts as a failed run; `failedRuns` failed runs in a row count as a failure of the
 * instance holding the Elastic IP: with a standby instance the failover function moves the Elastic
 * IP to the other instance if that one is healthy; with the Auto Scaling strategy the instance is
 * marked Unhealthy and the group replaces it. The port must be open to the internet
 * (`server.allowFromInternet()`).
 */
export class HealthProbe {
  /** An HTTP GET of `path` on `port` (default 80). */
  public static http(options: HttpHealthProbeOptions = {}): HealthProbe {
    return new HealthProbe('http', options.port ?? 80, options.path ?? '/', options);
  }

  /**
   * An HTTPS GET of `path` on `port` (default 443). The certificate is not verified: the probe
   * connects to the Elastic IP's address, which a certificate does not name.
   */
  public static https(options: HttpHealthProbeOptions = {}): HealthProbe {
    return new HealthProbe('https', options.port ?? 443, options.path ?? '/', options);
  }

  /** A TCP connection to `port`: healthy when it is accepted. */
  public static tcp(port: number, options: HealthProbeOptions = {}): HealthProbe {
    return new HealthProbe('tcp', port, undefined, options);
  }

  /** `http`, `https` or `tcp`. */
  public readonly protocol: string;

  /** The port on the Elastic IP. */
  public readonly port: number;

  /**
   * The path an HTTP(S) probe requests.
   *
   * @default - none (TCP)
   */
  public readonly path?: string;

  /** Failed runs in a row that count as a failure. */
  public readonly failedRuns: number;

  /** How long one attempt may take. */
  public readonly timeout: Duration;

  /** How long after the holder of the Elastic IP started a failed run counts for nothing. */
  public readonly startupGrace: Duration;

  private constructor(
    protocol: HealthProbeProtocol,
    port: number,
    path: string | undefined,
    options: HealthProbeOptions,
  ) {
    this.protocol = protocol;
    this.port = port;
    this.path = path;
    this.failedRuns = options.failedRuns ?? 3;
    this.timeout = options.timeout ?? Duration.seconds(5);
    this.startupGrace = options.startupGrace ?? Duration.minutes(5);
  }

  /**
   * Records every problem with the probe's settings, named as the user writes them.
   *
   * @internal
   */
  public _validate(check: PropsValidator, prop = 'healthProbe'): void {
    const call = `${prop} (HealthProbe.${this.protocol}())`;
    check.port(`${call} port`, this.port);
    check.integerInRange(`${call} failedRuns`, this.failedRuns, 1, 10);
    check.secondsInRange(`${call} timeout`, this.timeout, 1, MAX_TIMEOUT_SECONDS);
    check.secondsInRange(`${call} startupGrace`, this.startupGrace, 0, MAX_STARTUP_GRACE_SECONDS);
    const path = this.path;
    if (path !== undefined && !Token.isUnresolved(path) && !/^\/[^\s]{0,1023}$/.test(path)) {
      check.fail(`${call} path`, "must start with '/', contain no spaces and be at most 1024 characters", path);
    }
  }
}
