import proxyaddr from 'proxy-addr';

/**
 * Which proxies to believe about the client's address (`SITEPUB_TRUST_PROXY`): off; a number of
 * hops (`1`: the server sits behind one proxy of yours, which appends the client to
 * X-Forwarded-For); or addresses and subnets of your proxies (`loopback`, `10.0.0.0/8`, ...).
 */
export type TrustProxy = false | number | readonly string[];

export type TrustFn = (addr: string, hop: number) => boolean;

/** Parses the setting: '', '0', 'false' off; 'true' one hop; a whole number hops; else a list for proxy-addr. */
export function parseTrustProxy(v: string | undefined): TrustProxy {
  const s = (v ?? '').trim();
  if (s === '' || s === '0' || s === 'false') return false;
  if (s === 'true') return 1;
  if (/^\d+$/.test(s)) return Number(s);
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

export function compileTrust(t: TrustProxy): TrustFn | undefined {
  if (t === false) return undefined;
  // A hop count trusts the nearest `t` addresses, whatever they are (as Express reads a number).
  if (typeof t === 'number') return (_addr, hop) => hop < t;
  return proxyaddr.compile([...t]);
}

/**
 * The client's address: the socket's peer, or, behind trusted proxies, the nearest address in
 * X-Forwarded-For that is not one of them, read from the right. The leftmost entry is whatever the
 * client wrote: taking it would let anyone choose their address.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trust: TrustFn | undefined): string | null {
  if (!trust || forwardedFor === undefined) return socketAddress || null;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  // In-process requests (app.request in tests) have no socket: the caller is this host, a trusted hop.
  const req = { socket: { remoteAddress: socketAddress ?? '127.0.0.1' }, headers: { 'x-forwarded-for': header } };
  return proxyaddr(req as unknown as Parameters<typeof proxyaddr>[0], trust) || null;
}
