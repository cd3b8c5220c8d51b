import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

// Runs the library's bundled Lambda handlers against moto's server (an AWS API emulator) on a
// loopback port: starting and stopping the server, resetting it between tests, recording which AWS
// calls reach it, the process environment a handler loads with, and an inbox for SNS notifications.

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Installed by `npx projen python-tools` (scripts/python-tools.sh, pinned in scripts/python-tools.txt). */
export const MOTO_SERVER = path.join(REPO_ROOT, '.venv-tools', 'bin', 'moto_server');
export const REGION = 'eu-west-1';
/** The account moto answers as. */
export const ACCOUNT = '123456789012';

/** One AWS API call that reached the server, as its recorder saw it. */
export interface RecordedCall {
  /** The signing name of the service (`ec2`, `sns`, `autoscaling`, `elasticbeanstalk`). */
  readonly service: string;
  readonly action: string;
  readonly params: URLSearchParams;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/** Sends one HTTP request (no retries) and reads the whole answer. */
export function httpRequest(url: string, method = 'GET', body?: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? {} : { 'content-type': 'text/plain' } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(body);
  });
}

/** A free TCP port on the loopback interface (the OS picks one; it is released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last `limit` characters a process wrote, for error messages. */
class OutputTail {
  private text = '';
  constructor(private readonly limit = 16_000) {}
  public add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-this.limit);
  }
  public toString(): string {
    return this.text;
  }
}

export interface MotoServerOptions {
  /** How long to wait for the server to answer HTTP. @default 60 s (it takes 2-5 s on a busy 2-core machine) */
  readonly startTimeoutMs?: number;
}

/** A `moto_server` process on a free loopback port. Start one per test file (beforeAll), stop it in afterAll. */
export class MotoServer {
  public static async start(options: MotoServerOptions = {}): Promise<MotoServer> {
    if (!fs.existsSync(MOTO_SERVER)) {
      throw new Error(
        `moto's server is not installed (${path.relative(REPO_ROOT, MOTO_SERVER)} is missing): run npx projen python-tools, which installs the pinned Python tools of scripts/python-tools.txt into .venv-tools`,
      );
    }
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    let lastError: Error | undefined;
    // The port is free when picked but could be taken before moto binds it: try another one then.
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new MotoServer(await freePort());
      try {
        await server.waitUntilReady(timeoutMs);
        return server;
      } catch (e) {
        lastError = e as Error;
        await server.stop();
        if (!/address already in use/i.test(server.output())) break;
      }
    }
    throw lastError;
  }

  /** `http://127.0.0.1:PORT`: what AWS_ENDPOINT_URL (or a client's `endpoint`) is set to. */
  public readonly endpoint: string;
  private readonly process: ChildProcess;
  private readonly tail = new OutputTail();
  private readonly workDir: string;
  private readonly recordingFile: string;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  private constructor(public readonly port: number) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'moto-server-'));
    this.recordingFile = path.join(this.workDir, 'recording.jsonl');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      MOTO_RECORDER_FILEPATH: this.recordingFile,
    };
    // Recording is switched on and off per handler run (record()), never for the whole session.
    delete env.MOTO_ENABLE_RECORDING;
    this.process = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
      cwd: this.workDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout?.on('data', (c: Buffer) => this.tail.add(c));
    this.process.stderr?.on('data', (c: Buffer) => this.tail.add(c));
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      this.process.on('error', (e) => {
        this.tail.add(Buffer.from(`\nspawn failed: ${e.message}\n`));
        this.exit = { code: null, signal: null };
        resolve();
      });
    });
  }

  /** What the server wrote to stdout and stderr lately (its request log and any Python traceback). */
  public output(): string {
    return this.tail.toString();
  }

  /** Explicit configuration for the tests' own SDK clients (the handlers use AWS_ENDPOINT_URL instead). */
  public clientConfig() {
    return {
      region: REGION,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
  }

  /** Forgets every resource of every service (POST /moto-api/reset). */
  public async reset(): Promise<void> {
    const res = await httpRequest(`${this.endpoint}/moto-api/reset`, 'POST');
    if (res.status !== 200) throw new Error(`moto reset answered ${res.status}: ${res.body}\n${this.output()}`);
  }

  /** Runs `fn` and returns, with its result, every AWS call that reached the server meanwhile, in order. */
  public async record<T>(fn: () => Promise<T>): Promise<{ result: T; calls: RecordedCall[] }> {
    await this.recorder('reset-recording');
    await this.recorder('start-recording');
    let result: T;
    try {
      result = await fn();
    } finally {
      await this.recorder('stop-recording');
    }
    const text = (await this.recorder('download-recording')).body;
    const calls = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => parseRecordedCall(JSON.parse(line)));
    return { result, calls };
  }

  public async stop(): Promise<void> {
    if (this.exit === undefined) {
      this.process.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5_000))),
      ]);
      clearTimeout(timer);
      if (!killed) {
        this.process.kill('SIGKILL');
        await this.exited;
      }
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  private async recorder(what: string): Promise<HttpResponse> {
    const res = await httpRequest(`${this.endpoint}/moto-api/recorder/${what}`, 'POST');
    if (res.status !== 200) throw new Error(`moto recorder ${what} answered ${res.status}: ${res.body}`);
    return res;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const started = Date.now();
    for (;;) {
      if (this.exit !== undefined) {
        throw new Error(
          `moto_server exited (code ${this.exit.code}, signal ${this.exit.signal}) before answering on ${this.endpoint}:\n${this.output()}`,
        );
      }
      try {
        const res = await httpRequest(`${this.endpoint}/moto-api/`);
        if (res.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `moto_server did not answer on ${this.endpoint} within ${timeoutMs / 1000} s:\n${this.output()}`,
        );
      }
      await sleep(100);
    }
  }
}

