// Child process for the stream fan-out row: many clients of one room, spread over the instances, either
// following its live stream (GET /stream) or polling its events (GET /events?afterSeq=...). Each client
// records when every seq reached it (epoch ms, sub-ms resolution); the orchestrator then sends each seq's
// `createdAt` and gets back the delays and whether every client got every event once and in order.
//   { type: 'stream', ports, roomId, token, clients, afterSeq }           -> 'stream:reply' once these are connected (added to any already)
//   { type: 'poll', ports, roomId, token, clients, afterSeq, intervalMs } -> 'poll:reply' once all have started
//   { type: 'until', seq, timeoutMs }                                     -> 'until:reply' when every client has seq
//   { type: 'results', createdAt: { [seq]: ms }, from, to }               -> 'results:reply' for the seqs from..to
//   { type: 'cpu' }                                                       -> 'cpu:reply' with this process's CPU time so far
//   { type: 'stop' }                                                      -> 'stop:reply' once every client is stopped
import { Agent, request, type ClientRequest } from 'node:http';
import { exitOnSignal, report, runChild, type Message } from './common.js';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Client {
  seqs: number[];
  times: number[];
  stop(): void;
}

let clients: Client[] = [];
let polls = 0;
let pollErrors = 0;

function openStream(port: number, roomId: string, token: string, afterSeq: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = { seqs: [], times: [], stop: () => req.destroy() };
    const req: ClientRequest = request(
      {
        host: '127.0.0.1',
        port,
        path: `/api/v1/rooms/${roomId}/stream?afterSeq=${afterSeq}`,
        agent: false,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            if (buffer.startsWith('id: ')) {
              client.seqs.push(Number(buffer.slice(4, buffer.indexOf('\n'))));
              client.times.push(at);
            }
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('error', () => undefined);
        resolve(client);
      },
    );
    req.on('error', (error) => reject(error));
    req.end();
  });
}

function startPoller(
  agent: Agent,
  port: number,
  roomId: string,
  token: string,
  afterSeq: number,
  intervalMs: number,
): Client {
  let stopped = false;
  let last = afterSeq;
  const client: Client = {
    seqs: [],
    times: [],
    stop: () => {
      stopped = true;
    },
  };
  const get = () =>
    new Promise<Array<{ seq: number }>>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          agent,
          path: `/api/v1/rooms/${roomId}/events?afterSeq=${last}&limit=100`,
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            res.statusCode === 200
              ? resolve((JSON.parse(text) as { items: Array<{ seq: number }> }).items)
              : reject(new Error(`events answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  void (async () => {
    await sleep(Math.random() * intervalMs); // pollers spread over the interval, as independent clients are
    while (!stopped) {
      const started = now();
      try {
        let items: Array<{ seq: number }>;
        do {
          items = await get();
          polls += 1;
          const at = now();
          for (const item of items) {
            client.seqs.push(item.seq);
            client.times.push(at);
            last = item.seq;
          }
        } while (items.length === 100);
      } catch {
        pollErrors += 1;
      }
      await sleep(Math.max(0, intervalMs - (now() - started)));
    }
  })();
  return client;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

runChild(async () => {
  exitOnSignal(async () => {
    for (const c of clients) c.stop();
  });
  process.on('message', (raw) => {
    const m = raw as Message;
    void (async () => {
      try {
        if (m.type === 'stream') {
          const ports = m.ports as number[];
          const opened: Client[] = [];
          // In batches, as a crowd arriving would: 1,000 at once only measures the accept queue.
          for (let i = 0; i < (m.clients as number); i += 50) {
            const batch = Array.from({ length: Math.min(50, (m.clients as number) - i) }, (_, j) =>
              openStream(ports[(i + j) % ports.length]!, m.roomId as string, m.token as string, m.afterSeq as number),
            );
            opened.push(...(await Promise.all(batch)));
          }
          clients.push(...opened);
          report({ type: 'stream:reply', clients: clients.length });
        } else if (m.type === 'poll') {
          const ports = m.ports as number[];
          const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
          clients = Array.from({ length: m.clients as number }, (_, i) =>
            startPoller(
              agent,
              ports[i % ports.length]!,
              m.roomId as string,
              m.token as string,
              m.afterSeq as number,
              m.intervalMs as number,
            ),
          );
          await sleep(2 * (m.intervalMs as number)); // every poller has started (a server that cannot keep up is measured as such)
          polls = 0;
          pollErrors = 0;
          report({ type: 'poll:reply', clients: clients.length });
        } else if (m.type === 'until') {
          const deadline = Date.now() + (m.timeoutMs as number);
          const done = () => clients.every((c) => c.seqs.at(-1) !== undefined && c.seqs.at(-1)! >= (m.seq as number));
          while (!done() && Date.now() < deadline) await sleep(20);
          report({
            type: 'until:reply',
            done: done(),
            behind: clients.filter((c) => (c.seqs.at(-1) ?? 0) < (m.seq as number)).length,
          });
        } else if (m.type === 'results') {
          const createdAt = m.createdAt as Record<string, number>;
          const [from, to] = [m.from as number, m.to as number];
          const expected = to - from + 1;
          let complete = 0;
          let deliveries = 0;
          let first = Infinity;
          let last = 0;
          const delays: number[] = [];
          for (const c of clients) {
            let ok = true;
            let n = 0;
            for (let i = 0; i < c.seqs.length; i++) {
              const seq = c.seqs[i]!;
              if (seq < from || seq > to) continue;
              if (seq !== from + n) ok = false; // a gap, a duplicate or out of order
              n += 1;
              deliveries += 1;
              const at = c.times[i]!;
              first = Math.min(first, at);
              last = Math.max(last, at);
              delays.push(at - createdAt[String(seq)]!);
            }
            if (ok && n === expected) complete += 1;
          }
          const sorted = Float64Array.from(delays).sort();
          const cpu = process.cpuUsage();
          report({
            type: 'results:reply',
            clients: clients.length,
            complete,
            deliveries,
            expected: expected * clients.length,
            cpuUs: cpu.user + cpu.system,
            firstDeliveryAt: first,
            lastDeliveryAt: last,
            polls,
            pollErrors,
            p50: percentile(sorted, 50),
            p99: percentile(sorted, 99),
            max: sorted.at(-1) ?? NaN,
          });
        } else if (m.type === 'cpu') {
          const cpu = process.cpuUsage();
          report({ type: 'cpu:reply', cpuUs: cpu.user + cpu.system });
        } else if (m.type === 'stop') {
          for (const c of clients) c.stop();
          clients = [];
          report({ type: 'stop:reply' });
        }
      } catch (error) {
        report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  report({ type: 'ready' });
});
