// A child process for log-destination.test.ts: logs `count` numbered lines through the production log's
// destination on stdout, then ends as `end` says: `throw` (an uncaught exception), `exit` (process.exit at once),
// or `flush` (log.flush, then exit from its callback, as src/server.ts stops).
import pino from 'pino';
import { batchedDestination } from '../../src/platform/log-destination.js';

const [count = '0', end = 'exit'] = process.argv.slice(2);
const log = pino({ level: 'info', base: undefined, timestamp: false }, batchedDestination(1));
for (let n = 1; n <= Number(count); n++) log.info({ n }, 'line');
if (end === 'throw') throw new Error('the test ends here');
if (end === 'flush') log.flush(() => process.exit(0));
else process.exit(0);
