import ipaddr from 'ipaddr.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { sha256Hex } from '../ids.js';
import type { RateLimiter } from '../rate-limit.js';

/**
 * Failed sign-ins allowed per window: per client address (one machine trying many emails) and per
 * email (many machines trying one account). The window is the platform's failure window
 * (RateLimitOptions.windowSec, 60 s by default): the counters live in the same `rate_limits`
 * table, whose sweep drops rows by that window.
 */
export interface LoginLimits {
  perAddress: number;
  perEmail: number;
}

export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({ perAddress: 20, perEmail: 10 });

/**
 * The address a counter is kept for: IPv4 as it is, IPv6 by its /64 (one subscriber's network:
 * counting single IPv6 addresses would let one host take a fresh address per attempt).
 */
export function addressKey(ip: string | null): string {
  if (!ip) return 'unknown';
  try {
    const a = ipaddr.parse(ip);
    if (a.kind() === 'ipv6') {
      const v6 = a as ipaddr.IPv6;
      if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
      return `${v6.parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
    }
    return a.toString();
  } catch {
    return ip.slice(0, 64);
  }
}

/**
 * Counts failed sign-ins in the database (every instance sees the same counts) and answers how
 * long a client must wait. The check reads the database, not a per-process memory of blocks, so
 * a blocked client is blocked on every instance, whatever its password.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly windowSec: number,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  private keys(ip: string | null, email: string): { address: string; email: string } {
    // The email is hashed: the table holds no addresses people typed, and every key has one length.
    return { address: `login-ip:${addressKey(ip)}`, email: `login-email:${sha256Hex(email).slice(0, 32)}` };
  }

  /** Seconds to wait before this address may try this email again; 0 when it may. One read. */
  async waitFor(ip: string | null, email: string): Promise<number> {
    const k = this.keys(ip, email);
    const now = this.clock.now().getTime();
    const cutoff = new Date(now - this.windowSec * 1000).toISOString();
    const rows = await this.db
      .selectFrom('rate_limits')
      .select(['key', 'count', 'window_start'])
      .where('key', 'in', [k.address, k.email])
      .where('window_start', '>', cutoff)
      .execute();
    let wait = 0;
    for (const r of rows) {
      const limit = r.key === k.address ? this.limits.perAddress : this.limits.perEmail;
      if (r.count < limit) continue;
      wait = Math.max(wait, Math.ceil((Date.parse(r.window_start) + this.windowSec * 1000 - now) / 1000));
    }
    return wait > 0 ? wait : 0;
  }

  /** Counts one failure against both; returns the wait that now applies (0 if none). */
  async fail(ip: string | null, email: string): Promise<number> {
    const k = this.keys(ip, email);
    await this.limiter.fail(k.address);
    await this.limiter.fail(k.email);
    return this.waitFor(ip, email);
  }
}
