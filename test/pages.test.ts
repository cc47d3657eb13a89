import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SitepubError } from '../src/core/errors.js';
import { applyPatches } from '../src/core/patch.js';
import { normalizeSlug } from '../src/core/slug.js';
import { rebuildPageCounts } from '../src/db/migrations/0007-page-counts.js';
import { DIALECTS } from './dialects.js';
import { makeEnv, rejection, type TestEnv } from './helpers.js';


describe('slugs', () => {
  it('accepts relative paths and normalises to NFC', () => {
    expect(normalizeSlug('index.html')).toBe('index.html');
    expect(normalizeSlug('blog/post-1.html')).toBe('blog/post-1.html');
    expect(normalizeSlug('cafe\u0301.html')).toBe('caf\u00e9.html');
    expect(normalizeSlug('.well-known/security.txt', 'asset')).toBe('.well-known/security.txt');
  });
  it.each([
    ['/about.html', 'start'],
    ['a/../b.html', '".."'],
    ['a\\b.html', 'forbidden'],
    ['a//b.html', 'empty'],
    ['a\u0000b', 'forbidden'],
    ['a b.html', 'forbidden'],
    ['a%2e.html', 'forbidden'],
    ['dir/', 'end'],
    ['.env', 'starts with "."'],
    ['_sitepub/x.html', 'reserved'],
    ['x'.repeat(300), 'longer'],
  ])('refuses %j', (slug, why) => {
    let err: unknown;
    try {
      normalizeSlug(slug);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SitepubError);
    expect((err as SitepubError).type).toBe('VALIDATION_ERROR');
    expect((err as SitepubError).message).toContain(why);
  });
});

describe('applyPatches', () => {
  it('applies in order', () => {
    expect(
      applyPatches('<h1>A</h1><p>B</p>', [
        { operation: 'replace', find: '<h1>A</h1>', replace: '<h1>C</h1>' },
        { operation: 'delete', find: '<p>B</p>' },
        { operation: 'replace', find: 'C', replace: 'D' },
      ]),
    ).toBe('<h1>D</h1>');
  });
  it('names the patch and counts matches (overlapping included)', () => {
    try {
      applyPatches('aaa', [{ operation: 'replace', find: 'aa', replace: 'b' }]);
      expect.unreachable();
    } catch (e) {
      expect((e as SitepubError).type).toBe('PATCH_FIND_AMBIGUOUS');
      expect((e as SitepubError).details).toMatchObject({ patch_index: 0, matches: 2 });
    }
    try {
      applyPatches('abc', [
        { operation: 'replace', find: 'a', replace: 'x' },
        { operation: 'delete', find: 'a' },
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as SitepubError).type).toBe('PATCH_FIND_NOT_FOUND');
      expect((e as SitepubError).details).toMatchObject({ patch_index: 1, matches: 0 });
    }
  });
});

