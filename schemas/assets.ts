import * as z from 'zod';
import { assetSlug, isoTime, limit, offset, projectId } from './common.js';

export const assetInfo = z.object({
  slug: z.string(),
  path: z.string().describe('Root-relative path, e.g. "/files/ebook.pdf"; use it as asset_url for download tokens'),
  url: z.string().nullable().describe('Public URL on the site; null for a private asset'),
  content_type: z.string(),
  size_bytes: z.number().int(),
  sha256: z.string(),
  private: z.boolean(),
  alt: z.string().nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});

export const assetUploadItem = z.strictObject({
  slug: assetSlug,
  content: z.string().optional().describe('File bytes, base64 (a data: URL prefix is accepted). Best for small binary files.'),
  content_text: z.string().optional().describe('File content as text, for text files: svg, css, js, json, txt, xml, html. No base64 needed.'),
  source_url: z.string().max(2048).optional().describe('Public http(s) URL the server downloads the file from. Best for large files.'),
  alt: z.string().max(1000).optional().describe('Alt text for images.'),
  overwrite: z.boolean().optional().describe('Replace an existing asset at this slug (default false). Keeps its private flag and alt text unless given.'),
  private: z.boolean().optional().describe('Keep the file off the public site; it can then only be fetched through download links (file-downloads_generate_token).'),
});

export const assetsListInput = z.strictObject({ project_id: projectId, limit: limit(100, 1000), offset });
export const assetsListOutput = z.object({ assets: z.array(assetInfo), total: z.number().int() });

export const assetsGetInput = z.strictObject({ project_id: projectId, slug: assetSlug });
export const assetsGetOutput = assetInfo.extend({ content: z.string().describe('File bytes, base64') });

export const assetsUploadInput = assetUploadItem.extend({
  project_id: projectId,
  file_path: z
    .string()
    .max(4096)
    .optional()
    .describe(
      'Only with a local sitepub started by your client over stdio (sitepub mcp): the absolute path of a file on this machine, inside your MCP roots or a folder given by sitepub mcp --allow-dir. The file is streamed in, any size up to the limit, no base64. Elsewhere it is refused with FORBIDDEN.',
    ),
});
export const assetsUploadOutput = assetInfo;

export const assetsDeleteInput = z.strictObject({
  project_id: projectId,
  slug: assetSlug,
  force: z
    .boolean()
    .optional()
    .describe('Delete even though active download links sell this file (alone or in a bundle); those links are revoked. Without it such a delete is refused with the count of links.'),
});
export const assetsDeleteOutput = z.object({ slug: z.string(), deleted: z.literal(true) });

export const assetsBulkUploadInput = z.strictObject({
  project_id: projectId,
  assets: z.array(assetUploadItem).min(1).max(100).describe('Assets to upload (at most 100). All are stored, or none.'),
});
export const assetsBulkUploadOutput = z.object({ assets: z.array(assetInfo), uploaded: z.number().int() });

export const assetsCreateUploadUrlInput = z.strictObject({
  project_id: projectId,
  slug: assetSlug,
  private: assetUploadItem.shape.private,
  alt: assetUploadItem.shape.alt,
  overwrite: assetUploadItem.shape.overwrite,
});
export const assetsCreateUploadUrlOutput = z.object({
  upload_url: z.string().describe('One-time URL: a PUT of the raw file bytes to it stores the file. Works once, for 15 minutes, with no other credential.'),
  method: z.literal('PUT'),
  expires_at: isoTime.describe('Until when the upload can be started (15 minutes from now).'),
  max_bytes: z.number().int().describe('The most bytes this file may have (its type and visibility decide).'),
  curl: z.string().describe('A ready command: replace FILE with the path of the file on the computer that has it, and run it there.'),
});
