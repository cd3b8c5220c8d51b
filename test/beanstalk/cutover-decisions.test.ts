import {
  alarmsBeforeSwapVerdict,
  bakeEnd,
  bakeVerdict,
  cutoverCheckPlan,
  healthVerdict,
  isRollingBack,
  probeVerdict,
} from '../../src/beanstalk/cutover-decisions';

describe('healthVerdict', () => {
  test.each([
    ['Ok', 'ok'],
    ['Info', 'retry'],
    ['Pending', 'retry'],
    ['Unknown', 'retry'],
    ['NoData', 'retry'],
    ['Warning', 'retry'],
    [undefined, 'retry'],
    ['Degraded', 'fail'],
    ['Severe', 'fail'],
    ['Suspended', 'fail'],
  ])('%s -> %s', (status, verdict) => {
    expect(healthVerdict('green', status, ['100% of requests fail']).verdict).toBe(verdict);
  });
  test('the reason names the environment, the status and the causes', () => {
    expect(healthVerdict('green', 'Severe', ['a', 'b'])).toEqual({
      verdict: 'fail',
      reason: 'enhanced health rates green Severe, not Ok: a; b',
    });
  });
});

describe('probeVerdict', () => {
  test.each([
    [{ status: 200 }, 'ok'],
    [{ status: 204 }, 'ok'],
    [{ status: 301 }, 'ok'],
    [{ status: 399 }, 'ok'],
    [{ status: 404 }, 'retry'],
    [{ status: 500 }, 'retry'],
    [{ status: 199 }, 'retry'],
    [{ error: 'ECONNREFUSED' }, 'retry'],
    [{}, 'retry'],
  ])('%j -> %s', (result, verdict) => {
    expect(probeVerdict('http://x/health', result).verdict).toBe(verdict);
  });
  test('the reason says what was seen', () => {
    expect(probeVerdict('http://x/', { status: 503 })).toMatchObject({
      reason: 'GET http://x/ answered HTTP 503, not 2xx or 3xx',
    });
    expect(probeVerdict('http://x/', { error: 'timeout' })).toMatchObject({
      reason: 'GET http://x/ answered timeout, not 2xx or 3xx',
    });
  });
});

describe('alarmsBeforeSwapVerdict', () => {
  test.each([
    [[], 'ok'],
    [
      [
        { name: 'a', state: 'OK' },
        { name: 'b', state: 'INSUFFICIENT_DATA' },
      ],
      'ok',
    ],
    [
      [
        { name: 'a', state: 'OK' },
        { name: 'b', state: 'ALARM' },
      ],
      'fail',
    ],
  ])('%j -> %s', (alarms, verdict) => {
    expect(alarmsBeforeSwapVerdict('green', alarms).verdict).toBe(verdict);
  });
});

describe('bakeVerdict and bakeEnd', () => {
  test.each([
    [[{ name: 'a', state: 'OK' }], 0, 100, 'continue'],
    [[{ name: 'a', state: 'INSUFFICIENT_DATA' }], 50, 100, 'continue'],
    [[{ name: 'a', state: 'OK' }], 100, 100, 'passed'],
    [[{ name: 'a', state: 'OK' }], 150, 100, 'passed'],
    [[{ name: 'a', state: 'ALARM' }], 10, 100, 'rollback'],
    [[{ name: 'a', state: 'ALARM' }], 100, 100, 'rollback'],
  ])('%j at %d (end %d) -> %s', (alarms, now, end, verdict) => {
    expect(bakeVerdict(alarms, now, end).verdict).toBe(verdict);
  });
  test('rollback names the firing alarms', () => {
    expect(
      bakeVerdict(
        [
          { name: 'a', state: 'ALARM' },
          { name: 'b', state: 'OK' },
          { name: 'c', state: 'ALARM' },
        ],
        0,
        1,
      ),
    ).toEqual({
      verdict: 'rollback',
      firing: ['a', 'c'],
    });
  });
  test('the bake is cut short to leave room for a swap back', () => {
    expect(bakeEnd(1000, 300, 1_000_000)).toBe(301_000);
    expect(bakeEnd(1000, 300, 200_000)).toBe(200_000);
  });
});

describe('Route 53 cutover check plan', () => {
  test.each([
    ['Create', undefined, 'Green', undefined, false, /Create: no cutover/],
    ['Delete', 'Blue', 'Green', undefined, false, /Delete: no cutover/],
    ['Update', 'Green', 'Green', undefined, false, /Green stays live: no cutover/],
    ['Update', 'Blue', 'Green', 'UPDATE_IN_PROGRESS', true, undefined],
    ['Update', 'Blue', 'Green', 'UPDATE_ROLLBACK_IN_PROGRESS', false, /rolling back to Green, which was live before/],
  ])('%s from %s to %s (stack %s): acts %s', (requestType, previous, live, status, act, reason) => {
    const plan = cutoverCheckPlan(requestType, previous, live, status);
    expect(plan.act).toBe(act);
    if (reason) expect(plan).toMatchObject({ reason: expect.stringMatching(reason) });
  });

  test.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_IN_PROGRESS', false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', false],
    [undefined, false],
  ])('stack status %s is a rollback: %s', (status, rollingBack) => {
    expect(isRollingBack(status)).toBe(rollingBack);
  });
});
