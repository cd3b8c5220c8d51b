import { Duration, Token } from 'aws-cdk-lib';

/**
 * Collects every problem with a construct's props so the user can fix them all in one pass,
 * then throws one `Error` that names each prop, what is allowed and what was received.
 *
 * Values that are unresolved tokens are skipped: they are only known at deploy time.
 */
export class PropsValidator {
  private readonly problems: string[] = [];

  constructor(private readonly construct: string) {}

  /** Records a problem in the form `<prop> <what is allowed>, received <value>`. */
  public fail(prop: string, allowed: string, received: unknown): void {
    this.problems.push(`${prop} ${allowed}, received ${describe(received)}`);
  }

  /** `value` must be a whole number within [min, max]. */
  public integerInRange(prop: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(prop, `must be a whole number from ${min} to ${max}`, value);
    }
  }

  /** `value` must be a number within [min, max] (fractions allowed). */
  public numberInRange(prop: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (Number.isNaN(value) || value < min || value > max) {
      this.fail(prop, `must be from ${min} to ${max}`, value);
    }
  }

  /** `value` must be a duration of whole seconds within [minSeconds, maxSeconds]. */
  public secondsInRange(prop: string, value: Duration | undefined, minSeconds: number, maxSeconds: number): void {
    if (value === undefined || value.isUnresolved()) return;
    const seconds = value.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < minSeconds || seconds > maxSeconds) {
      this.fail(prop, `must be a whole number of seconds from ${minSeconds} to ${maxSeconds}`, value.toHumanString());
    }
  }

  /** `value` must be a TCP/UDP port number. */
  public port(prop: string, value: number | undefined): void {
    this.integerInRange(prop, value, 1, 65535);
  }

  /** `lowProp` must not be greater than `highProp` (both resolved). */
  public ordered(lowProp: string, low: number | undefined, highProp: string, high: number | undefined): void {
    if (low === undefined || high === undefined || Token.isUnresolved(low) || Token.isUnresolved(high)) return;
    if (low > high) {
      this.problems.push(`${lowProp} (${low}) must be <= ${highProp} (${high})`);
    }
  }

  /** Throws one error listing every problem recorded, if there is any. */
  public throwIfInvalid(): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((p) => `  - ${p}`).join('\n');
    throw new Error(`Invalid ${this.construct} props:\n${list}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}
