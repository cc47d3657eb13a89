import { describe, expect, it } from 'vitest';
import { applyDelta, decodeChain, diff, encodeVersion, keyframe, MAX_CHAIN, type Chain } from '../src/core/version-store.js';
import { DIALECTS } from './dialects.js';
import { makeEnv } from './helpers.js';

describe('version deltas', () => {
  it('diff + apply reproduces every edit exactly', () => {
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let s = 'The quick brown fox jumps over the lazy dog. \u00e9\u{1F35E} '.repeat(20);
    for (let i = 0; i < 500; i++) {
      const at = rnd(s.length + 1);
      const del = rnd(Math.min(30, s.length - at + 1));
      const next = s.slice(0, at) + 'x'.repeat(rnd(5)) + '\u{1F950}'.repeat(rnd(2)) + s.slice(at + del);
      expect(applyDelta(s, diff(s, next))).toBe(next);
      s = next;
    }
    expect(diff('abc', 'abc')).toEqual([3, 0, '']);
    expect(diff('', 'new')).toEqual([0, 0, 'new']);
  });

  it('replaying a chain through pieces gives every version exactly, deletions and inserts at any place', () => {
    let seed = 11;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let s = '<p>Rye \u00e9\u{1F35E} and spelt</p>\n'.repeat(40);
    const rows: Array<{ encoding: 'raw' | 'delta'; content: string; packed: null }> = [{ encoding: 'raw', content: s, packed: null }];
    for (let i = 0; i < 400; i++) {
      const at = rnd(s.length + 1);
      const del = rnd(3) === 0 ? s.length - at : rnd(Math.min(60, s.length - at + 1)); // sometimes cut to the end
      const insert = rnd(4) === 0 ? '' : `<!--${i}-->`.repeat(1 + rnd(3));
      const next = rnd(50) === 0 ? '' : s.slice(0, at) + insert + s.slice(at + del); // sometimes empty the page
      rows.push({ encoding: 'delta', content: JSON.stringify(diff(s, next)), packed: null });
      s = next;
      expect(decodeChain(rows)).toBe(s);
    }
  });

  it('writes keyframes when deltas outweigh the last keyframe, or after MAX_CHAIN deltas', () => {
    let chain: Chain = keyframe('a'.repeat(1000)).chain;
    expect(chain.key_bytes).toBeGreaterThan(0);
    let prev = 'a'.repeat(1000);
    const kinds: string[] = [];
    for (let i = 0; i < 50; i++) {
      const next = `${prev}b`;
      const e = encodeVersion(prev, next, chain);
      kinds.push(e.encoding);
      chain = e.chain;
      prev = next;
    }
    expect(kinds).toContain('delta');
    expect(kinds).toContain('deflate');
    expect(encodeVersion('x', 'y', { chain_len: MAX_CHAIN, chain_bytes: 0, key_bytes: 1e9 }).encoding).toBe('deflate');
    expect(decodeChain([{ encoding: 'raw', content: 'abc', packed: null }, { encoding: 'delta', content: JSON.stringify([1, 1, 'X']), packed: null }])).toBe('aXc');
  });
});

describe.each(DIALECTS)('page history on %s', (dialect) => {
  it('300 patches to a large page: every old version reads back exactly; rollback restores it', async () => {
    const env = await makeEnv({ dialect });
    try {
      const { core, project } = env;
      const base = Array.from({ length: 800 }, (_, i) => `<p id="p${i}">Paragraph ${i} about bread, flour and water.</p>`).join('\n');
      let cur = await core.pages.create(project, { slug: 'big.html', content: base });
      const expected = [base];
      let content = base;
      for (let i = 0; i < 300; i++) {
        const find = `<p id="p${(i * 37) % 800}">`;
        const replace = `<p id="p${(i * 37) % 800}" data-v="${i}">`;
        const r = await core.pages.patch(project, { slug: 'big.html', base_version_hash: cur.version_hash, patches: [{ operation: 'replace', find, replace }] });
        content = content.replace(find, replace);
        expected.push(content);
        cur = { ...cur, version_hash: r.version_hash, version: r.version };
      }
      for (const v of [1, 2, 50, 99, 150, 151, 200, 299, 301]) expect(await core.pages.versionContent(project, 'big.html', v), `v${v}`).toBe(expected[v - 1]);
      const rows = await core.db.kysely.selectFrom('page_versions').select(['encoding']).execute();
      expect(rows.filter((r) => r.encoding === 'delta').length).toBeGreaterThan(250);
      await core.pages.rollback(project, { slug: 'big.html', target_version: 123 });
      expect((await core.pages.get(project, 'big.html')).content).toBe(expected[122]);
    } finally {
      await env.close();
    }
  });
});
