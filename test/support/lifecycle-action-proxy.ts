import { randomUUID } from 'crypto';
import * as http from 'http';
import * as net from 'net';
import {
  AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
} from '@aws-sdk/client-auto-scaling';

// moto 5.2.5 models Auto Scaling groups, their instances and lifecycle hooks, but not lifecycle
// actions: an instance goes InService at once even when the group has a launch hook (never
// Pending:Wait or Terminating:Wait), and CompleteLifecycleAction is not implemented (HTTP 500).
// This proxy stands between the lifecycle hook handler and moto for the Auto Scaling API only
// (AWS_ENDPOINT_URL_AUTO_SCALING), and adds just that: the test opens a lifecycle action for an
// instance moto has in the group, with a hook moto has; while it is open, DescribeAutoScalingInstances
// (answered by moto) reports the wait state; CompleteLifecycleAction closes it, or fails as Auto
// Scaling does (ValidationError) when no such action is open. Every other request goes to moto as is.

export type Transition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';

/** The EventBridge event Auto Scaling sends for a lifecycle action. */
export interface LifecycleActionEvent {
  readonly version: string;
  readonly id: string;
  readonly source: 'aws.autoscaling';
  readonly account: string;
  readonly region: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly resources: string[];
  readonly detail: {
    readonly LifecycleActionToken: string;
    readonly AutoScalingGroupName: string;
    readonly LifecycleHookName: string;
    readonly EC2InstanceId: string;
    readonly LifecycleTransition: Transition;
    readonly Origin: string;
    readonly Destination: string;
  };
}

interface OpenAction {
  readonly token: string;
  readonly groupName: string;
  readonly hookName: string;
  readonly instanceId: string;
  readonly transition: Transition;
}

export interface CompletedAction {
  readonly instanceId: string;
  readonly hookName: string;
  readonly result: string;
}

const XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export class LifecycleActionProxy {
  public static async start(motoEndpoint: string, autoscaling: AutoScalingClient): Promise<LifecycleActionProxy> {
    const proxy = new LifecycleActionProxy(motoEndpoint, autoscaling);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Lifecycle actions completed through the proxy, in order. */
  public readonly completed: CompletedAction[] = [];
  /** CompleteLifecycleAction calls refused (no such action open), with the instance they named. */
  public readonly refused: string[] = [];
  private readonly open = new Map<string, OpenAction>();
  private readonly server: http.Server;

  private constructor(
    private readonly motoEndpoint: string,
    private readonly autoscaling: AutoScalingClient,
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks)).then(
          ({ status, body }) => {
            res.writeHead(status, { 'content-type': 'text/xml' });
            res.end(body);
          },
          (e: Error) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`lifecycle action proxy: ${e.stack ?? e.message}`);
          },
        );
      });
    });
  }

  /** What AWS_ENDPOINT_URL_AUTO_SCALING is set to for the handler. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /**
   * Puts an instance of the group into Pending:Wait (launching) or Terminating:Wait, as the group's
   * hook for that transition would, and returns the event EventBridge would deliver. The instance
   * and the hook must exist in moto.
   */
  public async begin(groupName: string, instanceId: string, transition: Transition): Promise<LifecycleActionEvent> {
    const hooks = await this.autoscaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: groupName }));
    const hook = hooks.LifecycleHooks?.find((h) => h.LifecycleTransition === transition);
    if (!hook?.LifecycleHookName) throw new Error(`group ${groupName} has no lifecycle hook for ${transition} in moto`);
    const instances = await this.autoscaling.send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
    );
    if (!instances.AutoScalingInstances?.some((i) => i.AutoScalingGroupName === groupName)) {
      throw new Error(`${instanceId} is not an instance of ${groupName} in moto`);
    }
    const action: OpenAction = {
      token: randomUUID(),
      groupName,
      hookName: hook.LifecycleHookName,
      instanceId,
      transition,
    };
    this.open.set(instanceId, action);
    const launching = transition === 'autoscaling:EC2_INSTANCE_LAUNCHING';
    return {
      version: '0',
      id: randomUUID(),
      source: 'aws.autoscaling',
      account: '123456789012',
      region: 'eu-west-1',
      'detail-type': `EC2 Instance-${launching ? 'launch' : 'terminate'} Lifecycle Action`,
      time: new Date().toISOString(),
      resources: [`arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/${groupName}`],
      detail: {
        LifecycleActionToken: action.token,
        AutoScalingGroupName: groupName,
        LifecycleHookName: action.hookName,
        EC2InstanceId: instanceId,
        LifecycleTransition: transition,
        Origin: launching ? 'EC2' : 'AutoScalingGroup',
        Destination: launching ? 'AutoScalingGroup' : 'EC2',
      },
    };
  }

  /** Whether a lifecycle action is still open for the instance. */
  public isWaiting(instanceId: string): boolean {
    return this.open.has(instanceId);
  }

  public reset(): void {
    this.open.clear();
    this.completed.length = 0;
    this.refused.length = 0;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; body: string }> {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action');
    if (action === 'CompleteLifecycleAction') return this.complete(params);
    const answer = await this.forward(req, body);
    if (action === 'DescribeAutoScalingInstances' && answer.status === 200) {
      return { status: 200, body: this.withWaitStates(answer.body) };
    }
    return answer;
  }

  private complete(params: URLSearchParams): { status: number; body: string } {
    const instanceId = params.get('InstanceId') ?? '';
    const token = params.get('LifecycleActionToken');
    const open = [...this.open.values()].find(
      (a) =>
        (token ? a.token === token : a.instanceId === instanceId) &&
        a.groupName === params.get('AutoScalingGroupName') &&
        a.hookName === params.get('LifecycleHookName'),
    );
    const result = params.get('LifecycleActionResult') ?? '';
    if (!open || !['CONTINUE', 'ABANDON'].includes(result)) {
      this.refused.push(instanceId);
      return {
        status: 400,
        body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found with instance ID ${instanceId}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      };
    }
    this.open.delete(open.instanceId);
    this.completed.push({ instanceId: open.instanceId, hookName: open.hookName, result });
    return {
      status: 200,
      body: `<CompleteLifecycleActionResponse xmlns="${XMLNS}"><CompleteLifecycleActionResult/><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>`,
    };
  }

  /** moto's answer with the lifecycle state of each instance that has an open action replaced. */
  private withWaitStates(xml: string): string {
    return xml.replace(/<member>([\s\S]*?)<\/member>/g, (member, inner: string) => {
      const id = /<InstanceId>([^<]+)<\/InstanceId>/.exec(inner)?.[1];
      const open = id ? this.open.get(id) : undefined;
      if (!open) return member;
      const state = open.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING' ? 'Pending:Wait' : 'Terminating:Wait';
      return member.replace(/<LifecycleState>[^<]*<\/LifecycleState>/, `<LifecycleState>${state}</LifecycleState>`);
    });
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; body: string }> {
    const target = new URL(req.url ?? '/', this.motoEndpoint);
    return new Promise((resolve, reject) => {
      const out = http.request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }
}
