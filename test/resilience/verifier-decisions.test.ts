import { Measurement } from '../../src/resilience/contract';
import { recordProbe, verdict, VerdictInput } from '../../src/resilience/verifier-decisions';

const START = 1_000_000;
const s = (seconds: number) => START + seconds * 1000;

/** The measurement of probes every 5 s from the experiment's start: `pattern` is 'ok'/'fail' per probe. */
function probes(pattern: string): Measurement {
  let m: Measurement | undefined;
  pattern.split(' ').forEach((p, i) => {
    m = recordProbe(m, p === 'ok', s(i * 5), p === 'ok' ? 'HTTP 200' : 'ECONNREFUSED');
  });
  return m!;
}

const base: VerdictInput = {
  experimentStart: START,
  status: 'completed',
  experimentEnd: s(60),
  budgetSeconds: 30,
  recoveryWaitSeconds: 600,
  quietSeconds: 60,
};

describe('recordProbe', () => {
  test('keeps the first failure and the recovery that lasted; a failure after a recovery is a relapse', () => {
    expect(probes('ok ok fail fail ok ok')).toMatchObject({
      probes: 6,
      failures: 2,
      firstFailureAt: s(10),
      recoveredAt: s(20),
      relapses: 0,
    });
    const relapsed = probes('ok fail ok fail fail ok');
    expect(relapsed).toMatchObject({ firstFailureAt: s(5), recoveredAt: s(25), relapses: 1, failures: 3 });
    expect(probes('ok fail fail')).toMatchObject({ firstFailureAt: s(5), recoveredAt: undefined });
  });
});

describe('verdict: probe sequences to measured times and verdicts', () => {
  test.each<[string, string, Partial<VerdictInput>, number, object]>([
    [
      'recovered within the budget',
      'ok ok fail fail fail ok ok',
      {},
      s(90),
      { done: true, result: 'passed', passed: true, timeToDetectSeconds: 10, timeToRecoverSeconds: 15 },
    ],
    [
      'recovered late',
      'ok fail fail fail fail fail fail fail fail ok',
      {},
      s(90),
      { done: true, result: 'recovered-late', passed: false, timeToDetectSeconds: 5, timeToRecoverSeconds: 40 },
    ],
    ['never recovered, within the wait: go on probing', 'ok fail fail fail', {}, s(300), { done: false }],
    [
      'never recovered, past the wait',
      'ok fail fail fail',
      {},
      s(60 + 600),
      { done: true, result: 'not-recovered', passed: false, timeToDetectSeconds: 5, timeToRecoverSeconds: -1 },
    ],
    [
      'stopped by a stop condition',
      'ok fail fail',
      { status: 'stopped', reason: 'Experiment stopped by stop condition: alarm Shop-TargetServerErrorRate' },
      s(30),
      { done: true, result: 'stopped-by-stop-condition', passed: false },
    ],
    [
      'the experiment failed',
      'ok ok',
      { status: 'failed', reason: 'Target resolution returned empty set' },
      s(10),
      { done: true, result: 'experiment-failed', passed: false },
    ],
    ['still running', 'ok fail fail ok', { status: 'running', experimentEnd: undefined }, s(20), { done: false }],
    ['no failure seen, not quiet long enough yet', 'ok ok ok', {}, s(90), { done: false }],
    [
      'no failure seen for the quiet time after the end: passed, no outage',
      'ok ok ok',
      {},
      s(120),
      { done: true, result: 'passed', timeToDetectSeconds: -1, timeToRecoverSeconds: 0 },
    ],
    [
      'a relapse: the recovery that lasted counts',
      'fail ok fail fail ok',
      {},
      s(90),
      { done: true, result: 'passed', timeToDetectSeconds: 0, timeToRecoverSeconds: 20 },
    ],
    ['failing at the last probe after a recovery: not done', 'fail ok fail', {}, s(90), { done: false }],
  ])('%s', (_what, pattern, input, now, expected) => {
    expect(verdict(probes(pattern), { ...base, ...input }, now)).toMatchObject(expected);
  });

  test('the summary names the result, the reason and the counts', () => {
    const out = verdict(
      probes('ok fail fail'),
      { ...base, status: 'stopped', reason: 'alarm Shop-UnhealthyHosts in ALARM' },
      s(30),
    );
    expect(out.summary).toBe(
      'stopped-by-stop-condition: the experiment was stopped: alarm Shop-UnhealthyHosts in ALARM (3 probes, 2 failed)',
    );
    expect(verdict(probes('ok fail ok'), base, s(90)).summary).toBe(
      'passed: recovered in 5 s, within the budget of 30 s (3 probes, 1 failed)',
    );
  });

  test('without an end time the first round that saw the end counts as the end', () => {
    const first = verdict(probes('ok ok'), { ...base, experimentEnd: undefined }, s(100));
    expect(first).toMatchObject({ done: false, measurement: { endSeenAt: s(100) } });
    expect(verdict(first.measurement, { ...base, experimentEnd: undefined }, s(159)).done).toBe(false);
    expect(verdict(first.measurement, { ...base, experimentEnd: undefined }, s(160))).toMatchObject({
      done: true,
      result: 'passed',
    });
  });
});
