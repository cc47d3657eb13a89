import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Compact version history. A version is either a keyframe (the whole content, deflated) or a delta
 * from the version before: one splice [start, deleteCount, insert] found by trimming the common
 * prefix and suffix, which is exact and small for patches. A new keyframe is written once the
 * deltas since the last one weigh as much as that keyframe (so history costs about twice its
 * deltas), or once replaying the chain would copy more than REPLAY_BUDGET bytes (so reading any
 * old version stays within a few milliseconds, whatever the page size).
 */
export type Delta = [start: number, deleteCount: number, insert: string];

export const MAX_CHAIN = 400;
export const REPLAY_BUDGET = 6 * 1024 * 1024;

export function diff(prev: string, next: string): Delta {
  const max = Math.min(prev.length, next.length);
  let start = 0;
  while (start < max && prev.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endPrev = prev.length;
  let endNext = next.length;
  while (endPrev > start && endNext > start && prev.charCodeAt(endPrev - 1) === next.charCodeAt(endNext - 1)) {
    endPrev--;
    endNext--;
  }
  return [start, endPrev - start, next.slice(start, endNext)];
}

export function applyDelta(s: string, [start, del, insert]: Delta): string {
  return s.slice(0, start) + insert + s.slice(start + del);
}

export interface Chain {
  chain_len: number;
  chain_bytes: number;
  key_bytes: number;
}

export interface EncodedVersion {
  encoding: 'deflate' | 'delta';
  content: string;
  packed: Buffer | null;
  chain: Chain;
}

export function keyframe(content: string): EncodedVersion {
  const packed = deflateRawSync(Buffer.from(content, 'utf8'));
  return { encoding: 'deflate', content: '', packed, chain: { chain_len: 0, chain_bytes: 0, key_bytes: packed.length } };
}

export function encodeVersion(prev: string, next: string, chain: Chain): EncodedVersion {
  const delta = JSON.stringify(diff(prev, next));
  const bytes = Buffer.byteLength(delta, 'utf8');
  const replay = (chain.chain_len + 1) * next.length;
  if (chain.key_bytes === 0 || chain.chain_len >= MAX_CHAIN || replay > REPLAY_BUDGET || chain.chain_bytes + bytes > chain.key_bytes) return keyframe(next);
  return { encoding: 'delta', content: delta, packed: null, chain: { chain_len: chain.chain_len + 1, chain_bytes: chain.chain_bytes + bytes, key_bytes: chain.key_bytes } };
}

export interface StoredVersion {
  encoding: 'raw' | 'deflate' | 'delta';
  content: string;
  packed: Uint8Array | null;
}

/** A run of characters [from, to) of a string: what a version is made of while a chain is replayed. */
interface Piece {
  s: string;
  from: number;
  to: number;
}

/** Applies one splice to a list of pieces without copying any text. */
export function splicePieces(pieces: readonly Piece[], [start, del, insert]: Delta): Piece[] {
  const out: Piece[] = [];
  let pos = 0;
  let i = 0;
  for (; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (pos + (p.to - p.from) > start) break;
    out.push(p);
    pos += p.to - p.from;
  }
  if (i < pieces.length && start > pos) out.push({ s: pieces[i]!.s, from: pieces[i]!.from, to: pieces[i]!.from + (start - pos) });
  if (insert.length) out.push({ s: insert, from: 0, to: insert.length });
  const end = start + del;
  for (; i < pieces.length; i++) {
    const p = pieces[i]!;
    const len = p.to - p.from;
    if (pos + len > end) {
      out.push({ s: p.s, from: p.from + Math.max(0, end - pos), to: p.to });
      i++;
      break;
    }
    pos += len;
  }
  for (; i < pieces.length; i++) out.push(pieces[i]!);
  return out;
}

/**
 * Rebuilds a version from its keyframe and the deltas after it, in version order. The deltas are
 * applied to a list of pieces and the text is joined once at the end, so a chain of n deltas over a
 * page of size s costs about s + n, not n * s.
 */
export function decodeChain(rows: readonly StoredVersion[]): string {
  let pieces: Piece[] = [];
  const whole = (s: string): Piece[] => (s.length ? [{ s, from: 0, to: s.length }] : []);
  for (const r of rows) {
    if (r.encoding === 'raw') pieces = whole(r.content);
    else if (r.encoding === 'deflate') pieces = whole(inflateRawSync(r.packed!).toString('utf8'));
    else pieces = splicePieces(pieces, JSON.parse(r.content) as Delta);
  }
  return pieces.length === 1 && pieces[0]!.from === 0 && pieces[0]!.to === pieces[0]!.s.length ? pieces[0]!.s : pieces.map((p) => p.s.slice(p.from, p.to)).join('');
}
