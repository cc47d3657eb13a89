import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Limits failed token attempts per client address: guessing produces failures, honest buyers
 * succeed, so successful downloads never count against anyone.
 */
export interface RateLimiter {
  /** Seconds to wait when the client is blocked, else 0. */
  blockedFor(key: string): Promise<number>;
  /** Counts one failure; returns seconds to wait if this failure crossed the limit, else 0. */
  fail(key: string): Promise<number>;
}

export function memoryRateLimiter(points = 20, durationSec = 60): RateLimiter {
  const rl = new RateLimiterMemory({ points, duration: durationSec, blockDuration: durationSec });
  return {
    async blockedFor(key) {
      const res = await rl.get(key);
      return res && res.consumedPoints > points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
    },
    async fail(key) {
      try {
        await rl.consume(key);
        return 0;
      } catch (e) {
        if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        throw e;
      }
    },
  };
}
