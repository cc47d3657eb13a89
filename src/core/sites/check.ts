import type { Kysely } from 'kysely';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import type { Database } from '../../db/schema.js';

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

/**
 * Checks one page as it will be served: internal links and the files it loads exist on the site,
 * a `<title>` (or meta.title/seo.title, which the head gets at serve time), `alt` on every image,
 * and markup a browser would repair (elements left open, stray end tags that make new elements,
 * content a table pushes out of itself). Parsed with parse5 as a browser parses it.
 */
export function checkPage(slug: string, content: string, meta: Record<string, unknown>, seo: Record<string, unknown>, site: SiteIndex, siteUrl: string): SiteWarning[] {
  const out: SiteWarning[] = [];
  const lineOf = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : content.slice(0, offset).split('\n').length);
  const doc = parse(content, { sourceCodeLocationInfo: true });
  const siteOrigin = siteUrl.replace(/\/$/, '');
  let title = typeof meta.title === 'string' && meta.title.trim() !== '' ? true : typeof seo.title === 'string' && seo.title.trim() !== '';
  const seen = new Set<string>();

  for (const el of elements(doc)) {
    const loc = el.sourceCodeLocation;
    if (el.tagName === 'title' && el.childNodes.some((c) => 'value' in c && c.value.trim() !== '')) title = true;
    if (el.tagName === 'img' && el.namespaceURI === HTML_NS && attr(el, 'alt') === undefined) {
      out.push({ type: 'missing_alt', slug, message: `<img src="${attr(el, 'src') ?? ''}"> has no alt attribute: describe the image for people who cannot see it (alt="" for a decorative one).`, target: attr(el, 'src'), line: lineOf(loc?.startOffset) });
    }
    for (const u of URL_ATTRS) {
      if (el.tagName !== u.tag) continue;
      const v = attr(el, u.attr);
      if (v === undefined) continue;
      if (el.tagName === 'link' && !/\b(stylesheet|icon|preload|manifest|apple-touch-icon)\b/i.test(attr(el, 'rel') ?? '')) continue;
      const p = internalPath(v, slug, siteOrigin);
      if (p === undefined || seen.has(`${u.kind}|${p}`)) continue;
      seen.add(`${u.kind}|${p}`);
      const slugs = candidates(p);
      if (slugs.some((s) => site.pages.has(s) || site.assets.has(s)) || p === 'sitemap.xml' || p === 'robots.txt') continue;
      const line = lineOf(loc?.startOffset);
      if (slugs.some((s) => site.privateAssets.has(s))) {
        out.push({ type: 'private_asset', slug, target: v, line, message: `${v} is a private asset, which the site never serves: make it public (assets_upload with private: false and overwrite: true) or sell it through a download link.` });
      } else if (u.kind === 'asset') {
        out.push({ type: 'missing_asset', slug, target: v, line, message: `<${el.tagName}> loads ${v}, which the site does not have: upload it with assets_upload at slug "${slugs[0]}", or fix the path.` });
      } else {
        out.push({ type: 'broken_link', slug, target: v, line, message: `The link to ${v} leads to a 404: create the page (pages_create with slug "${p === '' || p.endsWith('/') ? `${p}index.html` : p.includes('.') ? p : `${p}.html`}") or fix the link.` });
      }
    }
    if (el.namespaceURI !== HTML_NS) continue;
    if (!loc) {
      // No source position: an element the parser made up. The implied html/head/body/tbody/tr are normal;
      // anything else comes from a stray end tag (</p> with no open <p> makes an empty paragraph, </br> a <br>).
      if (!IMPLIED.has(el.tagName)) out.push({ type: 'invalid_nesting', slug, line: lineOf(nextOffset(el)), message: `A stray </${el.tagName}> (no open <${el.tagName}> at that point, e.g. after a <div> closed the <p>): the browser makes an empty <${el.tagName}> of it. Check what this end tag should close.` });
      continue;
    }
    if (!loc.startTag && loc.endTag) {
      out.push({ type: 'invalid_nesting', slug, line: lineOf(loc.endTag.startOffset), message: `A stray </${el.tagName}> (no open <${el.tagName}> at that point): the browser makes an empty <${el.tagName}> of it. Check what this end tag should close.` });
    } else if (loc.startTag && !loc.endTag && !VOID.has(el.tagName) && !OPTIONAL_END.has(el.tagName) && content[loc.startTag.endOffset - 2] !== '/') {
      out.push({ type: 'invalid_nesting', slug, line: lineOf(loc.startTag.startOffset), message: `<${el.tagName}> is never closed where it should be: the browser closes it itself (an end tag is missing or the nesting is wrong, e.g. a <div> inside a <p> or an <a> inside an <a>).` });
    }
    const parentLoc = el.parentNode && isElement(el.parentNode) ? el.parentNode.sourceCodeLocation : undefined;
    if (parentLoc?.startTag && loc.startTag && loc.startOffset < parentLoc.startOffset) {
      out.push({ type: 'invalid_nesting', slug, line: lineOf(loc.startOffset), message: `<${el.tagName}> is not allowed where it is written (e.g. text or a block directly inside a <table>): the browser moves it before its container.` });
    }
  }
  if (!title) out.push({ type: 'missing_title', slug, message: 'The page has no <title> (and no meta.title or seo.title): browsers show the address instead and search results look broken. Add meta.title, or a <title> in the head.' });
  const html = doc.childNodes.find(isElement);
  const head = html?.childNodes.find((n): n is Element => isElement(n) && n.tagName === 'head');
  if (head && html) {
    // Head-only elements after the head (a <meta> or <title> in the body) still work, but a <link rel=stylesheet> in the body delays rendering.
    for (const el of elements(html)) {
      if (el === head || !el.sourceCodeLocation || el.tagName !== 'title' || el.parentNode === head) continue;
      out.push({ type: 'head_problem', slug, line: lineOf(el.sourceCodeLocation.startOffset), message: '<title> is inside the body: move it into the <head>.' });
    }
  }
  if (!/^\s*(<!--[\s\S]*?-->\s*)*<!doctype html/i.test(content)) {
    out.push({ type: 'head_problem', slug, line: 1, message: 'The page does not start with <!doctype html>: browsers render it in quirks mode (old, inconsistent layout rules). Add <!doctype html> as the first line.' });
  }
  return out;
}
