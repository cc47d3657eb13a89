import { parse, type DefaultTreeAdapterMap } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];
type Location = NonNullable<Element['sourceCodeLocation']>;

/** A page's stored meta and seo (JSON objects; only string values are used). */
export type Fields = Readonly<Record<string, unknown>>;

export interface ServedHead {
  /** The document as served: the stored HTML with its head completed from meta and seo. */
  html: string;
  /** seo.robots or a robots meta tag in the HTML says noindex. */
  noindex: boolean;
}

/** What goes into the head, by the tag it replaces. Exported for the tool descriptions and docs. */
export const RENDERED_HEAD_FIELDS = [
  '<title>: seo.title, else meta.title',
  '<html lang>: meta.language',
  '<meta name="description">: seo.description, else meta.description',
  '<meta name="author">: meta.author',
  '<meta name="keywords">: seo.keywords',
  '<meta name="robots">: seo.robots (noindex also sends X-Robots-Tag and leaves the page out of sitemap.xml)',
  '<link rel="canonical">: seo.canonical (a root-relative path becomes an absolute URL on the site)',
  '<meta property="og:title">: seo.og_title, else the title',
  '<meta property="og:description">: seo.og_description, else the description',
  '<meta property="og:image">: seo.og_image (a root-relative path becomes an absolute URL)',
  '<meta property="og:url">: seo.canonical',
] as const;

interface Edit {
  at: number;
  end: number;
  text: string;
}

