// Local https servers for tests of the guarded fetch (src/platform/outbound-fetch.ts): a test certificate
// authority made once per process with openssl, whose PEM the server under test is told to trust (the
// OUTBOUND_CA_FILE setting, `config.outbound.ca`), never by turning certificate checks off. Each listener
// counts the connections and requests it got and the body bytes it managed to write, so a test can prove a
// refused URL never reached it and a capped download stopped reading.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** The authority's certificate (PEM), and its file. */
  ca: string;
  caFile: string;
  /** A server certificate for 127.0.0.1, ::1, localhost and samples.test (a name only tests resolve), signed by the authority. */
  key: string;
  cert: string;
}

let made: TestCertificates | undefined;

/** The test authority and its server certificate (made on first use). */
export function testCertificates(): TestCertificates {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'outbound-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Platform test CA',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:samples.test\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  );
  made = {
    ca: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8'),
  };
  return made;
}

/** A certificate nobody trusts (self-signed), for the listener that proves TLS is still verified. */
export function untrustedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'outbound-untrusted-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpsListener {
  port: number;
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** TLS connections accepted, and requests received (path by path). */
  connections: number;
  requests: string[];
  /** Body bytes written by `stream` handlers (see `streamBytes`). */
  bytesWritten: number;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** An https listener on 127.0.0.1 with the test certificate (or `certificate`), answering with `handler`. */
export async function startHttpsListener(
  handler: Handler,
  certificate: { key: string; cert: string } = testCertificates(),
): Promise<HttpsListener> {
  let current = handler;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    listener.requests.push(req.url ?? '');
    current(req, res);
  });
  server.on('secureConnection', (socket) => {
    listener.connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const listener: HttpsListener = {
    port,
    origin: `https://127.0.0.1:${port}`,
    connections: 0,
    requests: [],
    bytesWritten: 0,
    setHandler: (next) => {
      current = next;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return listener;
}

/**
 * Writes `total` bytes (Infinity: forever) of `chunk`s, waiting for the socket to drain (as a real server
 * does), and adds what it wrote to `listener.bytesWritten`; stops when the client goes away.
 */
export function streamBytes(
  listener: HttpsListener,
  res: ServerResponse,
  total: number,
  chunk = Buffer.alloc(64 * 1024, 1),
): void {
  let sent = 0;
  const more = () => {
    while (sent < total && !res.destroyed) {
      const piece = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk;
      sent += piece.length;
      listener.bytesWritten += piece.length;
      if (!res.write(piece)) {
        res.once('drain', more);
        return;
      }
    }
    if (sent >= total) res.end();
  };
  res.on('error', () => undefined);
  more();
}
