import { SitepubError, invalid } from './errors.js';
import { extensionOf } from './slug.js';

export interface AssetKind {
  ext: string;
  contentType: string;
  maxBytes: number;
  text: boolean;
  category: 'image' | 'document' | 'font' | 'other' | 'text' | 'archive' | 'audio' | 'video';
  /**
   * A type for sale only (CONTRACT section 10): stored private and reachable through download links,
   * never served on the public site. Its only limit is SITEPUB_MAX_PRIVATE_BYTES.
   */
  privateOnly: boolean;
}

const MB = 1024 * 1024;
const kind = (ext: string, contentType: string, maxBytes: number, text: boolean, category: AssetKind['category']): AssetKind => ({ ext, contentType, maxBytes, text, category, privateOnly: false });
/** A sellable type: private only, so its public limit is 0 (the private limit is the server's). */
const sellable = (ext: string, contentType: string, text: boolean, category: AssetKind['category']): AssetKind => ({ ext, contentType, maxBytes: 0, text, category, privateOnly: true });

/** Default of SITEPUB_MAX_PRIVATE_BYTES, the contract's (files are stored in chunks and streamed; docs/configuration.md). */
export const DEFAULT_MAX_PRIVATE_BYTES = 500 * 1024 * 1024;

/** assets_get answers bytes as base64 up to this size (every public type fits); above it, a link. */
export const ASSET_GET_MAX_BYTES = 5 * 1024 * 1024;

/** The allowed asset types, keyed by extension (docs/tools.md, assets_upload). */
export const ASSET_KINDS: Readonly<Record<string, AssetKind>> = Object.freeze({
  jpg: kind('jpg', 'image/jpeg', 5 * MB, false, 'image'),
  jpeg: kind('jpeg', 'image/jpeg', 5 * MB, false, 'image'),
  png: kind('png', 'image/png', 5 * MB, false, 'image'),
  gif: kind('gif', 'image/gif', 5 * MB, false, 'image'),
  webp: kind('webp', 'image/webp', 5 * MB, false, 'image'),
  svg: kind('svg', 'image/svg+xml', 5 * MB, true, 'image'),
  pdf: kind('pdf', 'application/pdf', 5 * MB, false, 'document'),
  woff: kind('woff', 'font/woff', 2 * MB, false, 'font'),
  woff2: kind('woff2', 'font/woff2', 2 * MB, false, 'font'),
  ttf: kind('ttf', 'font/ttf', 2 * MB, false, 'font'),
  ico: kind('ico', 'image/x-icon', 1 * MB, false, 'other'),
  json: kind('json', 'application/json; charset=utf-8', 1 * MB, true, 'other'),
  css: kind('css', 'text/css; charset=utf-8', 1 * MB, true, 'text'),
  js: kind('js', 'text/javascript; charset=utf-8', 1 * MB, true, 'text'),
  txt: kind('txt', 'text/plain; charset=utf-8', 1 * MB, true, 'text'),
  xml: kind('xml', 'application/xml; charset=utf-8', 1 * MB, true, 'text'),
  html: kind('html', 'text/html; charset=utf-8', 1 * MB, true, 'text'),
  // Files for sale (private only): ebooks, bundles, audio, video, office templates, data.
  zip: sellable('zip', 'application/zip', false, 'archive'),
  epub: sellable('epub', 'application/epub+zip', false, 'document'),
  mp3: sellable('mp3', 'audio/mpeg', false, 'audio'),
  m4a: sellable('m4a', 'audio/mp4', false, 'audio'),
  wav: sellable('wav', 'audio/wav', false, 'audio'),
  flac: sellable('flac', 'audio/flac', false, 'audio'),
  ogg: sellable('ogg', 'audio/ogg', false, 'audio'),
  mp4: sellable('mp4', 'video/mp4', false, 'video'),
  webm: sellable('webm', 'video/webm', false, 'video'),
  mov: sellable('mov', 'video/quicktime', false, 'video'),
  docx: sellable('docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', false, 'document'),
  xlsx: sellable('xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', false, 'document'),
  pptx: sellable('pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation', false, 'document'),
  csv: sellable('csv', 'text/csv; charset=utf-8', true, 'text'),
  md: sellable('md', 'text/markdown; charset=utf-8', true, 'text'),
});

