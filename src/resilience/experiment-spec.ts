import { Duration } from 'aws-cdk-lib';
import type { Acknowledgment } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as fis from 'aws-cdk-lib/aws-fis';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { ResilienceExperimentOptions } from './options';
import type { VerifierDataMarkerSpec, VerifierProbeSpec } from './verifier';
import { PropsValidator } from '../common/validation';

// Internal: what a construct gives to ResilienceExperiments, and the rules its options follow. Not
// exported from the package.

/** One experiment of a construct (internal). */
export interface ExperimentSpec {
  /** PascalCase: the template's construct id and the name the verifier is started with. */
  readonly name: string;
  /** What it does, at most 512 characters. */
  readonly description: string;
  readonly targets: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty>;
  readonly actions: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty>;
  /** The construct's alarms this experiment stops on (with the user's, at most 5). */
  readonly stopConditions: cloudwatch.IAlarm[];
  /** The README's recovery time for this experiment: the verifier's default budget. */
  readonly budget: Duration;
  /** The service's data volume moves: the verifier checks its marker survived (with `dataMarker`). */
  readonly carriesData?: boolean;
}

/** What a construct gives to {@link ResilienceExperiments} (internal). */
export interface ResilienceExperimentsSpec {
  /** The construct, as users name it in messages: `addResilienceExperiments() of <construct>`. */
  readonly constructName: string;
  readonly experiments: ExperimentSpec[];
  /** Grants the experiment role what the experiments' actions need, scoped to the construct. */
  readonly permissions: (role: iam.Role) => void;
  /** Where the verifier reports; none: the verifier's output only. */
  readonly notificationTopic?: sns.ITopic;
  /** How the verifier reaches the service; none: no verifier. */
  readonly probe?: VerifierProbeSpec;
  /** Where the verifier writes and reads its data-volume marker; none: no data volume. */
  readonly dataMarker?: VerifierDataMarkerSpec;
  /** cdk-nag acknowledgements of the experiment role's policy, for the construct's own statements. */
  readonly acknowledgements?: Acknowledgment[];
}

/** The longest fault: a run, its recovery and the verifier's wait fit in an hour. */
const MAX_FAULT_MINUTES = 30;

/** At most this many stop conditions per experiment template (AWS FIS quota, not adjustable). */
export const MAX_STOP_CONDITIONS = 5;

/** Validates the options, naming them as `addResilienceExperiments()` of the construct. */
export function validateResilienceOptions(
  options: ResilienceExperimentOptions,
  constructName: string,
  ownStopConditions: number,
): void {
  const check = new PropsValidator(`${constructName}.addResilienceExperiments()`);
  check.secondsInRange('faultDuration', options.faultDuration, 60, MAX_FAULT_MINUTES * 60);
  check.secondsInRange('recoveryBudget', options.recoveryBudget, 1, 3600);
  const extra = options.stopConditions?.length ?? 0;
  if (extra + ownStopConditions > MAX_STOP_CONDITIONS) {
    check.fail(
      'stopConditions',
      `must hold at most ${MAX_STOP_CONDITIONS - ownStopConditions} alarm(s): an experiment template takes ${MAX_STOP_CONDITIONS} stop conditions and ${ownStopConditions} are the construct's own`,
      `${extra} alarms`,
    );
  }
  check.throwIfInvalid();
}

/** The fault's duration as AWS FIS writes it (ISO 8601, whole minutes: `PT5M`). */
export function isoMinutes(duration: Duration): string {
  return `PT${Math.round(duration.toMinutes({ integral: false }))}M`;
}
