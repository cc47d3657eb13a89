import { describe, expect, it } from 'vitest';
import { countBoundedLru } from '../src/core/lru.js';

describe('countBoundedLru', () => {
  it('holds at most max entries and evicts the least recently used first', () => {
    const c = countBoundedLru<string, number>(3);
    c.set('a', 1).set('b', 2).set('c', 3);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('d', 4);
    expect(c.size).toBe(3);
    expect(c.has('b')).toBe(false);
    expect([...c.keys()].sort()).toEqual(['a', 'c', 'd']);
  });

  it('keeps the ttl it is given', async () => {
    const c = countBoundedLru<string, number>(10, { ttl: 20 });
    c.set('a', 1);
    expect(c.get('a')).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(c.get('a')).toBeUndefined();
  });

  it('allocates nothing up front for a large bound', () => {
    const c = countBoundedLru<string, number>(1_000_000);
    for (let i = 0; i < 5; i++) c.set(String(i), i);
    expect(c.size).toBe(5);
    expect(c.max).toBe(0); // no slot array: lru-cache grows it as entries arrive
  });
});