/** Extensions a public asset may have (the web-safe list of CONTRACT section 5). */
export const PUBLIC_EXTENSIONS: readonly string[] = Object.values(ASSET_KINDS).filter((k) => !k.privateOnly).map((k) => k.ext);
/** Extensions only a private asset (a file for sale) may have. */
export const PRIVATE_ONLY_EXTENSIONS: readonly string[] = Object.values(ASSET_KINDS).filter((k) => k.privateOnly).map((k) => k.ext);

/**
 * The most bytes an asset of this kind may have: the type's web limit when public, the server's
 * SITEPUB_MAX_PRIVATE_BYTES when private (a PDF for sale may be larger than one on the site).
 */
export function assetLimit(k: AssetKind, isPrivate: boolean, maxPrivateBytes: number): number {
  return isPrivate ? maxPrivateBytes : k.maxBytes;
}

/** A sellable type stored public: refused, with what to do instead. */
export function assertVisibility(k: AssetKind, isPrivate: boolean): void {
  if (k.privateOnly && !isPrivate) {
    throw new SitepubError(
      'UNSUPPORTED_MEDIA_TYPE',
      `.${k.ext} files are for sale only: store them with private: true and sell them through download links (file-downloads_generate_token). The public site serves only ${PUBLIC_EXTENSIONS.join(', ')}.`,
      { field: 'private', private_only: PRIVATE_ONLY_EXTENSIONS },
    );
  }
}

export const ALLOWED_EXTENSIONS: readonly string[] = Object.keys(ASSET_KINDS);

/** What file-type must report for each binary extension. */
const DETECTED: Record<string, readonly string[]> = {
  jpg: ['jpg'],
  jpeg: ['jpg'],
  png: ['png'],
  gif: ['gif'],
  webp: ['webp'],
  pdf: ['pdf'],
  woff: ['woff'],
  woff2: ['woff2'],
  ttf: ['ttf'],
  ico: ['ico'],
  // A ZIP may hold anything, including what file-type names by its first entries (an EPUB or an
  // Office file zipped as such); the office and epub types accept a plain ZIP signature too, as
  // file-type only names them when their marker entries come first.
  zip: ['zip', 'epub', 'docx', 'xlsx', 'pptx', 'jar', 'apk', 'odt', 'ods', 'odp', 'xpi', '3mf', 'kmz', 'vsdx', 'ipa'],
  epub: ['epub', 'zip'],
  docx: ['docx', 'zip'],
  xlsx: ['xlsx', 'zip'],
  pptx: ['pptx', 'zip'],
  mp3: ['mp3'],
  m4a: ['m4a', 'mp4', 'm4b'],
  wav: ['wav'],
  flac: ['flac'],
  ogg: ['ogg', 'oga', 'opus', 'ogv', 'spx'],
  mp4: ['mp4', 'm4v', 'm4a'],
  webm: ['webm'],
  mov: ['mov', 'mp4', 'qt'],
};

