import * as net from 'net';

/** Servers started by {@link listen}, closed by {@link closeServers} (call it after each test). */
const servers: net.Server[] = [];

/** Starts `server` on 127.0.0.1 at a free port and returns the port. */
export function listen(server: net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/** A port on 127.0.0.1 nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Closes every server {@link listen} started. */
export function closeServers(): void {
  for (const server of servers.splice(0)) server.close();
}
