/*
 * The CloudFormation custom resource response protocol, for the custom resource handlers of the
 * library (the Elastic Beanstalk ones and the Elastic IP placement): run the work, then PUT SUCCESS
 * or FAILED (with the reason) to the pre-signed response URL. Imports only Node.js built-ins:
 * handlers never import aws-cdk-lib.
 */
import * as https from 'https';

/** The event CloudFormation sends a custom resource handler. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly [key: string]: unknown };
  readonly OldResourceProperties?: { readonly [key: string]: unknown };
}

/** The part of the Lambda context the handlers use. */
export interface HandlerContext {
  readonly logStreamName: string;
  getRemainingTimeInMillis(): number;
}

/** What a successful operation reports back. */
export interface CustomResourceResult {
  readonly physicalResourceId: string;
  readonly data?: { readonly [key: string]: string };
}

/** The response document CloudFormation expects. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: { readonly [key: string]: string };
}

/** Sends a response document to the pre-signed URL. */
export type ResponseSender = (url: string, response: CustomResourceResponse) => Promise<void>;

/**
 * Runs `work` and reports its outcome to CloudFormation. A failure is reported as FAILED with the
 * error message (CloudFormation shows it in the stack events), never left to time out.
 */
export async function respond(
  event: CustomResourceEvent,
  context: HandlerContext,
  work: () => Promise<CustomResourceResult>,
  send: ResponseSender = putResponse,
): Promise<CustomResourceResponse> {
  const common = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  let response: CustomResourceResponse;
  try {
    const result = await work();
    response = { ...common, Status: 'SUCCESS', PhysicalResourceId: result.physicalResourceId, Data: result.data };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    console.error(JSON.stringify({ level: 'error', requestType: event.RequestType, message }));
    response = {
      ...common,
      Status: 'FAILED',
      Reason: `${message} (log stream ${context.logStreamName})`.slice(0, 2000),
      // A failed Create still needs an id; CloudFormation sends a Delete for it on rollback.
      PhysicalResourceId: event.PhysicalResourceId ?? `${event.LogicalResourceId}-create-failed`,
    };
  }
  await send(event.ResponseURL, response);
  return response;
}

/** PUTs the response to the pre-signed S3 URL CloudFormation gave. */
export function putResponse(url: string, response: CustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Reads a required string property of the event. */
export function requiredString(event: CustomResourceEvent, name: string): string {
  const value = event.ResourceProperties[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`Property ${name} must be a non-empty string, received ${JSON.stringify(value)}`);
  }
  return value;
}
