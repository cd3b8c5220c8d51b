import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as constructs from 'constructs';
import * as ts from 'typescript';
import * as patterns from '../src';
import { expectNoFindings, formatFindings, newCheckedApp, synthFindings } from './support/checked-app';
import { newComplianceApp } from './support/compliance';
import { publicOnlyVpc } from './support/vpc';

// Runs the README's TypeScript examples, as written, in an app with cdk-nag AwsSolutions and strict
// CloudFormation Validate: a user who copies one gets zero findings. The names an example may use
// are those of rosetta/default.ts-fixture (the fixture rosetta compiles the examples with); the
// values an example only declares (`declare const vpc: ec2.IVpc`) are made here, clean themselves.

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf-8');
const ENV = { account: '111111111111', region: 'eu-west-1' };

interface Example {
  /** The README's `## ` section the example is in. */
  readonly section: string;
  /** Its first line, to tell the examples of one section apart in the test names. */
  readonly firstLine: string;
  readonly code: string;
  /** The names it declares and expects to be given. */
  readonly declared: Record<string, string>;
}

function readmeExamples(): Example[] {
  const examples: Example[] = [];
  let section = '';
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  const headings = [...README.matchAll(/^## (.+)$/gm)].map((m) => ({ at: m.index!, title: m[1] }));
  for (const match of README.matchAll(fence)) {
    section = headings.filter((h) => h.at < match.index!).pop()?.title ?? '';
    const code = match[1];
    const declared: Record<string, string> = {};
    for (const d of code.matchAll(/^declare const (\w+): ([^;]+);$/gm)) declared[d[1]] = d[2];
    const firstLine = code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('declare ')) ?? '';
    examples.push({ section, firstLine: firstLine.trim(), code, declared });
  }
  return examples;
}

/** Where an example runs: `this` is `stack`, made on first use (an example that only uses `app` makes its own). */
class Scope {
  private madeStack?: cdk.Stack;
  constructor(public readonly app: cdk.App) {}
  public get stack(): cdk.Stack {
    this.madeStack ??= new cdk.Stack(this.app, 'Example', { env: ENV });
    return this.madeStack;
  }
}

/** Values for what an example declares: each clean under cdk-nag (VPCs have flow logs). */
const GIVEN: Record<string, (scope: Scope, section: string) => unknown> = {
  'app:App': (scope) => scope.app,
  'vpc:ec2.IVpc': ({ stack }, section) =>
    section === 'ElasticIpFailoverInstance'
      ? publicOnlyVpc(stack)
      : new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } } }),
  'userData:ec2.UserData': () => ec2.UserData.forLinux(),
  'certificate:acm.ICertificate': ({ stack }) =>
    acm.Certificate.fromCertificateArn(stack, 'Certificate', `arn:aws:acm:eu-west-1:${ENV.account}:certificate/abc`),
  'replica:s3.IBucket': ({ stack }) => s3.Bucket.fromBucketName(stack, 'Replica', 'shop-access-logs-replica'),
  'zone:route53.IHostedZone': ({ stack }) =>
    route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123456ABCDEFG',
      zoneName: 'example.com',
    }),
};

/** What rosetta/default.ts-fixture puts in scope. */
const FIXTURE_SCOPE: Record<string, unknown> = {
  App: cdk.App,
  CfnOutput: cdk.CfnOutput,
  Duration: cdk.Duration,
  RemovalPolicy: cdk.RemovalPolicy,
  Size: cdk.Size,
  Stack: cdk.Stack,
  Construct: constructs.Construct,
  acm,
  ec2,
  rds,
  route53,
  s3,
  sns,
  patterns,
  ...patterns,
};

function run(example: Example, where: Scope): void {
  const scope: Record<string, unknown> = { ...FIXTURE_SCOPE };
  for (const [name, type] of Object.entries(example.declared)) {
    scope[name] = GIVEN[`${name}:${type}`](where, example.section);
  }
  const js = ts.transpileModule(example.code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None },
  }).outputText;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const self = /\bthis\b/.test(js) ? where.stack : undefined;
  new Function(...Object.keys(scope), js).call(self, ...Object.values(scope));
}

const examples = readmeExamples();
const runnable = examples.filter((e) => Object.entries(e.declared).every(([n, t]) => `${n}:${t}` in GIVEN));

describe('README examples', () => {
  let cwd: string;
  beforeAll(() => {
    // Examples name their source bundles by relative path (`SourceBundle.fromAsset('app')`).
    cwd = process.cwd();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-examples-'));
    for (const bundle of ['app', 'releases/v41', 'releases/v42']) {
      fs.mkdirSync(path.join(dir, bundle), { recursive: true });
      fs.writeFileSync(path.join(dir, bundle, 'index.js'), 'require("http").createServer().listen(8080);\n');
    }
    process.chdir(dir);
  });
  afterAll(() => process.chdir(cwd));

  test('the examples that only fragment a larger app are the known ones', () => {
    // An example that declares something GIVEN cannot make is not run: keep that list deliberate.
    const fragments = examples.filter((e) => !runnable.includes(e)).map((e) => Object.keys(e.declared).join(', '));
    expect(fragments).toEqual(['webApp, database', 'webApp', 'webApp', 'server']);
    expect(runnable.length).toBe(examples.length - fragments.length);
  });

  test('the failover example builds its own flow-logged VPC and opens its port with allowFromInternet', () => {
    const failover = examples.filter((e) => e.section === 'ElasticIpFailoverInstance')[0];
    expect(failover.declared).toEqual({});
    expect(failover.code).toContain('flowLogs:');
    expect(failover.code).toContain("server.allowFromInternet(ec2.Port.tcp(80), 'HTTP');");
  });

  test("the web app's production example has zero findings on its own resources under the compliance packs too", () => {
    const production = runnable.filter((e) => e.section === 'HighlyAvailableWebApp' && e.code.includes('webAcl:'));
    expect(production).toHaveLength(1);
    const app = newComplianceApp();
    run(production[0], new Scope(app));
    // The VPC of the test's making is not the example's: only what the construct creates is judged.
    const own = synthFindings(app).filter(
      (f) => f.path.startsWith('Example/Shop/') && !f.path.startsWith('Example/Shop/Vpc/'),
    );
    expect(formatFindings(own)).toBe('');
  });

  test.each(runnable.map((e, i) => [`${e.section} #${i + 1}: ${e.firstLine}`, e] as const))(
    '%s synthesizes with zero findings',
    (_name, example) => {
      // The README's advice for stacks that share resources (see DetachableDatabase, "Connecting to it").
      const app = newCheckedApp({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
      run(example, new Scope(app));
      expectNoFindings(app);
    },
  );
});
