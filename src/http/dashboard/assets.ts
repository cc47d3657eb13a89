import { Readable } from 'node:stream';
import contentDisposition from 'content-disposition';
import type { AssetInfo, AssetStreamInput } from '../../core/assets.js';
import { assetUploadItem } from '../../../schemas/assets.js';
import { parseToolInput } from '../../../tools/define.js';
import { invalid, notFound } from '../../core/errors.js';
import { normalizeSlug } from '../../core/slug.js';
import type { AppDeps } from '../context.js';
import type { DashApp } from './context.js';
import { bytes, intParam, strParam, time } from './format.js';
import { checkCsrf } from '../owner-auth.js';
import { csrfForm } from './guard.js';
import { setUserContentHeaders } from './headers.js';
import { href, html } from './html.js';
import { csrfField, dashboardPage, projectPath } from './layout.js';
import { callTool } from './tool-call.js';
import { readUploadForm } from './upload-form.js';
import type { Project } from '../../core/projects.js';

const PER_PAGE = 100;

/** What the upload form says of the file, as assets_upload's schema has it (the bytes come as a stream). */
const STREAMED_UPLOAD = assetUploadItem.pick({ slug: true, alt: true, overwrite: true, private: true });

const fileHref = (project: Project, slug: string): string => href(projectPath(project, '/asset/file'), { slug });