describe.each(DIALECTS)('PageService on %s', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ dialect });
  });
  afterEach(() => env.close());

  it('creates, reads, lists with versions and URLs', async () => {
    const { core, project } = env;
    const s = await core.pages.create(project, { slug: 'index.html', content: '<h1>Hi</h1>', meta: { title: 'Home' } });
    expect(s).toMatchObject({ slug: 'index.html', title: 'Home', version: 1, url: 'http://bakery.localhost:8787/' });
    expect(s.version_hash).toMatch(/^[0-9a-f]{12}$/);
    const g = await core.pages.get(project, 'index.html', true);
    expect(g).toMatchObject({ content: '<h1>Hi</h1>', meta: { title: 'Home' }, seo: {}, version: 1, version_hash: s.version_hash });
    const plain = await core.pages.get(project, 'index.html');
    expect(plain.version).toBeUndefined();
    await core.pages.create(project, { slug: 'blog/post one.html'.replace(' ', '-'), content: 'x' });
    const list = await core.pages.list(project, 1, 0);
    expect(list.total).toBe(2);
    expect(list.pages).toHaveLength(1);
    expect(list.pages[0]!.slug).toBe('blog/post-one.html');
    expect(list.pages[0]!.url).toBe('http://bakery.localhost:8787/blog/post-one.html');
  });

  it('refuses duplicates and leaves the original untouched', async () => {
    const { core, project } = env;
    await core.pages.create(project, { slug: 'a.html', content: 'one' });
    const e = await rejection(core.pages.create(project, { slug: 'a.html', content: 'two' }));
    expect(e.type).toBe('ALREADY_EXISTS');
    expect((await core.pages.get(project, 'a.html')).content).toBe('one');
  });

  it('every write makes a forward-only version; rollback by number and hash', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: '<h1>One</h1>' });
    const v2 = await core.pages.update(project, { slug: 'a.html', content: '<h1>Two</h1>' });
    expect(v2.version).toBe(2);
    const v3 = await core.pages.patch(project, { slug: 'a.html', base_version_hash: v2.version_hash, patches: [{ operation: 'replace', find: 'Two', replace: 'Three' }], patch_summary: 'three' });
    expect(v3).toMatchObject({ version: 3, patches_applied: 1, content_preview: '<h1>Three</h1>' });
    const rb = await core.pages.rollback(project, { slug: 'a.html', target_version: 1 });
    expect(rb).toMatchObject({ rolled_back_to: 1, new_version: 4, new_version_hash: v1.version_hash });
    const rb2 = await core.pages.rollback(project, { slug: 'a.html', target_version_hash: v3.version_hash });
    expect(rb2).toMatchObject({ rolled_back_to: 3, new_version: 5 });
    const h = await core.pages.versions(project, 'a.html');
    expect(h.current_version).toBe(5);
    expect(h.versions.map((v) => [v.version, v.created_by])).toEqual([
      [5, 'rollback'],
      [4, 'rollback'],
      [3, 'patch'],
      [2, 'update'],
      [1, 'create'],
    ]);
    expect(h.versions[2]!.patch_summary).toBe('three');
    expect((await core.pages.get(project, 'a.html')).content).toBe('<h1>Three</h1>');
    expect((await rejection(core.pages.rollback(project, { slug: 'a.html', target_version: 99 }))).type).toBe('NOT_FOUND');
    expect((await rejection(core.pages.rollback(project, { slug: 'a.html' }))).type).toBe('VALIDATION_ERROR');
  });

  it('update keeps meta unless given and honours base_version_hash', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: 'x', meta: { title: 'T' } });
    await core.pages.update(project, { slug: 'a.html', content: 'y' });
    expect((await core.pages.get(project, 'a.html')).meta).toEqual({ title: 'T' });
    const e = await rejection(core.pages.update(project, { slug: 'a.html', content: 'z', base_version_hash: v1.version_hash }));
    expect(e.type).toBe('VERSION_CONFLICT');
    expect((await core.pages.get(project, 'a.html')).content).toBe('y');
  });

  it('patch failures change nothing', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'a.html', content: '<p>a</p><p>a</p>' });
    const amb = await rejection(core.pages.patch(project, { slug: 'a.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: '<p>a</p>', replace: 'b' }] }));
    expect(amb.type).toBe('PATCH_FIND_AMBIGUOUS');
    expect(amb.details.matches).toBe(2);
    const stale = await rejection(core.pages.patch(project, { slug: 'a.html', base_version_hash: 'deadbeef0000', patches: [{ operation: 'delete', find: 'a' }] }));
    expect(stale.type).toBe('VERSION_CONFLICT');
    expect(stale.details.current_version_hash).toBe(v1.version_hash);
    const h = await core.pages.versions(project, 'a.html');
    expect(h.versions).toHaveLength(1);
  });

  it('20 concurrent patches on one base: exactly one wins', async () => {
    const { core, project } = env;
    const v1 = await core.pages.create(project, { slug: 'race.html', content: '<p>count</p>' });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        core.pages.patch(project, { slug: 'race.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'count', replace: `count ${i}` }] }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const conflicts = results.filter((r) => r.status === 'rejected' && (r.reason as SitepubError).type === 'VERSION_CONFLICT');
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    expect((await core.pages.versions(project, 'race.html')).versions).toHaveLength(2);
  });

  it('bulk create is all or nothing', async () => {
    const { core, project } = env;
    await core.pages.create(project, { slug: 'taken.html', content: 'x' });
    const e = await rejection(
      core.pages.bulkCreate(project, [
        { slug: 'new1.html', content: 'a' },
        { slug: 'taken.html', content: 'b' },
      ]),
    );
    expect(e.type).toBe('ALREADY_EXISTS');
    expect(e.details.index).toBe(1);
    expect((await core.pages.list(project)).total).toBe(1);
    const dup = await rejection(core.pages.bulkCreate(project, [{ slug: 'x.html', content: 'a' }, { slug: 'x.html', content: 'b' }]));
    expect(dup.type).toBe('VALIDATION_ERROR');
    const ok = await core.pages.bulkCreate(project, [{ slug: 'n1.html', content: 'a' }, { slug: 'n2.html', content: 'b' }]);
    expect(ok.created).toBe(2);
  });

  it('enforces the page size limit in bytes', async () => {
    const { core, project } = env;
    const e = await rejection(core.pages.create(project, { slug: 'big.html', content: '\u00e9'.repeat(1024 * 1024 + 1) }));
    expect(e.type).toBe('PAYLOAD_TOO_LARGE');
  });

  it('delete removes the page and its history', async () => {
    const { core, project } = env;
    await core.pages.create(project, { slug: 'a.html', content: 'x' });
    await core.pages.update(project, { slug: 'a.html', content: 'y' });
    expect(await core.pages.delete(project, 'a.html')).toEqual({ slug: 'a.html', deleted: true, versions_deleted: 2 });
    expect((await rejection(core.pages.get(project, 'a.html'))).type).toBe('NOT_FOUND');
    const again = await core.pages.create(project, { slug: 'a.html', content: 'z' });
    expect(again.version).toBe(1);
  });

  it('keeps the page count exact through creates, failed and good bulk creates, deletes and a recount', async () => {
    const { core, project } = env;
    const other = await core.projects.create({ name: 'Other', subdomain: 'other-site' });
    await core.pages.create(other, { slug: 'elsewhere.html', content: 'x' });
    await core.pages.create(project, { slug: 'a.html', content: 'x' });
    await rejection(core.pages.create(project, { slug: 'a.html', content: 'again' }));
    await rejection(core.pages.bulkCreate(project, [{ slug: 'b.html', content: 'b' }, { slug: 'a.html', content: 'dup' }]));
    await core.pages.bulkCreate(project, [{ slug: 'b.html', content: 'b' }, { slug: 'c.html', content: 'c' }, { slug: 'd.html', content: 'd' }]);
    await core.pages.delete(project, 'c.html');
    await rejection(core.pages.delete(project, 'c.html'));
    const counted = async (p: typeof project) => Number((await core.db.kysely.selectFrom('pages').select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', p.id).executeTakeFirstOrThrow()).n);
    const list = await core.pages.list(project, 2, 1);
    expect(list.total).toBe(3);
    expect(list.total).toBe(await counted(project));
    expect(list.pages.map((p) => p.slug)).toEqual(['b.html', 'd.html']);
    expect((await core.pages.list(other)).total).toBe(1);
    expect((await core.status(project)).pages_count).toBe(3);
    await rebuildPageCounts(core.db.kysely as never);
    expect((await core.pages.list(project)).total).toBe(3);
    expect((await core.pages.list(other)).total).toBe(1);
  });
});
