/**
 * How one of a construct's alarms is set: on or off, and its threshold and evaluation periods in
 * place of the construct's defaults. Each construct documents, per alarm, the unit of `threshold`,
 * its default and the range it accepts.
 */
export interface AlarmSetting {
  /**
   * Whether the construct creates this alarm. Turn one alarm off when your own monitoring watches
   * the same metric; turn them all off with the construct's `alarms: false`.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The value the alarm compares its metric with, in the unit the alarm's documentation names.
   *
   * @default the alarm's documented default
   */
  readonly threshold?: number;

  /**
   * How many consecutive periods must breach the threshold before the alarm fires (every one of
   * them: the alarm's `datapointsToAlarm` equals this).
   *
   * @default the alarm's documented default
   */
  readonly evaluationPeriods?: number;
}
