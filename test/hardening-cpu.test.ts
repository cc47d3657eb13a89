import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assetKindForSlug, verifyAssetBytes } from '../src/core/asset-types.js';
import type { Core } from '../src/core/core.js';
import { SitepubError } from '../src/core/errors.js';
import { applyPatches } from '../src/core/patch.js';
import { findOccurrences } from '../src/core/text-search.js';
import type { Database } from '../src/db/schema.js';
import { DIALECTS } from './dialects.js';
import { makeEnv, rejection, type TestEnv } from './helpers.js';

/**
 * The inputs here are sized so that the quadratic code this file guards against would run for
 * minutes to hours, while linear code answers in milliseconds: each test's timeout of a few seconds
 * is the assertion (speed itself is measured in the benchmarks, never here).
 */
const FAST = 5000;
const MB = 1024 * 1024;

// A hook run inside applyPatches: lets a test act while a patch is being computed.
const during = vi.hoisted(() => ({ applyPatches: undefined as (() => void) | undefined }));
vi.mock('../src/core/patch.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/core/patch.js')>();
  return {
    ...real,
    applyPatches: (...args: Parameters<typeof real.applyPatches>): string => {
      during.applyPatches?.();
      return real.applyPatches(...args);
    },
  };
});

async function svgVerdict(text: string | Uint8Array): Promise<string> {
  try {
    return await verifyAssetBytes(assetKindForSlug('logo.svg'), typeof text === 'string' ? Buffer.from(text) : text);
  } catch (e) {
    if (e instanceof SitepubError) return e.type;
    throw e;
  }
}

