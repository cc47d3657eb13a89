import * as s from '../schemas/assets.js';
import { uploadLocalFile } from '../src/core/asset-local-upload.js';
import { ADDITIVE, DESTRUCTIVE, READ, defineTool, type LinkedResource } from './define.js';

const assetLinks = (assets: Array<{ slug: string; content_type: string }>): LinkedResource[] =>
  assets.map((a) => ({ kind: 'assets', slug: a.slug, mimeType: a.content_type }));

export const ASSETS_LIST = 'assets_list';
export const ASSETS_GET = 'assets_get';
export const ASSETS_UPLOAD = 'assets_upload';
export const ASSETS_DELETE = 'assets_delete';
export const ASSETS_BULK_UPLOAD = 'assets_bulk_upload';
export const ASSETS_CREATE_UPLOAD_URL = 'assets_create_upload_url';

const TYPES =
  'Allowed: jpg, jpeg, png, gif, webp, svg, pdf (5 MB); woff, woff2, ttf (2 MB); ico, json, css, js, txt, xml, html (1 MB). ' +
  'Private files (private: true, for sale through download links) may also be zip, epub, mp3, m4a, wav, flac, ogg, mp4, webm, mov, docx, xlsx, pptx, csv, md, ' +
  'and any private file may be as large as the server allows (SITEPUB_MAX_PRIVATE_BYTES); those types are never served on the public site. ' +
  'The bytes must match the extension.';

