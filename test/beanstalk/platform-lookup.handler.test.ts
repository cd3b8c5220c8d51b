import {
  ElasticBeanstalkClient,
  ListPlatformVersionsCommand,
  PlatformSummary,
} from '@aws-sdk/client-elastic-beanstalk';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { compareVersions, onEvent } from '../../src/beanstalk/platform-lookup.lambda';
import { CustomResourceEvent } from '../../src/common/cfn-response';

const BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';
const eb = mockClient(ElasticBeanstalkClient);
const client = new ElasticBeanstalkClient({ region: 'eu-west-1' });

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string> = {},
): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: 'https://example.com/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Prod/1',
    RequestId: 'request-1',
    LogicalResourceId: 'Platform',
    ResourceType: 'Custom::BeanstalkPlatform',
    PhysicalResourceId: requestType === 'Create' ? undefined : 'arn:old',
    ResourceProperties: { ServiceToken: 'arn:fn', BranchName: BRANCH, ...properties },
  };
}

function version(v: string, extra: Partial<PlatformSummary> = {}): PlatformSummary {
  return {
    PlatformArn: `arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/${v}`,
    PlatformVersion: v,
    PlatformBranchName: BRANCH,
    PlatformLifecycleState: 'recommended',
    PlatformStatus: 'Ready',
    ...extra,
  };
}

beforeEach(() => {
  eb.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('platform lookup handler', () => {
  test('picks the newest recommended version among several, comparing versions numerically', async () => {
    eb.on(ListPlatformVersionsCommand).resolves({
      PlatformSummaryList: [version('6.9.3'), version('6.10.0'), version('6.2.1')],
    });

    const result = await onEvent(event('Create'), client);

    expect(result).toEqual({
      physicalResourceId: version('6.10.0').PlatformArn,
      data: { PlatformArn: version('6.10.0').PlatformArn, PlatformVersion: '6.10.0' },
    });
    expect(eb).toHaveReceivedCommandWith(ListPlatformVersionsCommand, {
      Filters: [
        { Type: 'PlatformBranchName', Operator: '=', Values: [BRANCH] },
        { Type: 'PlatformLifecycleState', Operator: '=', Values: ['recommended'] },
      ],
    });
  });

  test('filters on the supported tier when given and follows every page', async () => {
    eb.on(ListPlatformVersionsCommand)
      .resolvesOnce({ PlatformSummaryList: [version('6.4.0')], NextToken: 'page-2' })
      .resolvesOnce({ PlatformSummaryList: [version('6.5.0')] });

    const result = await onEvent(event('Update', { SupportedTier: 'Worker/SQS/HTTP' }), client);

    expect(result.data?.PlatformVersion).toBe('6.5.0');
    expect(eb).toHaveReceivedCommandTimes(ListPlatformVersionsCommand, 2);
    expect(eb).toHaveReceivedNthCommandWith(2, ListPlatformVersionsCommand, {
      NextToken: 'page-2',
      Filters: expect.arrayContaining([{ Type: 'SupportedTier', Operator: '=', Values: ['Worker/SQS/HTTP'] }]),
    });
  });

  test('ignores versions that are not ready or not recommended', async () => {
    eb.on(ListPlatformVersionsCommand).resolves({
      PlatformSummaryList: [
        version('7.0.0', { PlatformStatus: 'Creating' }),
        version('6.9.0', { PlatformLifecycleState: 'deprecated' }),
        version('6.8.0'),
      ],
    });

    const result = await onEvent(event('Create'), client);

    expect(result.data?.PlatformVersion).toBe('6.8.0');
  });

  test('fails clearly, naming the branch, when the branch has no recommended version', async () => {
    eb.on(ListPlatformVersionsCommand).resolves({ PlatformSummaryList: [] });

    await expect(onEvent(event('Create', { BranchName: 'Node.js 99 running on Nothing' }), client)).rejects.toThrow(
      /No recommended Elastic Beanstalk platform version found for platform branch 'Node.js 99 running on Nothing'.*list-platform-branches/,
    );
  });

  test('delete calls nothing and keeps the physical id', async () => {
    const result = await onEvent(event('Delete'), client);

    expect(result).toEqual({ physicalResourceId: 'arn:old' });
    expect(eb).toHaveReceivedCommandTimes(ListPlatformVersionsCommand, 0);
  });

  test('refuses a missing branch name', async () => {
    await expect(onEvent(event('Create', { BranchName: '' }), client)).rejects.toThrow(
      /BranchName must be a non-empty string/,
    );
  });

  test('compareVersions orders dotted versions numerically', () => {
    expect(compareVersions('6.10.0', '6.9.9')).toBeGreaterThan(0);
    expect(compareVersions('6.1', '6.1.0')).toBe(0);
    expect(compareVersions(undefined, '1.0.0')).toBeLessThan(0);
  });
});