describe('SVG prolog scanning is linear', () => {
  it('a 5 MB "<!DOCTYPE" followed by whitespace answers a typed refusal', async () => {
    expect(await svgVerdict('<!DOCTYPE' + ' '.repeat(5 * MB - 9))).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, FAST);

  it('whitespace of every kind after "<!DOCTYPE", then a valid root, is accepted', async () => {
    expect(await svgVerdict('<!DOCTYPE svg' + ' \t\r\n'.repeat(MB) + '><svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict('<!DOCTYPE svg [' + ' '.repeat(2 * MB) + ']' + ' '.repeat(2 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, FAST);

  it('an internal subset of many "]" not followed by ">" is scanned once', async () => {
    expect(await svgVerdict('<!DOCTYPE svg [' + '] '.repeat(2 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await svgVerdict('<!DOCTYPE svg [' + ']\t'.repeat(MB) + '] ><svg/>')).toBe('image/svg+xml');
  }, FAST);

  it('long runs of comments, declarations and unterminated constructs', async () => {
    expect(await svgVerdict('<!---->'.repeat(700_000) + '<svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict(' <!-- x --> <?xml v?>'.repeat(200_000) + '\n<svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict('<!--' + '-'.repeat(4 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await svgVerdict('<?xml' + '?'.repeat(4 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await svgVerdict('<!DOCTYPE' + '<!DOCTYPE'.repeat(500_000))).toBe('UNSUPPORTED_MEDIA_TYPE');
    // Many short constructs: finding the end of one must not scan the rest of the file.
    expect(await svgVerdict('<!DOCTYPE svg>'.repeat(300_000) + '<svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict('<!DOCTYPE svg>'.repeat(300_000) + '[' + '<svg/>')).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, FAST);

  const BOM = '\uFEFF';
  const SUBSET = '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n  <!ENTITY ns "http://www.w3.org/2000/svg">\n  <!ENTITY br "]">\n]>';
  it.each([
    ['bare root', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['root with a newline', '<svg\nwidth="1"></svg>'],
    ['root closed at once', '<svg>'],
    ['XML declaration', '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg/>'],
    ['stylesheet instruction', '<?xml version="1.0"?><?xml-stylesheet href="a.css"?><svg/>'],
    ['comments', '<!-- one --><!----><!-- two -- > --> \n<svg/>'],
    ['DOCTYPE', '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg/>'],
    ['lowercase doctype', '<!doctype svg><svg/>'],
    ['DOCTYPE with internal subset', `<?xml version="1.0"?>\n${SUBSET}\n<svg xmlns="&ns;"/>`],
    ['space before the subset close', '<!DOCTYPE svg [ <!ENTITY a "b"> ] \n >\n<svg/>'],
    ['BOM', `${BOM}<?xml version="1.0"?><svg/>`],
    ['BOM and everything', `${BOM}  <?xml version="1.0"?>\n<!-- c -->\n${SUBSET}\n<!-- d --><svg/>`],
  ])('valid SVG passes: %s', async (_name, text) => {
    expect(await svgVerdict(text)).toBe('image/svg+xml');
  });

  it.each([
    ['html', '<html><svg></svg></html>'],
    ['html doctype', '<!DOCTYPE html><html></html>'],
    ['script', '<script>alert(1)</script>'],
    ['plain text', 'hello <svg/>'],
    ['svg-like name', '<svgx/>'],
    ['uppercase root', '<SVG/>'],
    ['unterminated comment', '<!-- <svg/>'],
    ['unterminated declaration', '<?xml version="1.0" <svg/>'],
    ['unterminated DOCTYPE', '<!DOCTYPE svg '],
    ['unterminated subset', '<!DOCTYPE svg [ <!ENTITY a "b"> <svg/>'],
    ['subset closed without ">"', '<!DOCTYPE svg [ ] <svg/>'],
    ['content after the root check fails', '<!DOCTYPE svg><p/>'],
    ['empty after prolog', '<?xml version="1.0"?>\n'],
  ])('non-SVG fails: %s', async (_name, text) => {
    expect(await svgVerdict(text)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

/** Overlapping occurrences, by brute force: the reference the linear search must agree with. */
function naiveCount(haystack: string, needle: string): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (haystack.startsWith(needle, i)) {
      if (count === 0) first = i;
      count++;
    }
  }
  return { count, first };
}

function outcome(content: string, find: string): { ok: string } | { type: string; matches: unknown } {
  try {
    return { ok: applyPatches(content, [{ operation: 'replace', find, replace: '<X>' }]) };
  } catch (e) {
    if (!(e instanceof SitepubError)) throw e;
    expect(e.details.patch_index).toBe(0);
    return { type: e.type, matches: e.details.matches };
  }
}

/** A small deterministic PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('patch search is linear', () => {
  it('a 1.5 MB page and a crafted find answer PATCH_FIND_NOT_FOUND', () => {
    const content = 'a'.repeat(1_500_000);
    const find = 'a'.repeat(375_000) + 'b' + 'a'.repeat(375_000);
    expect(outcome(content, find)).toEqual({ type: 'PATCH_FIND_NOT_FOUND', matches: 0 });
  }, FAST);

  it('a prefix-heavy find over a long run, found once at the end', () => {
    const content = 'a'.repeat(1_500_000) + 'b';
    const find = 'a'.repeat(750_000) + 'b';
    expect(outcome(content, find)).toEqual({ ok: 'a'.repeat(750_000) + '<X>' });
  }, FAST);

  it('overlapping matches of a long run stop at the cap', () => {
    expect(outcome('a'.repeat(2 * MB), 'a'.repeat(MB))).toEqual({ type: 'PATCH_FIND_AMBIGUOUS', matches: 1000 });
    expect(outcome('ab'.repeat(MB), 'ab'.repeat(MB / 2) + 'a')).toEqual({ type: 'PATCH_FIND_AMBIGUOUS', matches: 1000 });
  }, FAST);

  it('counts at and around the cap', () => {
    expect(outcome('a'.repeat(999), 'a')).toEqual({ type: 'PATCH_FIND_AMBIGUOUS', matches: 999 });
    expect(outcome('a'.repeat(1000), 'a')).toEqual({ type: 'PATCH_FIND_AMBIGUOUS', matches: 1000 });
    expect(outcome('a'.repeat(5000), 'a')).toEqual({ type: 'PATCH_FIND_AMBIGUOUS', matches: 1000 });
    try {
      applyPatches('a'.repeat(5000), [{ operation: 'delete', find: 'a' }]);
      expect.unreachable();
    } catch (e) {
      expect((e as SitepubError).message).toContain('1000 or more');
    }
  });

  it('agrees with a brute-force search on many small random strings', () => {
    const next = rng(20260301);
    for (const alphabet of ['ab', 'abc', 'aab', 'a\u00e9\ud83d\ude00']) {
      const pick = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      for (let round = 0; round < 1500; round++) {
        const content = pick(Math.floor(next() * 40));
        const find = next() < 0.3 && content.length > 0 ? content.slice(Math.floor(next() * content.length), Math.floor(next() * content.length) + 1) || 'a' : pick(1 + Math.floor(next() * 6));
        const ref = naiveCount(content, find);
        const got = outcome(content, find);
        if (ref.count === 0) expect(got, JSON.stringify({ content, find })).toEqual({ type: 'PATCH_FIND_NOT_FOUND', matches: 0 });
        else if (ref.count > 1) expect(got, JSON.stringify({ content, find })).toEqual({ type: 'PATCH_FIND_AMBIGUOUS', matches: ref.count });
        else expect(got, JSON.stringify({ content, find })).toEqual({ ok: content.slice(0, ref.first) + '<X>' + content.slice(ref.first + find.length) });
      }
    }
  });

  it('findOccurrences counts up to its limit and reports the first position', () => {
    const next = rng(7);
    for (let round = 0; round < 3000; round++) {
      const pick = (n: number): string => Array.from({ length: n }, () => 'ab'[Math.floor(next() * 2)]).join('');
      const text = pick(Math.floor(next() * 60));
      const pattern = pick(1 + Math.floor(next() * 20));
      const limit = 1 + Math.floor(next() * 5);
      const ref = naiveCount(text, pattern);
      expect(findOccurrences(text, pattern, limit), JSON.stringify({ text, pattern, limit })).toEqual({ count: Math.min(ref.count, limit), first: ref.first });
    }
    expect(findOccurrences('abc', 'abcd', 5)).toEqual({ count: 0, first: -1 });
    expect(findOccurrences('aaaa', 'aa', 0)).toEqual({ count: 0, first: -1 });
    expect(() => findOccurrences('abc', '', 5)).toThrow(RangeError);
    // Patterns longer than the indexOf probe, with the probe itself frequent.
    const long = 'x'.repeat(16) + 'y';
    expect(findOccurrences('x'.repeat(100) + 'y' + 'x'.repeat(16) + 'y', long, 10)).toEqual({ count: 2, first: 84 });
  });

  it('a later patch sees the earlier ones; failures name the patch', () => {
    expect(
      applyPatches('<p>aa</p>', [
        { operation: 'replace', find: 'aa', replace: 'aXa' },
        { operation: 'delete', find: 'X' },
        { operation: 'replace', find: '<p>aa', replace: '<h1>aa' },
      ]),
    ).toBe('<h1>aa</p>');
    try {
      applyPatches('abcabc', [
        { operation: 'replace', find: 'abca', replace: 'z' },
        { operation: 'delete', find: 'bc' },
        { operation: 'delete', find: 'q' },
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as SitepubError).type).toBe('PATCH_FIND_NOT_FOUND');
      expect((e as SitepubError).details).toEqual({ patch_index: 2, matches: 0 });
    }
  });
});

describe('pages_patch holds no write lock while it computes (SQLite file)', () => {
  let dir: string;
  let env: TestEnv;
  let other: SQLite.Database;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-cpu-'));
    env = await makeEnv({ db: { dataDir: dir } });
    // Another process on the same file, which must never have to wait for a patch's computation.
    other = new SQLite(path.join(dir, 'sitepub.db'));
    other.pragma('busy_timeout = 0');
  });
  afterEach(async () => {
    during.applyPatches = undefined;
    other.close();
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('another connection can write while the patches are applied', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: '<p>one</p>' });
    let blocked: unknown;
    during.applyPatches = () => {
      try {
        other.exec('begin immediate');
        other.exec('rollback');
      } catch (e) {
        blocked = e;
      }
    };
    const r = await core.pages.patch(project, { slug: 'a.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'one', replace: 'two' }] });
    expect(blocked).toBeUndefined();
    expect(r.version).toBe(2);
  });

  it('a write by another process between read and write makes the patch a VERSION_CONFLICT', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: '<p>one</p>' });
    // The other process's write: what a second instance's pages_update commits.
    during.applyPatches = () => {
      during.applyPatches = undefined;
      other.prepare("update pages set content = '<p>other</p>', version = version + 1, version_hash = 'aaaaaaaaaaaa' where slug = 'a.html'").run();
    };
    const e = await rejection(core.pages.patch(project, { slug: 'a.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'one', replace: 'two' }] }));
    expect(e.type).toBe('VERSION_CONFLICT');
    expect(e.details).toMatchObject({ current_version: 2, current_version_hash: 'aaaaaaaaaaaa' });
    expect((await core.pages.get(project, 'a.html')).content).toBe('<p>other</p>');
    expect((await core.pages.versions(project, 'a.html')).versions).toHaveLength(1);
  });
});

/** Runs `hook` once, just before the page service next opens a transaction. */
function beforeNextTransaction(core: Core, hook: () => Promise<void>): void {
  const svc = core.pages as unknown as { db: Kysely<Database> };
  const real = svc.db;
  svc.db = new Proxy(real, {
    get(target, key): unknown {
      if (key === 'transaction') {
        svc.db = real;
        return () => {
          const builder = real.transaction();
          return { execute: async <T>(fn: Parameters<typeof builder.execute<T>>[0]): Promise<T> => (await hook(), builder.execute(fn)) };
        };
      }
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe.each(DIALECTS)('pages_patch optimistic lock on %s', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ dialect });
  });
  afterEach(() => env.close());

  it('a patch whose base is superseded before it writes gets VERSION_CONFLICT', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: '<p>one</p>' });
    let v2 = '';
    beforeNextTransaction(core, async () => {
      v2 = (await core.pages.update(project, { slug: 'a.html', content: '<p>one, updated</p>' })).version_hash;
    });
    const e = await rejection(core.pages.patch(project, { slug: 'a.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'one', replace: 'two' }] }));
    expect(e.type).toBe('VERSION_CONFLICT');
    expect(e.details).toMatchObject({ current_version: 2, current_version_hash: v2 });
    expect((await core.pages.get(project, 'a.html')).content).toBe('<p>one, updated</p>');
    expect((await core.pages.versions(project, 'a.html')).versions.map((v) => v.created_by)).toEqual(['update', 'create']);
  });

  it('a page deleted before the patch writes is not resurrected', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: '<p>one</p>' });
    beforeNextTransaction(core, async () => {
      await core.pages.delete(project, 'a.html');
    });
    const e = await rejection(core.pages.patch(project, { slug: 'a.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'one', replace: 'two' }] }));
    expect(['VERSION_CONFLICT', 'NOT_FOUND']).toContain(e.type);
    expect((await rejection(core.pages.get(project, 'a.html'))).type).toBe('NOT_FOUND');
  });

  it('20 concurrent patches on one large page: exactly one wins, the rest see its hash', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'race.html', content: '<p>x</p>'.repeat(100_000) + '<p>count</p>' });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        core.pages.patch(project, { slug: 'race.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'count', replace: `count ${i}` }] }),
      ),
    );
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const conflicts = results.flatMap((r) => (r.status === 'rejected' && (r.reason as SitepubError).type === 'VERSION_CONFLICT' ? [r.reason as SitepubError] : []));
    expect(won).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    for (const c of conflicts) expect(c.details.current_version_hash).toBe(won[0]!.version_hash);
    const page = await core.pages.get(project, 'race.html', true);
    expect(page.version_hash).toBe(won[0]!.version_hash);
    expect(page.content.endsWith(`<p>count ${results.findIndex((r) => r.status === 'fulfilled')}</p>`)).toBe(true);
    expect((await core.pages.versions(project, 'race.html')).versions).toHaveLength(2);
    expect(await core.pages.versionContent(project, 'race.html', 1)).toBe('<p>x</p>'.repeat(100_000) + '<p>count</p>');
  });

  it('a 1.5 MB crafted patch through the service answers PATCH_FIND_NOT_FOUND and writes nothing', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'big.html', content: 'a'.repeat(1_500_000) });
    const e = await rejection(
      core.pages.patch(project, { slug: 'big.html', base_version_hash: v1.version_hash, patches: [{ operation: 'delete', find: 'a'.repeat(375_000) + 'b' + 'a'.repeat(375_000) }] }),
    );
    expect(e.type).toBe('PATCH_FIND_NOT_FOUND');
    expect((await core.pages.versions(project, 'big.html')).versions).toHaveLength(1);
  }, FAST);
});

describe('trimming by index, not by a backtracking regex', () => {
  it('trims long runs that are not at the end in linear time', async () => {
    const { trimChar } = await import('../src/core/trim.js');
    const { makeUrlConfig } = await import('../src/core/config.js');
    const { slugify } = await import('../src/core/projects.js');
    expect(trimChar('//a//', '/')).toBe('a');
    expect(trimChar('//a//', '/', 'end')).toBe('//a');
    expect(trimChar('////', '/')).toBe('');
    // 200,000 slashes then a letter: /\/+$/ retried from each slash (about 2 * 10^10 steps).
    const u = makeUrlConfig(`http://h.test/${'/'.repeat(200_000)}x/`, `${'.'.repeat(200_000)}x.sites.test.`);
    expect(u.publicUrl.endsWith('x')).toBe(true);
    expect(u.siteDomain).toBe('x.sites.test');
    expect(slugify('--Bäckerei  Müller--')).toBe('backerei-muller');
    expect(slugify('!!!')).toBe('site');
  }, 5000);
});
