import { describe, expect, it } from 'vitest';
import { MAX_DIFF_CHARS, unifiedDiff } from '../src/core/sites/diff.js';
import { makeEnv } from './helpers.js';

const lines = (n: number, tag: string, pad = 0): string => Array.from({ length: n }, (_, i) => `<p>${tag} line ${i}${' x'.repeat(pad)}</p>`).join('\n');

describe('unifiedDiff: one bounded diff for pages_diff and the page preview', () => {
  it('counts added and removed lines of a small change', () => {
    const d = unifiedDiff('a v1', 'a v2', '<h1>Old</h1>\n<p>same</p>\n', '<h1>New</h1>\n<p>same</p>\n<p>more</p>\n');
    expect(d).toMatchObject({ truncated: false, added: 2, removed: 1 });
    expect(d.diff).toContain('-<h1>Old</h1>');
    expect(d.diff).toContain('+<p>more</p>');
  });

  it('gives up on versions that differ in over 20,000 lines instead of computing for long', () => {
    const started = Date.now();
    const d = unifiedDiff('a v1', 'a v2', lines(25_000, 'old'), lines(25_000, 'new'));
    expect(d).toEqual({ diff: '', truncated: true, added: 0, removed: 0 });
    // Given up by the time bound (1 s) at the latest; without it this ran 15-30 s.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('cuts a very long diff and says so', () => {
    // 1,500 long lines replaced: a quick diff (edit length 3,000) whose text passes the bound.
    const d = unifiedDiff('a v1', 'a v2', lines(1_500, 'old', 40), lines(1_500, 'new', 40));
    expect(d.truncated).toBe(true);
    expect(d.diff.length).toBe(MAX_DIFF_CHARS);
    expect(d.added).toBe(1_500);
  });

  it('pages_diff answers diff_truncated from the same function', async () => {
    const env = await makeEnv();
    try {
      await env.core.pages.create(env.project, { slug: 'big.html', content: lines(25_000, 'old') });
      await env.core.pages.update(env.project, { slug: 'big.html', content: lines(25_000, 'new') });
      const d = await env.core.sites.diff(env.project, 'big.html', 1, 2);
      expect(d).toMatchObject({ from_version: 1, to_version: 2, diff: '', diff_truncated: true });
      const small = await env.core.sites.diff(env.project, 'big.html', 2, 2);
      expect(small.diff_truncated).toBe(false);
    } finally {
      await env.close();
    }
  });
});
