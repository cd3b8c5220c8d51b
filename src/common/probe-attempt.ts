// Internal: one check of a service as a client reaches it (an HTTP or HTTPS GET, or a TCP
// connection) and what its answer means. Shared by the Elastic IP health probe and the resilience
// verifier's probe; imports only Node's built-ins, so bundled handlers can import it. Not exported
// from the package.
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';

/** How a probe reaches the service. */
export type ProbeProtocol = 'http' | 'https' | 'tcp';

/** Where one attempt goes and how long it may take. */
export interface AttemptTarget {
  readonly protocol: ProbeProtocol;
  /** A host name or an IP address. */
  readonly host: string;
  readonly port: number;
  /** The path of an HTTP(S) GET (unused for TCP). */
  readonly path: string;
  readonly timeoutMs: number;
}

const PROTOCOLS: readonly string[] = ['http', 'https', 'tcp'];

/**
 * The protocol and port a probe's environment names, checked; `who` names the probe in the error
 * (`The health probe`). Throws when a `required` variable is missing or either is wrong.
 */
export function probeEndpoint(
  who: string,
  env: Partial<Record<string, string>>,
  required: readonly string[],
): { readonly protocol: ProbeProtocol; readonly port: number } {
  for (const name of required) {
    if (!env[name]) throw new Error(`${who} needs ${name} in its environment`);
  }
  if (!PROTOCOLS.includes(env.PROTOCOL!)) {
    throw new Error(`${who}'s PROTOCOL must be http, https or tcp, not ${env.PROTOCOL}`);
  }
  const port = Number(env.PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${who}'s PORT must be a port number from 1 to 65535, not ${env.PORT}`);
  }
  return { protocol: env.PROTOCOL as ProbeProtocol, port };
}

/** What one attempt saw: an HTTP status, a TCP connection, or an error (code or message). */
export interface AttemptResult {
  readonly status?: number;
  readonly connected?: boolean;
  readonly error?: string;
}

/** One attempt's meaning: ok, or why it failed. */
export type AttemptOutcome = { readonly ok: true } | { readonly ok: false; readonly failure: string };

/** HTTP(S): a status from 200 to 399 is healthy (redirects are not followed). TCP: connected. */
export function attemptOutcome(protocol: ProbeProtocol, result: AttemptResult): AttemptOutcome {
  if (result.error !== undefined) return { ok: false, failure: result.error };
  if (protocol === 'tcp') return result.connected ? { ok: true } : { ok: false, failure: 'not connected' };
  const status = result.status;
  if (status === undefined) return { ok: false, failure: 'no answer' };
  return status >= 200 && status < 400 ? { ok: true } : { ok: false, failure: `HTTP ${status}` };
}

/**
 * One attempt, resolved with what it saw (never rejects). HTTPS does not verify the certificate:
 * a probe may connect to an address or a name the certificate does not cover, and sends nothing
 * but the request line.
 */
export function attempt(target: AttemptTarget): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    if (target.protocol === 'tcp') {
      const socket = net.connect({ host: target.host, port: target.port });
      socket.setTimeout(target.timeoutMs, () => {
        done({ error: `timeout after ${target.timeoutMs} ms` });
        socket.destroy();
      });
      socket.once('connect', () => {
        done({ connected: true });
        socket.destroy();
      });
      socket.once('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
      return;
    }
    const get = target.protocol === 'https' ? https.get : http.get;
    const request = get(
      {
        host: target.host,
        port: target.port,
        path: target.path,
        headers: { Host: target.host },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        done({ status: res.statusCode });
        res.resume();
        res.destroy();
      },
    );
    request.setTimeout(target.timeoutMs, () => {
      done({ error: `timeout after ${target.timeoutMs} ms` });
      request.destroy();
    });
    request.once('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
  });
}
