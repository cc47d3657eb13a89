import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckPool, type AnalyzeJob } from '../src/core/sites/check-pool.js';
import { analyzePage, refSlugs, resolveChecks, siteIndex, type SiteIndex } from '../src/core/sites/check.js';
import { PAGES_BULK_CREATE, PAGES_UPDATE } from '../tools/pages.js';
import { DIALECTS } from './dialects.js';
import { call, connect, makeEnv, type TestEnv } from './helpers.js';

const SITE_URL = 'http://bakery.localhost:8787/';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** One page with every kind of finding, each on its own line. */
const EVERY_KIND = [
  '<html><head><link rel="stylesheet" href="/css/site.css"></head><body>', // 1: no doctype; a stylesheet
  '<p>Hi <div>block in a paragraph</div></p>', // 2: a stray </p>
  '<img src="/img/logo.png">', // 3: no alt
  '<a href="/about">About</a> <a href="/missing">Gone</a> <a href="/files/book.pdf">Book</a>', // 4: links
  '<table><tr><td>x</td></tr><div>moved</div></table>', // 5: a block a table pushes out
  '<section><span>open', // 6: elements left open
  '<title>late</title>', // 7: a title in the body
  '</body></html>',
].join('\n');

/** One page checked against a whole site's index, as site_check checks it. */
const checkPage = (slug: string, content: string, site: SiteIndex, siteUrl: string) => resolveChecks(slug, analyzePage(slug, content, {}, {}, siteUrl), site);

const SITE: SiteIndex = { pages: new Set(['about.html']), assets: new Set(['img/logo.png']), privateAssets: new Set(['files/book.pdf']) };

/** The 1-based line of an offset, counted the obvious way. */
const naiveLine = (content: string, needle: string): number => content.slice(0, content.indexOf(needle)).split('\n').length;

describe('page checks', () => {
  it('finds every kind of problem with the line it is on, and looks up only the site paths the page uses', () => {
    const items = analyzePage('index.html', EVERY_KIND, {}, {}, SITE_URL);
    expect(refSlugs(items).sort()).toEqual(['about', 'about.html', 'about/index.html', 'css/site.css', 'files/book.pdf', 'img/logo.png', 'missing', 'missing.html', 'missing/index.html']);
    const warnings = resolveChecks('index.html', items, SITE);
    const byType = (t: string) => warnings.filter((w) => w.type === t);
    expect(byType('missing_asset').map((w) => [w.target, w.line])).toEqual([['/css/site.css', 1]]);
    expect(byType('broken_link').map((w) => [w.target, w.line])).toEqual([['/missing', naiveLine(EVERY_KIND, '<a href="/missing"')]]);
    expect(byType('private_asset').map((w) => [w.target, w.line])).toEqual([['/files/book.pdf', 4]]);
    expect(byType('missing_alt').map((w) => w.line)).toEqual([3]);
    expect(byType('missing_title')).toHaveLength(0);
    expect(byType('head_problem').map((w) => w.line).sort()).toEqual([1, 7]);
    expect(byType('invalid_nesting').map((w) => w.line).sort()).toEqual([2, 5, 6, 6]);
    // Document order: the stylesheet (line 1) comes before the image (line 3).
    expect(warnings.findIndex((w) => w.type === 'missing_asset')).toBeLessThan(warnings.findIndex((w) => w.type === 'missing_alt'));
  });

  it('content a table pushes out is found wherever the table is; valid tables and misnested inline markup are not taken for it', () => {
    const nesting = (content: string) => resolveChecks('t.html', analyzePage('t.html', `<!doctype html><title>t</title>${content}`, {}, {}, SITE_URL), SITE).filter((w) => w.type === 'invalid_nesting');
    const table = (w: { message: string }) => /before the table/.test(w.message);
    // Text, in a body the parser made up, after a paragraph and a line break (the moved text joins that text).
    expect(nesting('<p>a</p>\n<table>oops<tr><td>a</td></tr></table>').filter(table).map((w) => w.line)).toEqual([2]);
    expect(resolveChecks('t.html', analyzePage('t.html', '<p>x</p><table>oops<tr><td>a</td></tr></table>', { title: 'T' }, {}, SITE_URL), SITE).filter(table)).toHaveLength(1);
    expect(nesting('<table><tr><td>x</td></tr>\n<div>moved</div></table>').filter(table).map((w) => w.message.slice(0, 5))).toEqual(['<div>']);
    // Valid tables: caption, colgroup, thead, nested tables, script, template, hidden input.
    expect(nesting('<table><caption>c</caption><colgroup><col></colgroup><thead><tr><th>h</th></tr></thead><tbody><tr><td><table><tr><td>n</td></tr></table></td></tr></tbody></table><p>after</p>')).toEqual([]);
    expect(nesting('<table><script>var a</script><template><p>x</p></template><input type="hidden" name="a"><tr><td>a</td></tr></table>')).toEqual([]);
    // Misnested inline markup without a table is never told to move something out of a table.
    expect(nesting('<p><b>x<p>y').some(table)).toBe(false);
  });

  it("an SVG's <title> names the drawing: neither the page's title nor a title in the body", () => {
    const types = (content: string) => resolveChecks('s.html', analyzePage('s.html', content, {}, {}, SITE_URL), SITE).map((w) => w.type);
    const svg = '<svg viewBox="0 0 10 10" role="img"><title>Logo</title><circle r="4"/></svg>';
    expect(types(`<!doctype html><title>Home</title><body>${svg}`)).toEqual([]);
    expect(types(`<!doctype html><body>${svg}`)).toEqual(['missing_title']);
  });

  it('a link to a path no page could have (a NUL, from %00) is a broken link, not a failed lookup', () => {
    const items = analyzePage('n.html', '<!doctype html><title>n</title><a href="/x%00y">x</a>', {}, {}, SITE_URL);
    expect(resolveChecks('n.html', items, SITE).map((w) => w.type)).toEqual(['broken_link']);
  });

  it('a page with many findings still gets the right line for each (found once, not by splitting the page each time)', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `<img src="/i/${i}.png">`);
    const content = `<!doctype html><title>x</title>\n${lines.join('\n')}`;
    const alts = resolveChecks('p.html', analyzePage('p.html', content, {}, {}, SITE_URL), SITE).filter((w) => w.type === 'missing_alt');
    expect(alts).toHaveLength(3000);
    expect(alts.every((w, i) => w.line === i + 2)).toBe(true);
  });

  describe('the check pool', () => {
    const pools: CheckPool[] = [];
    afterEach(async () => {
      for (const p of pools.splice(0)) await p.close();
    });
    const jobs: AnalyzeJob[] = [
      { slug: 'index.html', content: EVERY_KIND, meta: {}, seo: {}, siteUrl: SITE_URL },
      { slug: 'plain.html', content: '<p>no doctype, no title', meta: { title: 'From meta' }, seo: {}, siteUrl: SITE_URL },
    ];

    it('a worker thread answers exactly what the calling thread computes', async () => {
      const threaded = new CheckPool({ inlineChars: 0 });
      pools.push(threaded);
      const got = await threaded.analyze(jobs);
      expect(threaded.threaded).toBe(true);
      expect(got).toEqual(jobs.map((j) => analyzePage(j.slug, j.content, j.meta, j.seo, j.siteUrl)));
    });

    it('a large page is parsed while the event loop goes on; small ones stay on the calling thread', async () => {
      const pool = new CheckPool();
      pools.push(pool);
      await pool.analyze(jobs);
      expect(pool.threaded).toBe(false);
      const big = `<!doctype html><title>Big</title>${'<p class="x">A paragraph with <a href="/about">a link</a>.</p>\n'.repeat(20_000)}`;
      const order: string[] = [];
      const tick = new Promise<void>((r) => setImmediate(() => (order.push('event loop'), r())));
      const done = pool.analyze([{ slug: 'big.html', content: big, meta: {}, seo: {}, siteUrl: SITE_URL }]).then((r) => (order.push('check'), r));
      const [items] = await Promise.all([done, tick]);
      expect(order).toEqual(['event loop', 'check']);
      expect(pool.threaded).toBe(true);
      expect(resolveChecks('big.html', items[0]!, SITE)).toEqual([]);
    });

    it('a thread that dies is replaced, its batch checked inline; after three in a row every check runs inline', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-check-worker-'));
      const crashing = pathToFileURL(path.join(dir, 'crash.mjs'));
      writeFileSync(crashing, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
      const pool = new CheckPool({ inlineChars: 0, workerFile: crashing });
      pools.push(pool);
      const want = jobs.map((j) => analyzePage(j.slug, j.content, j.meta, j.seo, j.siteUrl));
      for (let i = 0; i < 3; i++) expect(await pool.analyze(jobs)).toEqual(want);
      expect(pool.threaded).toBe(false);
      // No fourth thread: the next batch does not start one.
      expect(await pool.analyze(jobs)).toEqual(want);
      expect(pool.threaded).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    });

    it('without a worker file the pages are checked on the calling thread', async () => {
      const pool = new CheckPool({ inlineChars: 0, workerFile: null });
      pools.push(pool);
      expect(await pool.analyze(jobs)).toEqual(jobs.map((j) => analyzePage(j.slug, j.content, j.meta, j.seo, j.siteUrl)));
      expect(pool.threaded).toBe(false);
    });
  });
});

