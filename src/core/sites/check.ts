import type { Kysely } from 'kysely';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import type { Database } from '../../db/schema.js';
import { normalizeSlug } from '../slug.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export type WarningType = 'broken_link' | 'missing_asset' | 'private_asset' | 'missing_title' | 'missing_alt' | 'invalid_nesting' | 'head_problem';

/** Something a browser or a visitor would trip over; the write went through all the same. */
export interface SiteWarning {
  type: WarningType;
  message: string;
  /** The page it is on (site_check lists several pages). */
  slug: string;
  /** The URL as written, for links and assets. */
  target?: string;
  /** 1-based line in the page's stored content. */
  line?: number;
}

/** What a site serves, by slug: pages, public assets, private assets. */
export interface SiteIndex {
  pages: ReadonlySet<string>;
  assets: ReadonlySet<string>;
  privateAssets: ReadonlySet<string>;
}

/** The whole site's index (site_check, which checks every page). */
export async function siteIndex(db: Kysely<Database>, projectId: string): Promise<SiteIndex> {
  const [pages, assets] = await Promise.all([
    db.selectFrom('pages').select('slug').where('project_id', '=', projectId).execute(),
    db.selectFrom('assets').select(['slug', 'private']).where('project_id', '=', projectId).execute(),
  ]);
  return {
    pages: new Set(pages.map((p) => p.slug)),
    assets: new Set(assets.filter((a) => a.private === 0).map((a) => a.slug)),
    privateAssets: new Set(assets.filter((a) => a.private !== 0).map((a) => a.slug)),
  };
}

/** Bound on the slugs of one lookup query (SQLite and PostgreSQL both take far more parameters). */
const LOOKUP_BATCH = 500;

/**
 * The part of the index a few pages need: which of these slugs the site serves (a page write's
 * check looks up only the URLs the page uses, however large the site).
 */
export async function siteLookup(db: Kysely<Database>, projectId: string, slugs: readonly string[]): Promise<SiteIndex> {
  const site = { pages: new Set<string>(), assets: new Set<string>(), privateAssets: new Set<string>() };
  // Only what could be stored: a path from a link may hold anything (a NUL, which PostgreSQL refuses as a parameter).
  const storable = slugs.filter(isStorableSlug);
  for (let i = 0; i < storable.length; i += LOOKUP_BATCH) {
    const part = storable.slice(i, i + LOOKUP_BATCH);
    const [pages, assets] = await Promise.all([
      db.selectFrom('pages').select('slug').where('project_id', '=', projectId).where('slug', 'in', part).execute(),
      db.selectFrom('assets').select(['slug', 'private']).where('project_id', '=', projectId).where('slug', 'in', part).execute(),
    ]);
    for (const p of pages) site.pages.add(p.slug);
    for (const a of assets) (a.private === 0 ? site.assets : site.privateAssets).add(a.slug);
  }
  return site;
}

/** Whether a page or asset could have this slug (normalizeSlug accepts it as it is). */
function isStorableSlug(s: string): boolean {
  try {
    return normalizeSlug(s, 'asset') === s;
  } catch {
    return false;
  }
}