/** A slug from an uploaded file's name: characters a slug refuses become "-" (normalizeSlug then decides). */
export function slugFromFileName(name: string): string {
  const base = name.normalize('NFC').replace(/^.*[\\/]/, '');
  return base.replace(/[\u0000-\u0020\u007f-\u009f\u00a0\u2028\u2029\\%?#"<>|*:`^{}[\]]+/gu, '-').replace(/^[.-]+/, '') || 'file';
}

const isImage = (a: Pick<AssetInfo, 'content_type'>): boolean => a.content_type.startsWith('image/');

/**
 * Assets: the list with thumbnails, type, size and visibility; upload from the browser; delete
 * behind a confirmation page that says which download links it breaks. Uploads and deletes run
 * assets_upload and assets_delete (tool-call.ts): the same checks and the same data as the tools.
 */
export function mountAssets(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/assets', async (c) => {
    const project = c.get('project');
    const owner = c.get('owner');
    const offset = intParam(c.req.query('offset'), 0);
    const { assets, total } = await deps.core.assets.list(project, PER_PAGE, offset);
    const base = projectPath(project, '/assets');
    const done = c.req.query('done');
    const slug = strParam(c.req.query('slug'), 1000);
    const notice = done === 'uploaded' && slug ? html`Uploaded <code>${slug}</code>.` : done === 'deleted' && slug ? html`Deleted <code>${slug}</code>.` : undefined;
    const rows = assets.map(
      (a) => html`<tr><td>${isImage(a) ? html`<img class="thumb" src="${fileHref(project, a.slug)}" alt="" width="48" height="48" loading="lazy">` : ''}</td>
<td>${a.url ? html`<a href="${a.url}"><code>${a.path}</code></a>` : html`<code>${a.path}</code>`}${a.alt ? html`<br><span class="muted">${a.alt}</span>` : ''}</td>
<td>${a.content_type.split(';')[0]}</td><td class="num">${bytes(a.size_bytes)}</td><td>${a.private ? html`<span class="status status-revoked">private</span>` : html`<span class="status status-active">public</span>`}</td><td>${time(a.updated_at)}</td>
<td><a href="${href(projectPath(project, '/downloads'), { asset: a.path })}#new-link">Download link<span class="sr"> for ${a.path}</span></a> · <a href="${href(projectPath(project, '/asset/delete'), { slug: a.slug })}">Delete<span class="sr"> ${a.path}</span></a></td></tr>`,
    );
    const pager = html`<nav class="pager" aria-label="More assets">${offset > 0 ? html`<a href="${href(base, { offset: Math.max(0, offset - PER_PAGE) })}">Previous</a>` : ''}${offset + PER_PAGE < total ? html`<a href="${href(base, { offset: offset + PER_PAGE })}">Next</a>` : ''}</nav>`;
    return dashboardPage(c, deps.core.urls, {
      title: 'Assets',
      owner,
      project,
      section: 'assets',
      notice,
      body: html`<h1>Assets</h1>
<section class="card" aria-labelledby="upload"><h2 id="upload">Upload a file</h2>
<form method="post" action="${base}" enctype="multipart/form-data">${csrfField(owner)}
<label for="path">Path on the site <span class="muted">(optional)</span></label><input id="path" name="path" type="text" maxlength="255" placeholder="images/logo.png" aria-describedby="path-help">
<p id="path-help" class="muted">Empty: the file's own name, at the site's root.</p>
<fieldset><legend>Who can get it</legend>
<label class="inline"><input type="radio" name="visibility" value="public" required> Public: anyone, at its site address</label>
<label class="inline"><input type="radio" name="visibility" value="private"> Private: only through download links (files you sell)</label></fieldset>
<label for="alt">Alt text <span class="muted">(images)</span></label><input id="alt" name="alt" type="text" maxlength="1000">
<label class="inline"><input type="checkbox" name="overwrite" value="on"> Replace a file at the same path</label>
<label for="file">File</label><input id="file" name="file" type="file" required aria-describedby="file-help">
<p id="file-help" class="muted">Public: jpg, png, gif, webp, svg, pdf up to 5 MB; woff, woff2, ttf up to 2 MB; ico, json, css, js, txt, xml, html up to 1 MB. Private files may be larger (up to ${bytes(deps.core.limits.maxPrivateBytes)}) and may also be zip, epub, mp3, m4a, wav, flac, ogg, mp4, webm, mov, docx, xlsx, pptx, csv or md. The bytes must match the extension; a large file streams straight to storage.</p>
<button type="submit">Upload</button></form></section>
<h2 id="files">Files</h2><p class="muted" role="status">${total} ${total === 1 ? 'file' : 'files'}.</p>
${assets.length ? html`<div class="table-wrap"><table><caption class="sr">Assets</caption><thead><tr><th scope="col"><span class="sr">Thumbnail</span></th><th scope="col">Path</th><th scope="col">Type</th><th scope="col" class="num">Size</th><th scope="col">Visibility</th><th scope="col">Updated</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${rows}</tbody></table></div>${pager}` : ''}`,
    });
  });

  // The form streams: its fields, then the file straight into storage under the asset rules
  // (AssetService.uploadStream, as an upload URL's PUT: the type from the first bytes, the size per
  // type, the quota), so a private file for sale may be as large as SITEPUB_MAX_PRIVATE_BYTES.
  app.post('/p/:pid/assets', async (c) => {
    const project = c.get('project');
    const owner = c.get('owner');
    const asset = await readUploadForm(c.req.raw, async (form, file) => {
      checkCsrf(owner, form.csrf);
      const visibility = strParam(form.visibility);
      if (visibility !== 'public' && visibility !== 'private') throw invalid('Choose who can get the file: public or private.', { field: 'visibility' });
      const slug = strParam(form.path)?.replace(/^\/+/, '') ?? slugFromFileName(file.name);
      // The fields assets_upload would take, checked by its own schema (alt text at most 1,000 characters, the slug's rules).
      const input = parseToolInput({ input: STREAMED_UPLOAD }, { slug, private: visibility === 'private', overwrite: form.overwrite === 'on', alt: strParam(form.alt) }) as AssetStreamInput;
      return deps.core.assets.uploadStream(project, input, file.bytes);
    });
    return c.redirect(href(projectPath(project, '/assets'), { done: 'uploaded', slug: asset.slug }), 303);
  });

  // The bytes, for thumbnails (and for the owner to open): user content under a sandbox CSP, so an
  // SVG opened here runs nothing on the platform origin; anything but an image downloads.
  app.get('/p/:pid/asset/file', async (c) => {
    const project = c.get('project');
    const found = await deps.core.assets.content(project.id, normalizeSlug(c.req.query('slug') ?? '', 'asset'));
    if (!found) throw notFound('Asset');
    setUserContentHeaders(c, { framable: false });
    const image = found.row.content_type.startsWith('image/');
    const name = found.row.slug.slice(found.row.slug.lastIndexOf('/') + 1);
    // A large file (a video for sale) streams from storage rather than being read whole.
    const size = Number(found.row.size_bytes);
    const body = found.data ? new Uint8Array(found.data) : (Readable.toWeb(deps.core.assets.read(found.row, 0, size - 1)) as ReadableStream<Uint8Array>);
    return c.body(body, 200, {
      'Content-Type': found.row.content_type,
      'Content-Length': String(size),
      'Content-Disposition': contentDisposition(name, { type: image ? 'inline' : 'attachment' }),
    });
  });

  app.get('/p/:pid/asset/delete', async (c) => {
    const project = c.get('project');
    const owner = c.get('owner');
    const asset = await deps.core.assets.getInfo(project, c.req.query('slug') ?? '');
    const links = await deps.core.downloads.list(project, { asset_url: asset.path, status: 'active', limit: 10 });
    const warning = links.total
      ? html`<div class="warning" role="alert"><p><strong>${links.total} active download ${links.total === 1 ? 'link points' : 'links point'} at this file.</strong> They stop working when it is gone (no use is taken), and work again if a file is uploaded at <code>${asset.path}</code> later.</p>
<ul>${links.downloads.map((d) => html`<li><code>${d.token_prefix}…</code> ${d.filename}, ${d.use_count} of ${d.max_uses === 0 ? 'unlimited' : d.max_uses} uses${d.visitor_id ? html`, visitor <code>${d.visitor_id}</code>` : ''}</li>`)}</ul></div>`
      : html`<p>No active download link points at this file.</p>`;
    return dashboardPage(c, deps.core.urls, {
      title: `Delete ${asset.path}`,
      owner,
      project,
      section: 'assets',
      body: html`<p><a href="${projectPath(project, '/assets')}">← Assets</a></p><h1>Delete <code>${asset.path}</code>?</h1>
<dl class="facts"><dt>Type</dt><dd>${asset.content_type}</dd><dt>Size</dt><dd>${bytes(asset.size_bytes)}</dd><dt>Visibility</dt><dd>${asset.private ? 'private' : 'public'}</dd></dl>
${warning}${asset.private ? '' : html`<p>Pages that show or link to it will show a broken image or link.</p>`}
<form method="post" action="${projectPath(project, '/asset/delete')}">${csrfField(owner)}<input type="hidden" name="slug" value="${asset.slug}"><button type="submit" class="danger">Delete the file</button> <a class="button secondary" href="${projectPath(project, '/assets')}">Keep it</a></form>`,
    });
  });

  app.post('/p/:pid/asset/delete', async (c) => {
    const form = await csrfForm(c);
    const r = await callTool<{ slug: string }>(c, deps, 'assets_delete', { slug: strParam(form.slug) ?? '', force: true });
    return c.redirect(href(projectPath(c.get('project'), '/assets'), { done: 'deleted', slug: r.slug }), 303);
  });
}
