/*
 * Custom resource handler behind BeanstalkPlatform.latest(branchName): finds the newest
 * recommended platform version of an Elastic Beanstalk platform branch and returns its ARN, which
 * the environments use as PlatformArn (an ARN change updates an environment in place; a solution
 * stack name change would replace it).
 *
 * Properties: BranchName (e.g. "Node.js 22 running on 64bit Amazon Linux 2023"), SupportedTier
 * (optional: "WebServer/Standard" or "Worker/SQS/HTTP").
 * Attributes: PlatformArn, PlatformVersion.
 *
 * Imports only the AWS SDK v3, its own helpers and the contract it shares with the construct.
 */
import {
  ElasticBeanstalkClient,
  paginateListPlatformVersions,
  PlatformFilter,
  PlatformSummary,
} from '@aws-sdk/client-elastic-beanstalk';
import { PlatformLookupAttributes, PlatformLookupProperties } from './contract';
import {
  CustomResourceEvent,
  CustomResourceResult,
  HandlerContext,
  requiredString,
  respond,
} from '../common/cfn-response';

const client = new ElasticBeanstalkClient({});

export async function handler(event: CustomResourceEvent, context: HandlerContext): Promise<void> {
  await respond(event, context, () => onEvent(event, client));
}

/** Resolves the platform on Create and Update; Delete has nothing to clean up. */
export async function onEvent(event: CustomResourceEvent, eb: ElasticBeanstalkClient): Promise<CustomResourceResult> {
  if (event.RequestType === 'Delete') {
    return { physicalResourceId: event.PhysicalResourceId ?? event.LogicalResourceId };
  }
  const properties = event.ResourceProperties as Partial<PlatformLookupProperties>;
  const branchName = requiredString(event, 'BranchName' satisfies keyof PlatformLookupProperties);
  const tier: unknown = properties.SupportedTier;
  const platform = await latestRecommended(eb, branchName, typeof tier === 'string' && tier !== '' ? tier : undefined);
  console.log(JSON.stringify({ level: 'info', branchName, platformArn: platform.PlatformArn }));
  const data: PlatformLookupAttributes = {
    PlatformArn: platform.PlatformArn!,
    PlatformVersion: platform.PlatformVersion ?? '',
  };
  return { physicalResourceId: platform.PlatformArn!, data: { ...data } };
}

/** The newest recommended, ready platform version of the branch; throws when there is none. */
export async function latestRecommended(
  eb: ElasticBeanstalkClient,
  branchName: string,
  supportedTier?: string,
): Promise<PlatformSummary> {
  const filters: PlatformFilter[] = [
    { Type: 'PlatformBranchName', Operator: '=', Values: [branchName] },
    { Type: 'PlatformLifecycleState', Operator: '=', Values: ['recommended'] },
  ];
  if (supportedTier) filters.push({ Type: 'SupportedTier', Operator: '=', Values: [supportedTier] });

  const candidates: PlatformSummary[] = [];
  for await (const page of paginateListPlatformVersions({ client: eb }, { Filters: filters })) {
    candidates.push(
      ...(page.PlatformSummaryList ?? []).filter(
        (p) =>
          p.PlatformArn !== undefined &&
          (p.PlatformStatus === undefined || p.PlatformStatus === 'Ready') &&
          (p.PlatformLifecycleState === undefined || p.PlatformLifecycleState === 'recommended'),
      ),
    );
  }

  if (candidates.length === 0) {
    const tierText = supportedTier ? ` supporting tier '${supportedTier}'` : '';
    throw new Error(
      `No recommended Elastic Beanstalk platform version found for platform branch '${branchName}'${tierText}. ` +
        "Check the branch name (exact, e.g. 'Node.js 22 running on 64bit Amazon Linux 2023') with " +
        "'aws elasticbeanstalk list-platform-branches', and that the branch is supported in this region.",
    );
  }
  return candidates.reduce((newest, p) =>
    compareVersions(p.PlatformVersion, newest.PlatformVersion) > 0 ? p : newest,
  );
}

/** Compares dotted version strings numerically (`6.10.0` > `6.9.3`); a missing version is oldest. */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