/** Elements whose end tag HTML lets the author leave out, and void elements (never closed). */
const OPTIONAL_END = new Set(['html', 'head', 'body', 'p', 'li', 'dt', 'dd', 'option', 'optgroup', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'colgroup', 'caption', 'rp', 'rt', 'rb', 'rtc']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr', 'param', 'keygen']);
const HTML_NS = 'http://www.w3.org/1999/xhtml';
/** Elements the parser adds without a tag in the source, as HTML allows. */
const IMPLIED = new Set(['html', 'head', 'body', 'tbody', 'tr', 'colgroup']);

/** The source offset just before a made-up element: its previous sibling's end, else its parent's start tag's end. */
function nextOffset(el: Element): number | undefined {
  const parent = el.parentNode;
  if (!parent || !('childNodes' in parent)) return undefined;
  const i = parent.childNodes.indexOf(el);
  for (let j = i - 1; j >= 0; j--) {
    const l = parent.childNodes[j]!.sourceCodeLocation;
    if (l) return l.endOffset;
  }
  return isElement(parent) ? parent.sourceCodeLocation?.startTag?.endOffset : undefined;
}

/** Attributes that load something the page needs (missing_asset) or lead somewhere (broken_link). */
const URL_ATTRS: ReadonlyArray<{ tag: string; attr: string; kind: 'link' | 'asset' }> = [
  { tag: 'a', attr: 'href', kind: 'link' },
  { tag: 'area', attr: 'href', kind: 'link' },
  { tag: 'iframe', attr: 'src', kind: 'link' },
  { tag: 'link', attr: 'href', kind: 'asset' },
  { tag: 'script', attr: 'src', kind: 'asset' },
  { tag: 'img', attr: 'src', kind: 'asset' },
  { tag: 'source', attr: 'src', kind: 'asset' },
  { tag: 'video', attr: 'src', kind: 'asset' },
  { tag: 'video', attr: 'poster', kind: 'asset' },
  { tag: 'audio', attr: 'src', kind: 'asset' },
];

const attr = (el: Element, name: string): string | undefined => el.attrs.find((a) => a.name === name)?.value;
const isElement = (n: Node): n is Element => 'tagName' in n;

function* elements(n: Node): Generator<Element> {
  if (isElement(n)) yield n;
  const kids = 'childNodes' in n ? n.childNodes : [];
  for (const k of kids) yield* elements(k);
  if (isElement(n) && 'content' in n) yield* elements((n as DefaultTreeAdapterMap['template']).content);
}

/** Slugs a site path is served from (as src/http/site-resolve.ts tries them). */
function candidates(path: string): string[] {
  if (path === '' || path.endsWith('/')) return [`${path}index.html`];
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.includes('.') ? [path] : [path, `${path}.html`, `${path}/index.html`];
}

const INTERNAL_BASE = 'http://site.invalid/';

/** The site path a URL written on the page at `slug` points to, or undefined when it leaves the site (or only moves within the page). */
function internalPath(href: string, slug: string, siteOrigin: string): string | undefined {
  const h = href.trim();
  if (h === '' || h.startsWith('#') || h.startsWith('//')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) {
    if (!h.toLowerCase().startsWith(siteOrigin.toLowerCase())) return undefined;
    return internalPath(h.slice(siteOrigin.length) || '/', slug, '\u0000');
  }
  let u: URL;
  try {
    u = new URL(h, INTERNAL_BASE + slug);
  } catch {
    return undefined;
  }
  try {
    return decodeURIComponent(u.pathname.slice(1)).normalize('NFC');
  } catch {
    return u.pathname.slice(1);
  }
}

/** A URL the page uses on its own site: whether it resolves depends on the site, not the page (resolveChecks). */
export interface SiteRef {
  kind: 'link' | 'asset';
  /** The URL as written. */
  target: string;
  /** The site path it points to. */
  path: string;
  tag: string;
  line?: number | undefined;
}

/** One finding of analyzePage, in document order: a warning already, or a site path to look up. */
export type CheckItem = { warning: SiteWarning } | { ref: SiteRef };

/** 1-based line of a source offset: newline positions found once, then a binary search (a page with many findings stays linear). */
function lineFinder(content: string): (offset: number | undefined) => number | undefined {
  let breaks: number[] | undefined;
  return (offset) => {
    if (offset === undefined) return undefined;
    if (!breaks) {
      breaks = [];
      for (let i = content.indexOf('\n'); i !== -1; i = content.indexOf('\n', i + 1)) breaks.push(i);
    }
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/**
 * Everything about one page that does not depend on the rest of the site: `alt` on every image, a
 * `<title>` (or meta.title/seo.title, which the head gets at serve time), markup a browser would
 * repair (elements left open, stray end tags that make new elements, content a table pushes out of
 * itself), and the internal URLs it links to or loads, for resolveChecks to look up. Parsed with
 * parse5 as a browser parses it. Pure and synchronous: the check pool runs it off the event loop.
 */
export function analyzePage(slug: string, content: string, meta: Record<string, unknown>, seo: Record<string, unknown>, siteUrl: string): CheckItem[] {
  const out: CheckItem[] = [];
  const warn = (w: SiteWarning): void => void out.push({ warning: w });
  const lineOf = lineFinder(content);
  const doc = parse(content, { sourceCodeLocationInfo: true });
  const siteOrigin = siteUrl.replace(/\/$/, '');
  let title = typeof meta.title === 'string' && meta.title.trim() !== '' ? true : typeof seo.title === 'string' && seo.title.trim() !== '';
  const seen = new Set<string>();

  /** Elements the parser moved out of a table (foster parenting), reported where they are visited. */
  const moved = new Set<Node>();
  for (const el of elements(doc)) {
    const loc = el.sourceCodeLocation;
    // Foster parenting: what a table cannot hold (text or a block outside any cell) is put before
    // the table, so in the tree it precedes a table that starts earlier in the source. One pass
    // over the children from the right, remembering the nearest table after each.
    let tableAt: number | undefined;
    for (let i = el.childNodes.length - 1; i >= 0; i--) {
      const k = el.childNodes[i]!;
      const at = k.sourceCodeLocation;
      if (isElement(k) && k.tagName === 'table' && at) {
        tableAt = at.startOffset;
        continue;
      }
      if (tableAt === undefined || !at) continue;
      if (isElement(k)) {
        if (at.startOffset > tableAt) moved.add(k);
      } else if ('value' in k && k.value.trim() !== '' && at.endOffset > tableAt) {
        // Moved text joins the text before the table: its end, not its start, is inside the table.
        const text = k.value.trim();
        warn({ type: 'invalid_nesting', slug, line: lineOf(at.endOffset - 1), message: `The text "${text.length > 40 ? `…${text.slice(-40)}` : text}" is not allowed where it is written (directly inside a <table>, outside any cell): the browser moves it before the table. Put it in a cell, or before or after the table.` });
      }
    }
    // The page's <title> (an SVG's <title> names the drawing, not the page).
    if (el.tagName === 'title' && el.namespaceURI === HTML_NS && el.childNodes.some((c) => 'value' in c && c.value.trim() !== '')) title = true;
    if (el.tagName === 'img' && el.namespaceURI === HTML_NS && attr(el, 'alt') === undefined) {
      warn({ type: 'missing_alt', slug, message: `<img src="${attr(el, 'src') ?? ''}"> has no alt attribute: describe the image for people who cannot see it (alt="" for a decorative one).`, target: attr(el, 'src'), line: lineOf(loc?.startOffset) });
    }
    for (const u of URL_ATTRS) {
      if (el.tagName !== u.tag) continue;
      const v = attr(el, u.attr);
      if (v === undefined) continue;
      if (el.tagName === 'link' && !/\b(stylesheet|icon|preload|manifest|apple-touch-icon)\b/i.test(attr(el, 'rel') ?? '')) continue;
      const p = internalPath(v, slug, siteOrigin);
      if (p === undefined || seen.has(`${u.kind}|${p}`)) continue;
      seen.add(`${u.kind}|${p}`);
      out.push({ ref: { kind: u.kind, target: v, path: p, tag: el.tagName, line: lineOf(loc?.startOffset) } });
    }
    if (el.namespaceURI !== HTML_NS) continue;
    if (!loc) {
      // No source position: an element the parser made up. The implied html/head/body/tbody/tr are normal;
      // anything else comes from a stray end tag (</p> with no open <p> makes an empty paragraph, </br> a <br>).
      if (!IMPLIED.has(el.tagName)) warn({ type: 'invalid_nesting', slug, line: lineOf(nextOffset(el)), message: `A stray </${el.tagName}> (no open <${el.tagName}> at that point, e.g. after a <div> closed the <p>): the browser makes an empty <${el.tagName}> of it. Check what this end tag should close.` });
      continue;
    }
    if (!loc.startTag && loc.endTag) {
      warn({ type: 'invalid_nesting', slug, line: lineOf(loc.endTag.startOffset), message: `A stray </${el.tagName}> (no open <${el.tagName}> at that point): the browser makes an empty <${el.tagName}> of it. Check what this end tag should close.` });
    } else if (loc.startTag && !loc.endTag && !VOID.has(el.tagName) && !OPTIONAL_END.has(el.tagName) && content[loc.startTag.endOffset - 2] !== '/') {
      warn({ type: 'invalid_nesting', slug, line: lineOf(loc.startTag.startOffset), message: `<${el.tagName}> is never closed where it should be: the browser closes it itself (an end tag is missing or the nesting is wrong, e.g. a <div> inside a <p> or an <a> inside an <a>).` });
    }
    if (moved.has(el)) {
      warn({ type: 'invalid_nesting', slug, line: lineOf(loc.startOffset), message: `<${el.tagName}> is not allowed where it is written (directly inside a <table>, outside any cell): the browser moves it before the table. Put it in a cell, or before or after the table.` });
    }
  }
  if (!title) warn({ type: 'missing_title', slug, message: 'The page has no <title> (and no meta.title or seo.title): browsers show the address instead and search results look broken. Add meta.title, or a <title> in the head.' });
  const html = doc.childNodes.find(isElement);
  const head = html?.childNodes.find((n): n is Element => isElement(n) && n.tagName === 'head');
  if (head && html) {
    // Head-only elements after the head (a <meta> or <title> in the body) still work, but a <link rel=stylesheet> in the body delays rendering.
    for (const el of elements(html)) {
      if (el === head || !el.sourceCodeLocation || el.tagName !== 'title' || el.namespaceURI !== HTML_NS || el.parentNode === head) continue;
      warn({ type: 'head_problem', slug, line: lineOf(el.sourceCodeLocation.startOffset), message: '<title> is inside the body: move it into the <head>.' });
    }
  }
  if (!/^\s*(<!--[\s\S]*?-->\s*)*<!doctype html/i.test(content)) {
    warn({ type: 'head_problem', slug, line: 1, message: 'The page does not start with <!doctype html>: browsers render it in quirks mode (old, inconsistent layout rules). Add <!doctype html> as the first line.' });
  }
  return out;
}

/** The slugs the site would serve a page's internal URLs from: what resolveChecks needs to know of the site. */
export function refSlugs(items: readonly CheckItem[]): string[] {
  const out = new Set<string>();
  for (const i of items) if ('ref' in i) for (const s of candidates(i.ref.path)) out.add(s);
  return [...out];
}

/** A page's findings with its internal URLs looked up on the site: those the site serves drop out, the rest become warnings, in document order. */
export function resolveChecks(slug: string, items: readonly CheckItem[], site: SiteIndex): SiteWarning[] {
  const out: SiteWarning[] = [];
  for (const i of items) {
    if ('warning' in i) {
      out.push(i.warning);
      continue;
    }
    const { kind, target: v, path: p, tag, line } = i.ref;
    const slugs = candidates(p);
    if (slugs.some((s) => site.pages.has(s) || site.assets.has(s)) || p === 'sitemap.xml' || p === 'robots.txt') continue;
    if (slugs.some((s) => site.privateAssets.has(s))) {
      out.push({ type: 'private_asset', slug, target: v, line, message: `${v} is a private asset, which the site never serves: make it public (assets_upload with private: false and overwrite: true) or sell it through a download link.` });
    } else if (kind === 'asset') {
      out.push({ type: 'missing_asset', slug, target: v, line, message: `<${tag}> loads ${v}, which the site does not have: upload it with assets_upload at slug "${slugs[0]}", or fix the path.` });
    } else {
      out.push({ type: 'broken_link', slug, target: v, line, message: `The link to ${v} leads to a 404: create the page (pages_create with slug "${p === '' || p.endsWith('/') ? `${p}index.html` : p.includes('.') ? p : `${p}.html`}") or fix the link.` });
    }
  }
  return out;
}
