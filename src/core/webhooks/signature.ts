import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Sitepub-Signature: t=TIMESTAMP,v1=HEX(HMAC-SHA256(secret, TIMESTAMP + "." + BODY))`, as Stripe
 * signs: the timestamp (Unix seconds) is signed with the body, so a receiver can refuse old
 * deliveries replayed later (docs/sites-and-downloads.md#webhooks shows the check).
 */
export const SIGNATURE_HEADER = 'Sitepub-Signature';

export function sign(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** The receiver's check (used by the tests; the docs show the same steps). */
export function verifySignature(secret: string, header: string, body: string, nowSec: number, toleranceSec = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec || !parts.v1) return false;
  const want = Buffer.from(sign(secret, t, body).split('v1=')[1]!, 'hex');
  const got = Buffer.from(parts.v1, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