export function assetKindForSlug(slug: string): AssetKind {
  const ext = extensionOf(slug);
  const k = ASSET_KINDS[ext];
  if (!k) {
    throw new SitepubError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${ext ? `".${ext}" files are` : 'A file without an extension is'} not allowed. Allowed extensions: ${PUBLIC_EXTENSIONS.join(', ')}; private files (for sale) may also be ${PRIVATE_ONLY_EXTENSIONS.join(', ')}.`,
      { field: 'slug', allowed: ALLOWED_EXTENSIONS },
    );
  }
  return k;
}

const mb = (n: number): string => `${Math.round((n / MB) * 10) / 10} MB`;

/** `atLeast`: the size is what arrived before the upload was stopped, not the file's whole size. */
function tooLarge(k: AssetKind, size: number, max: number, atLeast = false): SitepubError {
  const hint = max === k.maxBytes && !k.privateOnly ? ' A private file (private: true, for sale through download links) may be larger.' : '';
  const is = atLeast ? `is over ${mb(max)} (the upload was stopped there; nothing was stored)` : `is ${mb(size)}`;
  return new SitepubError('PAYLOAD_TOO_LARGE', `The file ${is}; .${k.ext} files may be at most ${mb(max)}.${hint}`, { ...(atLeast ? {} : { size_bytes: size }), max_bytes: max });
}

export { tooLarge as assetTooLarge };

function mismatch(k: AssetKind, looksLike: string, suggestion?: string): SitepubError {
  return new SitepubError(
    'UNSUPPORTED_MEDIA_TYPE',
    `The bytes are ${looksLike}, but the slug ends in .${k.ext}.${suggestion ? ` ${suggestion}` : ''} Files are checked by content, not by name.`,
    { field: 'slug' },
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Space as the regex class \s defines it: the prolog check used \s before it was a scanner, and still accepts the same. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** Whether s has `word` at i, ignoring the case of ASCII letters only (as the /i regex did). */
function startsWithAsciiCi(s: string, word: string, i: number): boolean {
  if (i + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) {
    const a = s.charCodeAt(i + k);
    const b = word.charCodeAt(k);
    if (a !== b && !((a | 0x20) === b && b >= 0x61 && b <= 0x7a)) return false;
  }
  return true;
}

/**
 * Where a DOCTYPE starting at i ends, or -1 if it does not. It ends at the first ">", unless a "["
 * comes first: then its internal subset ends at the first "]" followed by optional space and ">".
 * Nothing is scanned past the end that is found (a page of DOCTYPEs stays linear), and the space
 * after one "]" ends before the next "]" is looked for.
 */
function doctypeEnd(s: string, i: number): number {
  let j = i + '<!DOCTYPE'.length;
  while (j < s.length && s.charCodeAt(j) !== 0x3e && s.charCodeAt(j) !== 0x5b) j++;
  if (j === s.length) return -1;
  if (s.charCodeAt(j) === 0x3e) return j + 1;
  for (let close = s.indexOf(']', j + 1); close >= 0; close = s.indexOf(']', close + 1)) {
    const after = skipSpace(s, close + 1);
    if (s.charCodeAt(after) === 0x3e) return after + 1;
  }
  return -1;
}

/**
 * Where the root element starts: past a BOM, space, XML declarations, comments and a DOCTYPE with
 * its internal subset. A forward scan, linear in the text (a construct that does not end stops it):
 * the regexes it replaces backtracked quadratically ("<!DOCTYPE" and 320 K spaces took 32 s).
 */
function prologEnd(s: string): number {
  let i = 0;
  for (;;) {
    const start = i;
    i = skipSpace(s, i);
    if (s.startsWith('<?xml', i)) {
      const end = s.indexOf('?>', i + 5);
      if (end >= 0) i = end + 2;
    } else if (s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i + 4);
      if (end >= 0) i = end + 3;
    } else if (startsWithAsciiCi(s, '<!doctype', i)) {
      const end = doctypeEnd(s, i);
      if (end >= 0) i = end;
    }
    if (i === start) return i;
  }
}

function hasSvgRoot(text: string): boolean {
  const i = prologEnd(text);
  if (!text.startsWith('<svg', i)) return false;
  const c = text.charCodeAt(i + 4);
  return c === 0x3e || c === 0x2f || isSpace(c);
}

/** The bytes' signature against the extension: a binary type must be recognised as itself, a text type as no binary format. */
async function checkSignature(k: AssetKind, bytes: Uint8Array): Promise<void> {
  const { fileTypeFromBuffer } = await import('file-type');
  const detected = await fileTypeFromBuffer(bytes);
  if (!k.text) {
    const want = DETECTED[k.ext] ?? [];
    if (detected && want.includes(detected.ext)) return;
    if (detected) {
      const alt = DETECTED[detected.ext] ? detected.ext : Object.entries(DETECTED).find(([, v]) => v.includes(detected.ext))?.[0];
      throw mismatch(k, `a ${detected.ext.toUpperCase()} file (${detected.mime})`, alt ? `Rename it to .${alt}.` : 'That type is not allowed.');
    }
    throw mismatch(k, 'not a recognisable ' + k.ext.toUpperCase() + ' file', 'Check that you sent the real file (base64 of its bytes).');
  }
  if (detected && detected.ext !== 'xml') throw mismatch(k, `a binary ${detected.ext.toUpperCase()} file (${detected.mime})`);
}

/**
 * The structure a text type needs, on its decoded text: an <svg> root, JSON, XML's "<". `whole`
 * false: `text` is only the beginning of a file too large to hold (JSON is then only checked to
 * open as JSON does; it is not parsed).
 */
function checkTextShape(k: AssetKind, text: string, whole: boolean): void {
  if (k.ext === 'svg') {
    if (!hasSvgRoot(text)) throw mismatch(k, 'text whose root element is not <svg>', 'An SVG must start with an <svg> element.');
  } else if (k.ext === 'json') {
    if (!whole) {
      if (!/^[[{"]/.test(text.replace(/^\uFEFF/, '').trimStart())) throw mismatch(k, 'text that does not start as JSON does', 'JSON starts with "{" or "[".');
      return;
    }
    try {
      JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw mismatch(k, `not valid JSON (${(e as Error).message})`);
    }
  } else if (k.ext === 'xml') {
    if (!text.replace(/^\uFEFF/, '').trimStart().startsWith('<')) throw mismatch(k, 'text that is not XML', 'An XML file must start with "<".');
  }
}

/** Bytes that are not valid UTF-8 text, or hold a NUL byte. */
export const notUtf8 = (k: AssetKind): SitepubError => mismatch(k, 'not valid UTF-8 text');
export const hasNul = (k: AssetKind): SitepubError => mismatch(k, 'binary data (it contains NUL bytes)');

/**
 * Checks the bytes against the extension and returns the Content-Type to serve. Binary formats are
 * recognised by their magic numbers; text formats must be valid UTF-8 with no binary signature.
 */
export async function verifyAssetBytes(k: AssetKind, bytes: Uint8Array, maxBytes: number = k.maxBytes): Promise<string> {
  if (bytes.byteLength > maxBytes) throw tooLarge(k, bytes.byteLength, maxBytes);
  if (bytes.byteLength === 0) throw invalid('The file is empty.', { field: 'content' });
  await checkSignature(k, bytes);
  if (!k.text) return k.contentType;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw notUtf8(k);
  }
  if (text.includes('\u0000')) throw hasNul(k);
  checkTextShape(k, text, true);
  return k.contentType;
}

/**
 * Checks the beginning of a file too large to hold whole (asset-stream-check.ts): its signature,
 * and for a text type the shape its decoded beginning `text` must have. UTF-8 validity and NUL
 * bytes are checked over the whole stream by the caller.
 */
export async function verifyAssetHead(k: AssetKind, head: Uint8Array, text: string): Promise<void> {
  await checkSignature(k, head);
  if (k.text) checkTextShape(k, text, false);
}

/** Where large files go instead of base64 (CONTRACT section 10). */
export const UPLOAD_URL_HINT = ' Large files do not go through base64: assets_create_upload_url gives a one-time URL and a ready curl command that sends the file itself (or use source_url for a file on the web).';

const B64_BODY = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes base64 strictly: an optional data: URL prefix and whitespace are accepted, anything else
 * is refused (Node's decoder would silently skip it), and the size is checked before decoding.
 */
export function decodeBase64Strict(b64: string, maxBytes: number, k?: AssetKind): Buffer {
  let s = b64;
  const comma = s.startsWith('data:') ? s.indexOf(',') : -1;
  if (comma >= 0) {
    if (!/;base64$/i.test(s.slice(0, comma))) throw invalid('A data: URL in content must be base64 encoded (";base64,").', { field: 'content' });
    s = s.slice(comma + 1);
  }
  s = s.replace(/[\t\n\f\r ]+/g, '');
  if (s.length === 0) throw invalid('content is empty.', { field: 'content' });
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const decodedLength = Math.floor((s.length * 3) / 4) - padding;
  if (decodedLength > maxBytes) {
    if (k) {
      const e = tooLarge(k, decodedLength, maxBytes);
      throw new SitepubError(e.type, `${e.message}${UPLOAD_URL_HINT}`, { ...e.details, use_tool: 'assets_create_upload_url' });
    }
    throw new SitepubError('PAYLOAD_TOO_LARGE', `The file is about ${mb(decodedLength)}; the limit for this type is ${mb(maxBytes)}.${UPLOAD_URL_HINT}`, {
      max_bytes: maxBytes,
      use_tool: 'assets_create_upload_url',
    });
  }
  if (!B64_BODY.test(s) || s.length % 4 === 1) {
    throw invalid('content is not valid base64. Send the file bytes base64-encoded, or use content_text for text files.', { field: 'content' });
  }
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
