import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDF_MIN, PNG_1PX } from './helpers.js';
import { restData, startServe, type ServeProcess } from './serve-process.js';

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser is
 * downloaded), against the built server as a user starts it. Signed in through the first start's
 * one-time link, it walks pages -> history -> diff -> rollback, uploads files, creates, uses and
 * revokes a download link and reads the statistics' numbers. Screenshots of each step go to
 * $TEST_ARTIFACTS_DIR/dashboard-browser (default .tmp/test-artifacts/dashboard-browser).
 * Without /usr/bin/chromium (`apt-get install chromium`) the tests are skipped, saying so.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`[dashboard-browser] skipped: no browser at ${CHROMIUM}. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);

const ARTIFACTS = path.resolve(process.env.TEST_ARTIFACTS_DIR ?? '.tmp/test-artifacts', 'dashboard-browser');

describe('the dashboard in Chromium (built server, real sockets)', () => {
  let server: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  let token = '';
  let projectId = '';
  let siteUrl = '';
  const cspViolations: string[] = [];
  let landedAt = '';

  /** The tool's REST route with the first start's token (what an assistant's call does). */
  const api = (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => restData({ base, projectId, token }, method, p, body);

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServe();
    base = server.url;
    ({ token, projectId } = server.firstRun());
    siteUrl = /Site:\s+(http:\/\/\S+?)\/?\s/.exec(server.output())![1]!;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Sites are {sub}.localhost: resolved to loopback here, so nothing leaves the machine.
      args: ['--host-resolver-rules=MAP *.localhost 127.0.0.1', '--no-first-run'],
      chromiumSandbox: process.getuid?.() !== 0,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    // Signed in once for every test: the first start's link works one time.
    const link = /(http:\/\/\S+\/login\/link\/spl_[A-Za-z0-9_-]+)/.exec(server.output())![1]!;
    await page.goto(link);
    landedAt = page.url();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text()) && m.location().url.startsWith(`${base}/dashboard/static`)) cspViolations.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.skipIf(!HAVE_CHROMIUM)('signs in through the one-time link of the first start and lands on the project list', async () => {
    expect(new URL(landedAt).pathname).toBe('/');
    await page.goto(`${base}/`);
    await expect(page.getByRole('heading', { name: 'Projects', level: 1 }).count()).resolves.toBe(1);
    expect(await page.getByText('owner@localhost').count()).toBe(1);
    // The stylesheet and the script loaded under the CSP: the banner is dark, and nothing was refused.
    expect(await page.locator('header.top').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(17, 17, 17)');
    // Keyboard: the first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await shot('01-projects');
    await page.locator(`a[href="/dashboard/p/${projectId}"]`).first().click();
    expect(await page.getByRole('link', { name: `${siteUrl}/` }).count()).toBeGreaterThan(0);
    await shot('02-overview');
    // A custom domain: added from the overview, its TXT record shown to copy; removed after a confirmation.
    // (Check DNS would ask the system's resolver: the app.request tests cover it with a resolver of their own.)
    await page.getByLabel('Add a domain').fill('www.bakery-example.com');
    await page.getByRole('button', { name: 'Add domain' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('create the TXT record shown below');
    const domainRow = page.locator('section[aria-labelledby="domains"] tbody tr', { hasText: 'www.bakery-example.com' });
    expect(await domainRow.textContent()).toMatch(/pending.*_sitepub\S*\.www\.bakery-example\.com.*sitepub-verify=/s);
    await shot('02b-domain-pending');
    page.once('dialog', (d) => void d.accept());
    await domainRow.getByRole('button', { name: /Remove/ }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('Removed www.bakery-example.com');
  });

  it.skipIf(!HAVE_CHROMIUM)('pages: search, live preview sandboxed on the site origin, history, diff, one-click rollback', async () => {
    // A page with three versions (create, update, patch), as an assistant would leave it.
    await api('POST', '/pages', { slug: 'index.html', content: '<h1>Fresh bread</h1>\n<p>Open daily.</p>\n', meta: { title: 'Bakery <home>' } });
    const v2 = await api('PUT', '/pages/index.html', { content: '<h1>Fresh bread</h1>\n<p>Open daily from 7.</p>\n<script>window.ranOnSite = 1</script>\n' });
    await api('PATCH', '/pages/index.html', { base_version_hash: v2.version_hash, patches: [{ operation: 'replace', find: 'Fresh bread', replace: 'Warm rolls' }], patch_summary: 'new headline' });
    await page.goto(`${base}/dashboard/p/${projectId}`);
    await page.getByRole('link', { name: 'Pages', exact: true }).click();
    await page.getByLabel('Search by path or title').fill('HOME');
    await page.getByLabel('Search by path or title').press('Enter');
    expect(await page.getByRole('status').first().textContent()).toContain('1 page matching');
    await page.getByRole('link', { name: 'Bakery <home>' }).click();

    // The live page runs in an opaque origin on the site host: its script ran, but not as the platform.
    const frameEl = page.locator('iframe.preview');
    expect(await frameEl.getAttribute('sandbox')).toBe('allow-scripts');
    const frame = page.frameLocator('iframe.preview');
    await expect(frame.locator('h1').textContent()).resolves.toBe('Warm rolls');
    const site = page.frames().find((f) => f.url().startsWith(siteUrl))!;
    expect(site).toBeDefined();
    expect(await site.evaluate(() => [window.origin, (window as unknown as { ranOnSite?: number }).ranOnSite])).toEqual(['null', 1]);
    expect(await page.evaluate(() => (window as unknown as { ranOnSite?: number }).ranOnSite)).toBeUndefined();
    // History: who made each version.
    const history = page.locator('table', { has: page.locator('caption', { hasText: 'Versions of index.html' }) });
    expect(await history.locator('tbody tr').count()).toBe(3);
    expect(await history.locator('tbody tr').first().textContent()).toContain('new headline');
    await shot('03-page');

    // An old version: rendered with scripts off in an opaque origin, and its source.
    await page.getByRole('link', { name: 'v2', exact: true }).click();
    await expect(page.frameLocator('iframe.preview').locator('p').textContent()).resolves.toBe('Open daily from 7.');
    const old = page.frames().find((f) => f.url().includes('/page/render'))!;
    expect(await old.evaluate(() => [window.origin, (window as unknown as { ranOnSite?: number }).ranOnSite ?? null])).toEqual(['null', null]);
    await page.getByRole('link', { name: '← index.html' }).click();
    await page.getByRole('link', { name: 'v1', exact: true }).click();
    expect(await page.locator('pre.source').textContent()).toContain('<p>Open daily.</p>');
    await page.getByRole('link', { name: /Compare with the live v3/ }).click();
    const added = await page.locator('table.diff tr.add').allTextContents();
    const removed = await page.locator('table.diff tr.del').allTextContents();
    expect(added.join('\n')).toContain('Warm rolls');
    expect(removed.join('\n')).toContain('Fresh bread');
    expect(await page.locator('table.diff tr.add td').first().evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(220, 252, 231)');
    await shot('04-diff');
    // Another pair, chosen in the form.
    await page.getByLabel('Compare version').selectOption('2');
    await page.getByLabel('with version').selectOption('3');
    await page.getByRole('button', { name: 'Show changes' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('1 line added, 1 removed');

    // Rollback: one click on the page's history.
    await page.getByRole('link', { name: '← index.html' }).click();
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('version 1 is live again, as the new version 4');
    await expect(page.frameLocator('iframe.preview').locator('h1').textContent()).resolves.toBe('Fresh bread');
    const versions = (await api('GET', '/pages/index.html/versions')) as { versions: Array<{ version: number; created_by: string; patch_summary: string }> };
    expect(versions.versions[0]).toMatchObject({ version: 4, created_by: 'rollback', patch_summary: 'rollback to version 1' });
    await shot('05-rolled-back');
  });

  it.skipIf(!HAVE_CHROMIUM)('assets: uploads from the file picker with thumbnails; a hostile SVG runs nothing on the platform', async () => {
    await page.goto(`${base}/dashboard/p/${projectId}`);
    await page.getByRole('link', { name: 'Assets', exact: true }).click();
    const upload = async (name: string, mimeType: string, buffer: Buffer, visibility: 'Public' | 'Private', pathOnSite = '') => {
      await page.getByLabel('File', { exact: true }).setInputFiles({ name, mimeType, buffer });
      await page.getByLabel('Path on the site').fill(pathOnSite);
      await page.getByRole('radio', { name: new RegExp(`${visibility}:`) }).check();
      await page.getByRole('button', { name: 'Upload' }).click();
    };
    await upload('logo.png', 'image/png', PNG_1PX, 'Public', 'images/logo.png');
    expect(await page.getByRole('status').first().textContent()).toContain('Uploaded images/logo.png');
    await upload('Manual.pdf', 'application/pdf', PDF_MIN, 'Private');
    // A video for sale, larger than any form body the dashboard held before: the browser sends the
    // fields first (the file input is the form's last), and the file streams into storage.
    const video = Buffer.alloc(12 * 1024 * 1024);
    Buffer.from('\0\0\0\x20ftypisom\0\0\0\0isomiso2', 'latin1').copy(video);
    await upload('Lesson 1.mp4', 'video/mp4', video, 'Private', 'course/lesson-1.mp4');
    expect(await page.getByRole('status').first().textContent()).toContain('Uploaded course/lesson-1.mp4');
    expect(await page.locator('tbody tr', { hasText: '/course/lesson-1.mp4' }).textContent()).toMatch(/video\/mp4.*12(\.0)? MB.*private/);
    await upload('evil.svg', 'image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>document.documentElement.setAttribute("data-ran","1")</script></svg>'), 'Public');
    const thumb = page.locator('img.thumb').first();
    await expect(thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).resolves.toBe(true);
    expect(await page.locator('tbody tr', { hasText: '/Manual.pdf' }).textContent()).toContain('private');
    await shot('06-assets');
    // Opened on its own, the SVG's script is refused (CSP sandbox): it never runs as the platform.
    const svgTab = await context.newPage();
    await svgTab.goto(`${base}/dashboard/p/${projectId}/asset/file?slug=evil.svg`);
    expect(await svgTab.evaluate(() => document.documentElement.getAttribute('data-ran'))).toBeNull();
    await svgTab.close();
  });

  it.skipIf(!HAVE_CHROMIUM)('download links: create one (shown once), a buyer uses it, revoke it, and read the statistics', async () => {
    // The file to sell, uploaded private as an assistant would; the link starts from its row in Assets.
    await api('POST', '/assets', { slug: 'files/Book.pdf', content: PDF_MIN.toString('base64'), private: true });
    await page.goto(`${base}/dashboard/p/${projectId}/assets`);
    await page.locator('tbody tr', { hasText: '/files/Book.pdf' }).getByRole('link', { name: /Download link/ }).click();
    expect(await page.getByLabel('File', { exact: true }).inputValue()).toBe('/files/Book.pdf');
    await page.getByLabel('Downloads allowed').fill('3');
    await page.getByLabel('Expires after (hours)').fill('48');
    await page.getByRole('button', { name: 'Create link' }).click();
    const url = (await page.locator('#made-url').textContent())!.trim();
    expect(url).toMatch(/\/d\/spd_/);
    // The script shows the copy button (progressive enhancement).
    expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await shot('07-link-created');

    const bought = await fetch(url, { headers: { 'user-agent': 'BuyerBrowser/1.0' } });
    expect(bought.status).toBe(200);
    expect(Buffer.from(await bought.arrayBuffer()).equals(PDF_MIN)).toBe(true);

    await page.getByRole('link', { name: 'active', exact: true }).click();
    const row = page.locator('tbody tr', { hasText: '/files/Book.pdf' });
    expect(await row.textContent()).toContain('1 / 3');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: /Revoke/ }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('Link revoked.');
    await page.getByRole('link', { name: 'revoked', exact: true }).click();
    expect(await page.locator('tbody tr', { hasText: '/files/Book.pdf' }).textContent()).toContain('revoked');
    await shot('08-links-revoked');
    const refused = await fetch(url, { headers: { 'user-agent': 'BuyerBrowser/2.0' } });
    expect(refused.status).toBe(403);

    await page.getByRole('link', { name: 'Statistics', exact: true }).click();
    await page.getByRole('link', { name: '7 days' }).click();
    expect(await page.locator('#total-downloads').textContent()).toBe('1');
    // The table's numbers, and the chart's bars say the same (the day is the server's, not this clock's).
    const daily = await page.locator('#daily tbody tr').evaluateAll((rows) => rows.map((r) => [r.querySelector('th')!.textContent!, Number(r.querySelector('td')!.textContent)] as const));
    expect(daily).toHaveLength(7);
    expect(daily.reduce((a, [, n]) => a + n, 0)).toBe(1);
    const bars = await page.locator('svg.chart rect').evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-date'), Number(r.getAttribute('data-downloads'))] as const));
    expect(bars).toEqual(daily);
    expect(await page.locator('#top-files tbody tr').first().textContent()).toContain('/files/Book.pdf');
    const attempts = await page.locator('#attempt-list tbody tr').allTextContents();
    const refusal = attempts.find((t) => t.includes('TOKEN_REVOKED'))!;
    expect(refusal).toContain('127.0.0.0/24');
    expect(refusal).toContain('BuyerBrowser/2.0');
    expect(attempts.some((t) => t.includes('ok') && t.includes('BuyerBrowser/1.0'))).toBe(true);
    await page.getByLabel('Outcome').selectOption('refused');
    await page.getByRole('button', { name: 'Filter' }).click();
    const onlyRefusals = await page.locator('#attempt-list tbody tr').allTextContents();
    expect(onlyRefusals.length).toBeGreaterThan(0);
    expect(onlyRefusals.every((t) => !t.includes('BuyerBrowser/1.0'))).toBe(true);
    await shot('09-stats');

    // On a phone: one column, nothing wider than the screen but the tables' own scroll boxes.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: '30 days' }).click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('10-stats-phone');
    expect(cspViolations).toEqual([]);
  });
});
