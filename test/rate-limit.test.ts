import { describe, expect, it } from 'vitest';
import { DbRateLimiter } from '../src/core/rate-limit.js';
import { makeEnv } from './helpers.js';

describe('the failure rate limiter', () => {
  it('never clears its blocks wholesale; a block pushed out of memory returns at the next failure', async () => {
    const env = await makeEnv();
    try {
      const limiter = new DbRateLimiter(env.core.db.kysely, env.clock, { points: 2, windowSec: 60 }, 100);
      const keys = Array.from({ length: 250 }, (_, k) => `link:203.0.113.${k}`);
      for (const key of keys) for (let i = 0; i < 3; i++) await limiter.fail(key);
      // The 100 most recent blocks all hold (a clear-all at the cap would have dropped them).
      expect(keys.slice(-100).every((k) => limiter.blockedFor(k) > 0)).toBe(true);
      // The oldest was pushed out of memory; its next failed guess blocks it again at once.
      expect(limiter.blockedFor(keys[0]!)).toBe(0);
      expect(await limiter.fail(keys[0]!)).toBeGreaterThan(0);
      expect(limiter.blockedFor(keys[0]!)).toBeGreaterThan(0);
    } finally {
      await env.close();
    }
  });

  it('drops counters whose window has passed, so the table does not grow one row per address forever', async () => {
    const env = await makeEnv();
    try {
      const limiter = new DbRateLimiter(env.core.db.kysely, env.clock, { points: 5, windowSec: 60 });
      for (let k = 0; k < 50; k++) await limiter.fail(`verify:10.0.${k}.1`);
      const count = async (): Promise<number> => (await env.core.db.kysely.selectFrom('rate_limits').select('key').execute()).length;
      expect(await count()).toBe(50);
      env.clock.advance(61_000);
      await limiter.fail('verify:new');
      expect(await count()).toBe(1);
      // The block ends with its window.
      for (let i = 0; i < 6; i++) await limiter.fail('verify:new');
      expect(limiter.blockedFor('verify:new')).toBeGreaterThan(0);
      env.clock.advance(61_000);
      expect(limiter.blockedFor('verify:new')).toBe(0);
    } finally {
      await env.close();
    }
  });
});