interface RecorderEntry {
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly body_encoded?: boolean;
}

function parseRecordedCall(entry: RecorderEntry): RecordedCall {
  const auth = entry.headers.Authorization ?? entry.headers.authorization ?? '';
  // Credential=AKID/20261201/eu-west-1/ec2/aws4_request
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const raw = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
  const params = new URLSearchParams(raw);
  return { service, action: params.get('Action') ?? 'unknown', params };
}

/** `ec2:DescribeAddresses` for each call, in order. */
export function callNames(calls: readonly RecordedCall[]): string[] {
  return calls.map((c) => `${c.service}:${c.action}`);
}

// ---------------------------------------------------------------------------------------------
// The handler's process

/**
 * The environment a bundled handler runs with against the server: every AWS_* variable of this
 * process removed (no profile, shared config file or service-specific endpoint leaks in), then the
 * region, test credentials and AWS_ENDPOINT_URL, which the AWS SDK v3 reads for every client, plus
 * what the function's construct sets (`extra`).
 */
export function handlerEnvironment(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  const nowhere = path.join(os.tmpdir(), 'cdk-ha-patterns-moto-no-aws-config');
  return {
    ...env,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: endpoint,
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Set on every function of the library by projen's generated construct.
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    ...extra,
  };
}

/** The TypeScript files a handler bundles (its entry and the relative imports, transitively). */
function sourcesOf(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const match of fs.readFileSync(entry, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const dependency = path.resolve(path.dirname(entry), `${match[1]}.ts`);
    if (fs.existsSync(dependency)) sourcesOf(dependency, seen);
  }
  return seen;
}

/**
 * Loads a bundled handler, assets/<name>/index.js (what users deploy, built by `npx projen bundle`
 * from src/<name>.ts), in a module registry of its own, so it creates its SDK clients now, with the
 * current process.env: set the environment first. Fails when the bundle is missing or older than
 * one of its sources.
 */
export function loadBundledHandler<T extends object>(name: string): T {
  const bundle = path.join(REPO_ROOT, 'assets', name, 'index.js');
  const source = path.join(REPO_ROOT, 'src', `${name}.ts`);
  if (!fs.existsSync(bundle)) {
    throw new Error(`${path.relative(REPO_ROOT, bundle)} is missing: run npx projen bundle`);
  }
  const built = fs.statSync(bundle).mtimeMs;
  for (const file of sourcesOf(source)) {
    if (fs.statSync(file).mtimeMs > built) {
      throw new Error(
        `${path.relative(REPO_ROOT, bundle)} is older than ${path.relative(REPO_ROOT, file)}: run npx projen bundle`,
      );
    }
  }
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<T>(bundle);
  });
  return loaded!;
}

// ---------------------------------------------------------------------------------------------
// SNS notifications

export interface Notification {
  readonly subject?: string;
  readonly message: string;
}

/**
 * An HTTP endpoint on a loopback port for an SNS `http` subscription: moto delivers each message
 * published to the topic while the Publish call runs, so the notifications are here when it returns.
 */
export class NotificationInbox {
  public static async start(): Promise<NotificationInbox> {
    const inbox = new NotificationInbox();
    await new Promise<void>((resolve) => inbox.server.listen(0, '127.0.0.1', resolve));
    return inbox;
  }

  public readonly notifications: Notification[] = [];
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
        if (body.Type === 'Notification') this.notifications.push({ subject: body.Subject, message: body.Message });
        res.end('ok');
      });
    });
  }

  /** Where the subscription delivers (protocol `http`). */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/sns`;
  }

  public clear(): void {
    this.notifications.length = 0;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
