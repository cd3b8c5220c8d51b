import { BRANCH, buildEnvironment, buildPair } from './support';
import { BeanstalkPlatform, EnvironmentPreset } from '../../src/beanstalk';

// One snapshot per construct (asset hashes normalised by test/setup.ts).

describe('snapshots', () => {
  test('dev single-instance environment', () => {
    const { template } = buildEnvironment({
      preset: EnvironmentPreset.singleInstance(),
      platform: BeanstalkPlatform.latest(BRANCH),
    });
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('prod blue/green pair', () => {
    const { template } = buildPair();
    expect(template.toJSON()).toMatchSnapshot();
  });
});
