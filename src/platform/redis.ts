// The connection to Redis (`REDIS_URL`), where the rate limits of every instance are counted. It is opened
// once at start, and a Redis that cannot be reached then stops the start with one sentence saying so. Later,
// commands never queue while Redis is away (they fail at once, or after COMMAND_TIMEOUT_MS), so a Redis
// outage cannot hold requests up; ioredis keeps reconnecting in the background.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

const CONNECT_TIMEOUT_MS = 5_000;
export const COMMAND_TIMEOUT_MS = 500;

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an unparseable URL)';
  }
}

/** Connects to `url`, or fails with an error whose message says what to do. */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  let lastError: Error | undefined;
  let redis: Redis;
  try {
    redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
  } catch (error) {
    throw new Error(`REDIS_URL is not a Redis URL (${(error as Error).message}); write it as redis://host:6379`);
  }
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const reason = (lastError ?? (error as Error)).message;
    throw new Error(
      `Redis at ${redactedUrl(url)} is not reachable (${reason}): start it, or unset REDIS_URL to count rate limits in each process.`,
    );
  }
  // From now on an outage is the rate limiters' to report (they fall back to counting in this process).
  redis.removeAllListeners('error');
  redis.on('error', (error: Error) => log.debug({ err: error }, 'redis connection error'));
  return redis;
}
