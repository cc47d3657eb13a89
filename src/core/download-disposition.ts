/**
 * Content types a browser could run script from if it rendered them on the platform's origin
 * (HTML, SVG, XML, JavaScript, JSON), by prefix of the asset's content type. A download link
 * serves these as an attachment under a sandboxing CSP, whatever its token asked for; the link's
 * generator answers the same, so the model is told what will happen. The one list: the HTTP
 * layer imports it.
 */
export const ACTIVE_CONTENT_TYPES: readonly string[] = Object.freeze(['text/html', 'image/svg', 'application/xml', 'text/xml', 'text/javascript', 'application/json']);

const ACTIVE = new RegExp(`^(${ACTIVE_CONTENT_TYPES.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);

export type Disposition = 'attachment' | 'inline';

export const isActiveContentType = (contentType: string): boolean => ACTIVE.test(contentType);

/** The Content-Disposition a file of this type is served with when its token asks for `asked`. */
export const servedDisposition = (contentType: string, asked: Disposition): Disposition => (isActiveContentType(contentType) ? 'attachment' : asked);
