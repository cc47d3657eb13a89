import ipaddr from 'ipaddr.js';

export interface AddressVerdict {
  allowed: boolean;
  address: string;
  range: string;
}

/** IPv4 ranges refused although ipaddr.js may call them unicast (CGNAT, benchmarking, IETF, reserved). */
const EXTRA_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['100.64.0.0', 10, 'carrierGradeNat'],
  ['169.254.0.0', 16, 'linkLocal'],
  ['192.0.0.0', 24, 'ietfProtocol'],
  ['192.0.2.0', 24, 'documentation'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['240.0.0.0', 4, 'reserved'],
];
const EXTRA_V4_PARSED = EXTRA_V4.map(([a, bits, name]) => [ipaddr.IPv4.parse(a), bits, name] as const);

const EXTRA_V6: Array<[string, number, string]> = [
  ['fc00::', 7, 'uniqueLocal'],
  ['fe80::', 10, 'linkLocal'],
  ['fec0::', 10, 'siteLocal'],
  ['2001:db8::', 32, 'documentation'],
];
const EXTRA_V6_PARSED = EXTRA_V6.map(([a, bits, name]) => [ipaddr.IPv6.parse(a), bits, name] as const);

function classifyV4(ip: ipaddr.IPv4, original: string): AddressVerdict {
  const range = ip.range();
  if (range !== 'unicast') return { allowed: false, address: original, range };
  for (const [net, bits, name] of EXTRA_V4_PARSED) if (ip.match(net, bits)) return { allowed: false, address: original, range: name };
  return { allowed: true, address: original, range };
}

/** The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, Teredo), if any. */
function embeddedV4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const b = ip.toByteArray();
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  const range = ip.range();
  if (range === 'rfc6052' || range === 'rfc6145' || ip.match(ipaddr.IPv6.parse('64:ff9b:1::'), 48)) return new ipaddr.IPv4(b.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(b.slice(2, 6));
  if (range === 'teredo') return new ipaddr.IPv4(b.slice(12, 16).map((x) => x ^ 0xff));
  // IPv4-compatible (deprecated ::a.b.c.d)
  if (b.slice(0, 12).every((x) => x === 0)) return new ipaddr.IPv4(b.slice(12, 16));
  return null;
}

/** Decides whether the server may connect to this address: only global unicast is allowed. */
export function classifyAddress(address: string): AddressVerdict {
  const bare = address.trim().replace(/^\[|\]$/g, '');
  const zone = bare.indexOf('%');
  const raw = zone < 0 ? bare : bare.slice(0, zone);
  if (!ipaddr.isValid(raw)) return { allowed: false, address, range: 'invalid' };
  const ip = ipaddr.parse(raw);
  if (ip.kind() === 'ipv4') return classifyV4(ip as ipaddr.IPv4, address);
  const v6 = ip as ipaddr.IPv6;
  const v4 = embeddedV4(v6);
  if (v4) {
    const inner = classifyV4(v4, address);
    return inner.allowed ? inner : { ...inner, range: `${v6.range()}(${inner.range})` };
  }
  const range = v6.range();
  if (range !== 'unicast') return { allowed: false, address, range };
  for (const [net, bits, name] of EXTRA_V6_PARSED) if (v6.match(net, bits)) return { allowed: false, address, range: name };
  if (raw.toLowerCase() === 'fd00:ec2::254') return { allowed: false, address, range: 'metadata' };
  return { allowed: true, address, range };
}

/** For a URL hostname (as the WHATWG parser normalised it): the verdict if it is an IP literal, else null. */
export function isBlockedHostLiteral(hostname: string): AddressVerdict | null {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(h)) return null;
  // ipaddr.isValid accepts forms WHATWG would have rewritten; only strict dotted quads and IPv6 are literals here.
  if (h.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(h)) return classifyAddress(h);
  return { allowed: false, address: hostname, range: 'nonCanonicalIPv4' };
}