export const assetTools = [
  defineTool({
    name: ASSETS_LIST,
    title: 'List assets',
    description:
      'Lists the files of the site (images, CSS, fonts, PDFs...) with path, public URL (null when private), type, size, sha256, private flag and alt text. Read-only.',
    toolset: 'assets',
    input: s.assetsListInput,
    output: s.assetsListOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/assets' },
    handler: ({ core, project }, a) => core.assets.list(project, a.limit, a.offset),
    links: (d) => assetLinks(d.assets),
  }),
  defineTool({
    name: ASSETS_GET,
    title: 'Get asset',
    description: 'Returns one asset with its bytes as base64 plus its metadata; an image (PNG, JPEG, GIF, WebP) also comes as an image you can look at. For large files prefer assets_list (metadata only). Read-only. Errors: NOT_FOUND; PAYLOAD_TOO_LARGE for a file over 5 MB (the error says where to get it: the site URL, or a download link for a private file).',
    toolset: 'assets',
    input: s.assetsGetInput,
    output: s.assetsGetOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/assets/:slug{.+}' },
    handler: ({ core, project }, a) => core.assets.get(project, a.slug),
    // Raster images also as an image block, which clients can show (SVG is text: it stays in content).
    media: (d) => (/^image\/(png|jpeg|gif|webp)$/.test(d.content_type.split(';')[0]!.trim()) ? [{ base64: d.content, mimeType: d.content_type.split(';')[0]!.trim() }] : []),
  }),
  defineTool({
    name: ASSETS_UPLOAD,
    title: 'Upload asset',
    description:
      'Stores a file on the site at its slug, live at once (e.g. "css/site.css" at /css/site.css). Give exactly one of: content_text for text files ' +
      '(CSS, JS, SVG, JSON: no encoding needed), content as base64 for small binaries, or source_url to have the server download it from the web. ' +
      'For a file over a few MB, or one you do not hold yourself (a video, an audio album, a big PDF or ZIP on the user\'s computer), use assets_create_upload_url instead: no base64 through you. ' +
      'When sitepub runs locally over stdio and the file is on this machine, file_path (an absolute path inside your MCP roots or a --allow-dir folder) streams it in directly. ' +
      `${TYPES} private: true keeps a file off the public site, for selling it through download links. ` +
      'Errors: ALREADY_EXISTS (pass overwrite: true to replace), UNSUPPORTED_MEDIA_TYPE (extension not allowed or bytes do not match it), PAYLOAD_TOO_LARGE, ' +
      'SOURCE_URL_BLOCKED (private or local addresses are never fetched), SOURCE_URL_FAILED (download failed: check the URL or send content), ' +
      'FORBIDDEN (file_path outside the allowed folders, or used over HTTP), NOT_FOUND (no file at file_path).',
    toolset: 'assets',
    input: s.assetsUploadInput,
    output: s.assetsUploadOutput,
    annotations: { ...ADDITIVE, openWorldHint: true },
    rest: { method: 'POST', path: '/papi/project/:project_id/assets', status: 201 },
    handler: ({ core, project, localFiles }, a) => (a.file_path !== undefined ? uploadLocalFile(core.assets, project, { ...a, file_path: a.file_path }, localFiles) : core.assets.upload(project, a)),
    links: (d) => assetLinks([d]),
  }),
  defineTool({
    name: ASSETS_DELETE,
    title: 'Delete asset',
    description:
      'Deletes a file from the site; its URL answers 404 at once. Cannot be undone. A file that active download links sell (alone or in a bundle) is not deleted: the call answers VALIDATION_ERROR with active_links; to replace such a file, upload the new one at the same slug with assets_upload instead (the links keep working), or pass force: true to delete it and revoke those links. Errors: NOT_FOUND, VALIDATION_ERROR (active_links).',
    toolset: 'assets',
    input: s.assetsDeleteInput,
    output: s.assetsDeleteOutput,
    annotations: DESTRUCTIVE,
    rest: { method: 'DELETE', path: '/papi/project/:project_id/assets/:slug{.+}' },
    handler: ({ core, project }, a) => core.assets.delete(project, a.slug, { force: a.force }),
  }),
  defineTool({
    name: ASSETS_BULK_UPLOAD,
    title: 'Upload assets in bulk',
    description:
      'Uploads up to 100 files in one call, all or nothing: if any file is refused, nothing is stored and the error names it (index). Each item as in assets_upload.',
    toolset: 'assets',
    input: s.assetsBulkUploadInput,
    output: s.assetsBulkUploadOutput,
    annotations: { ...ADDITIVE, openWorldHint: true },
    rest: { method: 'POST', path: '/papi/project/:project_id/assets/bulk', status: 201 },
    handler: ({ core, project }, a) => core.assets.bulkUpload(project, a.assets),
    links: (d) => assetLinks(d.assets),
  }),
  defineTool({
    name: ASSETS_CREATE_UPLOAD_URL,
    title: 'Create an upload URL',
    description:
      'Makes a one-time upload URL for a large file, so its bytes go from the user\'s computer straight to the site and never through you as base64. ' +
      'Use it for any file over a few MB, and for any binary you do not hold yourself: a video course, an audio album, a big PDF, ZIP or EPUB to sell (private: true). ' +
      'Returns upload_url, expires_at (15 minutes from now), max_bytes, and curl: a ready command, `curl -T FILE \'URL\'`. ' +
      'Give the curl command to the user to run in a terminal on the computer that has the file, telling them to replace FILE with the file\'s path ' +
      '(or run it yourself if you can run commands and have the file). The URL works once and needs no other credential; the upload answers the stored file\'s metadata as JSON ' +
      '(as assets_upload does) or an error. Then check the file with assets_list, and for a private file create the buyer\'s link with file-downloads_generate_token (asset_url: its path). ' +
      'The same rules as assets_upload apply, checked while the bytes stream in: the type by content, the size against max_bytes, the storage quota. ' +
      'Errors here: ALREADY_EXISTS (pass overwrite: true to replace), UNSUPPORTED_MEDIA_TYPE (extension not allowed, or a type for sale without private: true). ' +
      'Errors the upload answers: UNSUPPORTED_MEDIA_TYPE (the bytes do not match the extension), PAYLOAD_TOO_LARGE (over max_bytes or the quota), ' +
      'TOKEN_EXPIRED (make a new URL), TOKEN_EXHAUSTED (used already: make a new URL for another file). A refused upload stores nothing and the same command can be run again with the right file while the URL is valid.',
    toolset: 'assets',
    input: s.assetsCreateUploadUrlInput,
    output: s.assetsCreateUploadUrlOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: '/papi/project/:project_id/assets/upload-url', status: 201 },
    handler: ({ core, project }, a) => core.uploads.create(project, a),
  }),
];
