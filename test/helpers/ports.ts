// A local TCP port nothing listens on: taken from the OS, then released. For a server that must come back on
// the same port (an EventSource reconnects to its URL), a child process told which port to use, or a port to
// find closed.
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