const str = (o: Fields, k: string): string | undefined => {
  const v = o[k];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s: string): string => escText(s).replace(/"/g, '&quot;');

/** A root-relative path made absolute on the site; anything else as given. */
function absolute(siteUrl: string, v: string): string {
  return v.startsWith('/') && !v.startsWith('//') ? `${siteUrl.replace(/\/$/, '')}${v}` : v;
}

/** The head tags meta and seo ask for, keyed by what identifies the tag they replace. */
function wantedTags(meta: Fields, seo: Fields, siteUrl: string): Map<string, string> {
  const title = str(seo, 'title') ?? str(meta, 'title');
  const description = str(seo, 'description') ?? str(meta, 'description');
  const canonical = str(seo, 'canonical');
  const out = new Map<string, string>();
  const named = (k: string, v: string | undefined): void => {
    if (v !== undefined) out.set(`name:${k}`, `<meta name="${k}" content="${escAttr(v)}">`);
  };
  const og = (k: string, v: string | undefined): void => {
    if (v !== undefined) out.set(`property:og:${k}`, `<meta property="og:${k}" content="${escAttr(v)}">`);
  };
  if (title !== undefined) out.set('title', `<title>${escText(title)}</title>`);
  named('description', description);
  named('author', str(meta, 'author'));
  named('keywords', str(seo, 'keywords'));
  named('robots', str(seo, 'robots'));
  if (canonical !== undefined) out.set('canonical', `<link rel="canonical" href="${escAttr(absolute(siteUrl, canonical))}">`);
  og('title', str(seo, 'og_title') ?? title);
  og('description', str(seo, 'og_description') ?? description);
  const image = str(seo, 'og_image');
  og('image', image === undefined ? undefined : absolute(siteUrl, image));
  og('url', canonical === undefined ? undefined : absolute(siteUrl, canonical));
  return out;
}

const attr = (el: Element, name: string): string | undefined => el.attrs.find((a) => a.name === name)?.value;

/** The key of wantedTags a head element would be replaced by, if any. */
function keyOf(el: Element): string | undefined {
  if (el.tagName === 'title') return 'title';
  if (el.tagName === 'meta') {
    const name = attr(el, 'name')?.toLowerCase();
    if (name) return `name:${name}`;
    const prop = attr(el, 'property')?.toLowerCase();
    if (prop) return `property:${prop}`;
  }
  if (el.tagName === 'link' && attr(el, 'rel')?.toLowerCase().split(/\s+/).includes('canonical')) return 'canonical';
  if (el.tagName === 'base') return 'base-own';
  return undefined;
}

const isElement = (n: Node): n is Element => 'tagName' in n;

export function isNoindex(robots: string | undefined): boolean {
  return robots !== undefined && /\b(noindex|none)\b/i.test(robots);
}

/**
 * The HTML as served: the stored document with `<title>`, `<html lang>`, description, author,
 * keywords, robots, canonical and Open Graph tags inserted (or replaced, first one kept in place,
 * later duplicates removed) from the page's meta and seo. The document is parsed as a browser
 * would (parse5, with source locations) and only the head's tags are spliced: everything else is
 * served byte for byte as written. Runs once per cached entry, never per request.
 */
export function renderHead(content: string, meta: Fields, seo: Fields, siteUrl: string, opts: { forceNoindex?: boolean; baseHref?: string } = {}): ServedHead {
  const wanted = wantedTags(meta, seo, siteUrl);
  if (opts.forceNoindex) wanted.set('name:robots', '<meta name="robots" content="noindex, nofollow">');
  // A page shown at another address (a preview) keeps its relative links pointing where they do on the site; a <base> the page has wins.
  if (opts.baseHref !== undefined) wanted.set('base', `<base href="${escAttr(opts.baseHref)}">`);
  const lang = str(meta, 'language');
  const doc = parse(content, { sourceCodeLocationInfo: true });
  const html = doc.childNodes.find(isElement);
  const head = html?.childNodes.find((n): n is Element => isElement(n) && n.tagName === 'head');
  let noindex = isNoindex(str(seo, 'robots')) || opts.forceNoindex === true;
  const edits: Edit[] = [];
  const done = new Set<string>();

  if (head?.childNodes.some((n) => isElement(n) && n.tagName === 'base')) wanted.delete('base');
  for (const el of head?.childNodes.filter(isElement) ?? []) {
    const key = keyOf(el);
    if (key === 'name:robots' && isNoindex(attr(el, 'content')) && !wanted.has(key)) noindex = true;
    const loc = el.sourceCodeLocation;
    if (!key || !wanted.has(key) || !loc) continue;
    edits.push({ at: loc.startOffset, end: loc.endOffset, text: done.has(key) ? '' : wanted.get(key)! });
    done.add(key);
  }

  const missing = [...wanted].filter(([k]) => !done.has(k)).map(([, t]) => t);
  const doctypeEnd = doc.childNodes.find((n) => n.nodeName === '#documentType')?.sourceCodeLocation?.endOffset ?? 0;
  const htmlStart: Location['startTag'] | undefined = html?.sourceCodeLocation?.startTag;
  if (lang !== undefined) {
    const langAttr = html?.sourceCodeLocation?.attrs?.lang;
    if (langAttr) edits.push({ at: langAttr.startOffset, end: langAttr.endOffset, text: `lang="${escAttr(lang)}"` });
    else if (htmlStart) {
      const close = content[htmlStart.endOffset - 2] === '/' ? htmlStart.endOffset - 2 : htmlStart.endOffset - 1;
      edits.push({ at: close, end: close, text: ` lang="${escAttr(lang)}"` });
    } else edits.push({ at: doctypeEnd, end: doctypeEnd, text: `<html lang="${escAttr(lang)}">` });
  }
  if (missing.length > 0) {
    const at = insertionPoint(head, htmlStart, doctypeEnd);
    edits.push({ at, end: at, text: missing.join('') });
  }
  if (edits.length === 0) return { html: content, noindex };
  // Applied from the end so earlier offsets stay valid; at one offset, a replaced range first (so an
  // insertion there lands before it), then insertions in reverse order (so they read in the order pushed).
  const ordered = edits.map((e, i) => ({ ...e, i })).sort((a, b) => b.at - a.at || b.end - b.at - (a.end - a.at) || b.i - a.i);
  let out = content;
  for (const e of ordered) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return { html: out, noindex };
}

/** Where missing head tags go: after `<meta charset>` (which stays first), inside an explicit `<head>`, else before the head's first tag, else after `<html>` or the doctype. */
function insertionPoint(head: Element | undefined, htmlStart: Location['startTag'] | undefined, doctypeEnd: number): number {
  const charset = head?.childNodes.find((n): n is Element => isElement(n) && n.tagName === 'meta' && attr(n, 'charset') !== undefined)?.sourceCodeLocation;
  if (charset) return charset.endOffset;
  const headStart = head?.sourceCodeLocation?.startTag;
  if (headStart) return headStart.endOffset;
  const first = head?.childNodes.find((n) => n.sourceCodeLocation)?.sourceCodeLocation;
  if (first) return first.startOffset;
  if (htmlStart) return htmlStart.endOffset;
  return doctypeEnd;
}