for (const dialect of DIALECTS) {
  describe(`page-write warnings look up only what the page uses (${dialect})`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
    });
    afterEach(() => env.close());

    it('links to pages, public and private assets resolve as site_check resolves them', async () => {
      await env.core.pages.create(env.project, { slug: 'about.html', content: '<!doctype html><title>About</title>' });
      await env.core.assets.upload(env.project, { slug: 'img/logo.png', content: PNG });
      await env.core.assets.upload(env.project, { slug: 'files/book.pdf', content: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64'), private: true });
      const client = await connect(env.core);
      const created = await call(client, PAGES_BULK_CREATE, { pages: [{ slug: 'index.html', content: EVERY_KIND }, { slug: 'missing.html', content: '<!doctype html><title>Now here</title><a href="/">Home</a>' }] });
      expect(created.ok).toBe(true);
      const fromWrite = (created.data.warnings as Array<{ slug: string; type: string; target?: string }>).filter((w) => w.slug === 'index.html');
      // The link to /missing resolves: the page was created in the same call.
      expect(fromWrite.some((w) => w.target === '/missing')).toBe(false);
      const site = await siteIndex(env.core.db.kysely, env.project.id);
      expect(fromWrite).toEqual(checkPage('index.html', EVERY_KIND, site, env.project.url));
      expect(fromWrite.map((w) => w.type)).toContain('private_asset');
      const upd = await call(client, PAGES_UPDATE, { slug: 'missing.html', content: '<!doctype html><title>x</title><img src="/img/logo.png" alt="Logo"><a href="/about">About</a>' });
      expect(upd.data.warnings).toBeUndefined();
      // A link whose path no slug could have (PostgreSQL refuses a NUL as a parameter): a warning, the write answered.
      const nul = await call(client, PAGES_UPDATE, { slug: 'missing.html', content: '<!doctype html><title>x</title><a href="/x%00y">x</a>' });
      expect(nul.ok).toBe(true);
      expect((nul.data.warnings as Array<{ type: string }>).map((w) => w.type)).toEqual(['broken_link']);
    });
  });
}
