import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  CreateApplicationCommand,
  CreateEnvironmentCommand,
  ElasticBeanstalkClient,
} from '@aws-sdk/client-elastic-beanstalk';
import type { CustomResourceEvent, CustomResourceResponse, HandlerContext } from '../../src/common/cfn-response';
import { callNames, handlerEnvironment, loadBundledHandler, MotoServer, RecordedCall } from '../support/moto-server';

// The bundled custom resource handlers of the Beanstalk constructs (assets/beanstalk/*.lambda/index.js)
// against moto's Elastic Beanstalk, as far as moto 5.2.5 implements it: CreateApplication,
// CreateEnvironment and DescribeEnvironments only. Every environment it creates is Ready at once,
// with an empty CNAME; SwapEnvironmentCNAMEs and ListPlatformVersions are not implemented (HTTP 500).
// The handlers PUT their response to the pre-signed URL CloudFormation gives, over HTTPS: here an
// HTTPS server on a loopback port with a certificate made for the run, which Node's global HTTPS
// agent (the one the handlers use) is told to trust.

const APP = 'shop';
const BLUE = 'Prod-Shop-Blue';
const GREEN = 'Prod-Shop-Green';
const BRANCH = 'Node.js 22 running on 64bit Amazon Linux 2023';

interface Handler {
  handler(event: CustomResourceEvent, context: HandlerContext): Promise<void>;
}

/** Receives the custom resource responses (PUT to https://127.0.0.1:PORT/<id>). */
class ResponseReceiver {
  public static async start(dir: string): Promise<ResponseReceiver> {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      throw new Error(`openssl could not make the certificate of the response server: ${(e as Error).message}`);
    }
    const receiver = new ResponseReceiver(fs.readFileSync(key), fs.readFileSync(cert));
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  public readonly responses = new Map<string, { contentType?: string; body: CustomResourceResponse }>();
  private readonly server: https.Server;
  private readonly savedCa: unknown;

  private constructor(
    key: Buffer,
    public readonly cert: Buffer,
  ) {
    this.server = https.createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = new URL(req.url ?? '/', 'https://127.0.0.1').pathname.slice(1);
        if (req.method === 'PUT') {
          this.responses.set(id, {
            contentType: req.headers['content-type'],
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          });
        }
        res.end();
      });
    });
    // The handlers call https.request without an agent: the global agent's options apply.
    this.savedCa = https.globalAgent.options.ca;
    https.globalAgent.options.ca = cert;
  }

  /** A response URL like CloudFormation's (pre-signed S3), for one request. */
  public url(id: string): string {
    const port = (this.server.address() as net.AddressInfo).port;
    return `https://127.0.0.1:${port}/${id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc`;
  }

  public stop(): Promise<void> {
    https.globalAgent.options.ca = this.savedCa as Buffer | undefined;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let moto: MotoServer;
let receiver: ResponseReceiver;
let workDir: string;
let eb: ElasticBeanstalkClient;
let cnameSwap: Handler;
let platformLookup: Handler;
const savedEnv = process.env;
const context: HandlerContext = {
  logStreamName: '2026/12/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 60_000,
};

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'beanstalk-moto-'));
  moto = await MotoServer.start();
  receiver = await ResponseReceiver.start(workDir);
  eb = new ElasticBeanstalkClient(moto.clientConfig());
  // The functions create their SDK clients (with the SDK's default retries) when they load.
  process.env = handlerEnvironment(moto.endpoint);
  cnameSwap = loadBundledHandler<Handler>('beanstalk/cname-swap.lambda');
  platformLookup = loadBundledHandler<Handler>('beanstalk/platform-lookup.lambda');
});

