import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { PropsValidator } from '../../src/common/validation';

/** The message `check` throws, or undefined when it throws nothing. */
function messageOf(check: PropsValidator): string | undefined {
  try {
    check.throwIfInvalid();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The one problem `record` leaves on a fresh validator, or undefined when it leaves none. */
function problemOf(record: (check: PropsValidator) => void): string | undefined {
  const check = new PropsValidator('Thing');
  record(check);
  const message = messageOf(check);
  if (message === undefined) return undefined;
  const [header, ...problems] = message.split('\n');
  expect(header).toBe('Invalid Thing props:');
  expect(problems).toHaveLength(1);
  return problems[0];
}

const numberToken = Token.asNumber(Lazy.string({ produce: () => '7' }));
const lazyNumber = Lazy.number({ produce: () => 7 });

describe('PropsValidator.fail', () => {
  test.each<[string, unknown, string]>([
    ['a number as is', 3, '  - size must be small, received 3'],
    ['a string quoted', 'big', "  - size must be small, received 'big'"],
    ['an empty string quoted', '', "  - size must be small, received ''"],
    ['an array with its members rendered', ['a', 1, ['b']], "  - size must be small, received ['a', 1, ['b']]"],
    ['an empty array', [], '  - size must be small, received []'],
    ['undefined as a word', undefined, '  - size must be small, received undefined'],
    ['a boolean as is', false, '  - size must be small, received false'],
  ])('renders %s', (_name, received, expected) => {
    expect(problemOf((check) => check.fail('size', 'must be small', received))).toBe(expected);
  });
});

describe('PropsValidator.integerInRange', () => {
  test.each<[string, number | undefined, string | undefined]>([
    ['inside the range', 5, undefined],
    ['the lower bound', 1, undefined],
    ['the upper bound', 10, undefined],
    ['below the range', 0, '  - count must be a whole number from 1 to 10, received 0'],
    ['above the range', 11, '  - count must be a whole number from 1 to 10, received 11'],
    ['a negative number', -3, '  - count must be a whole number from 1 to 10, received -3'],
    ['a fraction inside the range', 2.5, '  - count must be a whole number from 1 to 10, received 2.5'],
    ['NaN', NaN, '  - count must be a whole number from 1 to 10, received NaN'],
    ['Infinity', Infinity, '  - count must be a whole number from 1 to 10, received Infinity'],
    ['undefined (skipped)', undefined, undefined],
    ['a Token.asNumber token (skipped)', numberToken, undefined],
    ['a Lazy.number token (skipped)', lazyNumber, undefined],
  ])('%s', (_name, value, expected) => {
    expect(problemOf((check) => check.integerInRange('count', value, 1, 10))).toBe(expected);
  });
});

describe('PropsValidator.numberInRange', () => {
  test.each<[string, number | undefined, string | undefined]>([
    ['inside the range', 50, undefined],
    ['a fraction inside the range', 0.5, undefined],
    ['the lower bound', 0.1, undefined],
    ['the upper bound', 100, undefined],
    ['below the range', 0, '  - percent must be from 0.1 to 100, received 0'],
    ['a fraction above the range', 100.5, '  - percent must be from 0.1 to 100, received 100.5'],
    ['NaN', NaN, '  - percent must be from 0.1 to 100, received NaN'],
    ['undefined (skipped)', undefined, undefined],
    ['a Token.asNumber token (skipped)', numberToken, undefined],
    ['a Lazy.number token (skipped)', lazyNumber, undefined],
  ])('%s', (_name, value, expected) => {
    expect(problemOf((check) => check.numberInRange('percent', value, 0.1, 100))).toBe(expected);
  });
});

describe('PropsValidator.secondsInRange', () => {
  test.each<[string, Duration | undefined, string | undefined]>([
    ['inside the range', Duration.seconds(30), undefined],
    ['the lower bound', Duration.seconds(5), undefined],
    ['the upper bound, in minutes', Duration.minutes(5), undefined],
    [
      'below the range',
      Duration.seconds(4),
      "  - interval must be a whole number of seconds from 5 to 300, received '4 seconds'",
    ],
    [
      'above the range',
      Duration.seconds(301),
      "  - interval must be a whole number of seconds from 5 to 300, received '5 minutes 1 second'",
    ],
    [
      'a fraction of a second',
      Duration.millis(5500),
      "  - interval must be a whole number of seconds from 5 to 300, received '5 seconds 500 millis'",
    ],
    ['undefined (skipped)', undefined, undefined],
    ['a Duration of a Token.asNumber token (skipped)', Duration.seconds(numberToken), undefined],
    ['a Duration of a Lazy.number token (skipped)', Duration.minutes(lazyNumber), undefined],
  ])('%s', (_name, value, expected) => {
    expect(problemOf((check) => check.secondsInRange('interval', value, 5, 300))).toBe(expected);
  });
});

describe('PropsValidator.port', () => {
  test.each<[string, number | undefined, string | undefined]>([
    ['a common port', 8080, undefined],
    ['port 1', 1, undefined],
    ['port 65535', 65535, undefined],
    ['port 0', 0, '  - appPort must be a whole number from 1 to 65535, received 0'],
    ['port 65536', 65536, '  - appPort must be a whole number from 1 to 65535, received 65536'],
    ['a fraction', 80.5, '  - appPort must be a whole number from 1 to 65535, received 80.5'],
    ['NaN', NaN, '  - appPort must be a whole number from 1 to 65535, received NaN'],
    ['undefined (skipped)', undefined, undefined],
    ['a Token.asNumber token (skipped)', numberToken, undefined],
    ['a Lazy.number token (skipped)', lazyNumber, undefined],
  ])('%s', (_name, value, expected) => {
    expect(problemOf((check) => check.port('appPort', value))).toBe(expected);
  });
});

describe('PropsValidator.ordered', () => {
  test.each<[string, number | undefined, number | undefined, string | undefined]>([
    ['low below high', 1, 4, undefined],
    ['low equal to high', 4, 4, undefined],
    ['low above high', 5, 2, '  - minCapacity (5) must be <= maxCapacity (2)'],
    ['fractions, low above high', 2.5, 2.25, '  - minCapacity (2.5) must be <= maxCapacity (2.25)'],
    ['low undefined (skipped)', undefined, 2, undefined],
    ['high undefined (skipped)', 5, undefined, undefined],
    ['low a token (skipped)', numberToken, 2, undefined],
    ['high a token (skipped)', 5, lazyNumber, undefined],
  ])('%s', (_name, low, high, expected) => {
    expect(problemOf((check) => check.ordered('minCapacity', low, 'maxCapacity', high))).toBe(expected);
  });
});

describe('PropsValidator.throwIfInvalid', () => {
  test('throws nothing without problems', () => {
    const check = new PropsValidator('Thing');
    check.port('port', 80);
    expect(() => check.throwIfInvalid()).not.toThrow();
  });

  test('throws an Error naming the construct and listing every problem, in the order recorded', () => {
    const check = new PropsValidator('HighlyAvailableWebApp');
    check.port('appPort', 0);
    check.fail('healthCheckPath', "must start with '/'", 'health');
    check.ordered('minCapacity', 5, 'maxCapacity', 2);
    check.secondsInRange('healthCheckInterval', Duration.seconds(2), 5, 300);
    expect(() => check.throwIfInvalid()).toThrow(Error);
    expect(messageOf(check)).toBe(
      [
        'Invalid HighlyAvailableWebApp props:',
        '  - appPort must be a whole number from 1 to 65535, received 0',
        "  - healthCheckPath must start with '/', received 'health'",
        '  - minCapacity (5) must be <= maxCapacity (2)',
        "  - healthCheckInterval must be a whole number of seconds from 5 to 300, received '2 seconds'",
      ].join('\n'),
    );
  });

  test('checks that pass add nothing to the problems of the others', () => {
    const check = new PropsValidator('Thing');
    check.integerInRange('a', 3, 1, 10);
    check.integerInRange('b', 30, 1, 10);
    check.numberInRange('c', 0.5, 0, 1);
    expect(messageOf(check)).toBe('Invalid Thing props:\n  - b must be a whole number from 1 to 10, received 30');
  });
});