afterAll(async () => {
  process.env = savedEnv;
  eb?.destroy();
  await receiver?.stop();
  await moto?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await moto.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

let requests = 0;

function event(
  resourceType: string,
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown>,
  physicalResourceId?: string,
): CustomResourceEvent {
  const requestId = `request-${++requests}`;
  return {
    RequestType: requestType,
    ResponseURL: receiver.url(requestId),
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Prod/0a1b2c3d',
    RequestId: requestId,
    LogicalResourceId: resourceType === 'Custom::BeanstalkCnameSwap' ? 'PairCnameSwap' : 'Platform',
    ResourceType: resourceType,
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:handler', ...properties },
  };
}

const swapEvent = (requestType: 'Create' | 'Update' | 'Delete', physicalResourceId?: string) =>
  event(
    'Custom::BeanstalkCnameSwap',
    requestType,
    { ApplicationName: APP, LiveEnvironmentName: BLUE, IdleEnvironmentName: GREEN, PollIntervalSeconds: '1' },
    physicalResourceId,
  );

const platformEvent = (requestType: 'Create' | 'Update' | 'Delete', physicalResourceId?: string) =>
  event(
    'Custom::BeanstalkPlatform',
    requestType,
    { BranchName: BRANCH, SupportedTier: 'WebServer/Standard' },
    physicalResourceId,
  );

/** Runs a handler; returns the response it PUT and the AWS calls that reached moto. */
async function invoke(
  fn: Handler,
  e: CustomResourceEvent,
): Promise<{ response: CustomResourceResponse; calls: RecordedCall[] }> {
  const { calls } = await moto.record(() => fn.handler(e, context));
  const received = receiver.responses.get(e.RequestId);
  if (!received) throw new Error(`no response was PUT to ${e.ResponseURL}`);
  // The pre-signed URL is signed for an empty content type.
  expect(received.contentType).toBe('');
  return { response: received.body, calls };
}

async function createEnvironments(names: string[]): Promise<void> {
  await eb.send(new CreateApplicationCommand({ ApplicationName: APP }));
  for (const name of names) {
    await eb.send(
      new CreateEnvironmentCommand({
        ApplicationName: APP,
        EnvironmentName: name,
        CNAMEPrefix: name.toLowerCase(),
        PlatformArn: `arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/6.6.0`,
      }),
    );
  }
}

describe('CNAME swap handler against moto', () => {
  // Found with moto, whose environments have no CNAME (as worker environments have none): the
  // handler used to answer SUCCESS with PhysicalResourceId "" (the empty live CNAME), which
  // CloudFormation refuses. It now fails, naming the environment.
  test('environments without a CNAME: FAILED naming the environment, never SUCCESS with an empty physical id', async () => {
    await createEnvironments([BLUE, GREEN]);

    const { response, calls } = await invoke(cnameSwap, swapEvent('Create'));

    // One DescribeEnvironments naming both environments, and no swap.
    expect(callNames(calls)).toEqual(['elasticbeanstalk:DescribeEnvironments']);
    const params = calls[0].params;
    expect([
      params.get('ApplicationName'),
      params.get('EnvironmentNames.member.1'),
      params.get('EnvironmentNames.member.2'),
      params.get('IncludeDeleted'),
    ]).toEqual([APP, BLUE, GREEN, 'false']);
    expect(response).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(
        `Environment ${BLUE} has no CNAME: a CNAME swap needs two web server environments`,
      ),
    });
    expect(response.PhysicalResourceId).not.toBe('');
  });

  test('Update with the idle environment missing: FAILED, naming it, with the log stream; the physical id is kept', async () => {
    await createEnvironments([BLUE]);

    const { response, calls } = await invoke(
      cnameSwap,
      swapEvent('Update', 'prod-shop-blue.eu-west-1.elasticbeanstalk.com'),
    );

    expect(response).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'prod-shop-blue.eu-west-1.elasticbeanstalk.com',
      Reason: `Environment ${GREEN} of application ${APP} does not exist (log stream ${context.logStreamName})`,
    });
    expect(callNames(calls)).toEqual(['elasticbeanstalk:DescribeEnvironments']);
  });

  test('Delete: SUCCESS with the same physical id, no AWS call', async () => {
    await createEnvironments([BLUE, GREEN]);

    const { response, calls } = await invoke(
      cnameSwap,
      swapEvent('Delete', 'prod-shop-blue.eu-west-1.elasticbeanstalk.com'),
    );

    expect(response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'prod-shop-blue.eu-west-1.elasticbeanstalk.com',
    });
    expect(calls).toEqual([]);
  });
});

describe('platform lookup handler against moto', () => {
  test('Create: ListPlatformVersions with the branch, recommended and tier filters; moto lacks it, so FAILED, not a timeout', async () => {
    const { response, calls } = await invoke(platformLookup, platformEvent('Create'));

    expect(response).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'Platform-create-failed',
      Reason: expect.stringContaining(`(log stream ${context.logStreamName})`),
    });
    // HTTP 500 from moto: the SDK's standard retry strategy tries three times.
    expect(callNames(calls)).toEqual([
      'elasticbeanstalk:ListPlatformVersions',
      'elasticbeanstalk:ListPlatformVersions',
      'elasticbeanstalk:ListPlatformVersions',
    ]);
    const filters = Object.fromEntries(
      [1, 2, 3].map((i) => [
        calls[0].params.get(`Filters.member.${i}.Type`),
        [
          calls[0].params.get(`Filters.member.${i}.Operator`),
          calls[0].params.get(`Filters.member.${i}.Values.member.1`),
        ],
      ]),
    );
    expect(filters).toEqual({
      PlatformBranchName: ['=', BRANCH],
      PlatformLifecycleState: ['=', 'recommended'],
      SupportedTier: ['=', 'WebServer/Standard'],
    });
  });

  test('Delete: SUCCESS with the same physical id, no AWS call', async () => {
    const arn = `arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/6.6.0`;

    const { response, calls } = await invoke(platformLookup, platformEvent('Delete', arn));

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn });
    expect(calls).toEqual([]);
  });
});
