import type { AssetInfo, AssetService, AssetUploadInput } from './assets.js';
import { invalid } from './errors.js';
import { openLocalFile, type LocalFileAccess } from './local-files.js';
import type { Project } from './projects.js';

/**
 * assets_upload with `file_path` (the local operator over stdio, CONTRACT section 10): the file is
 * checked against the allowed folders, opened, and streamed into storage like an upload URL's body
 * (type by content, size, quota), never read whole into memory and never through base64.
 */
export async function uploadLocalFile(
  assets: AssetService,
  project: Project,
  input: AssetUploadInput & { file_path: string },
  access: LocalFileAccess | undefined,
): Promise<AssetInfo> {
  const others = (['content', 'content_text', 'source_url'] as const).filter((k) => input[k] !== undefined && input[k] !== null);
  if (others.length) {
    throw invalid(`Pass exactly one of content, content_text, source_url or file_path; this call also has ${others.join(' and ')}.`, { field: others[0]! });
  }
  const file = await openLocalFile(access, input.file_path);
  try {
    const { slug, alt, overwrite, private: isPrivate } = input;
    return await assets.uploadStream(project, { slug, alt, overwrite, private: isPrivate }, file.handle.createReadStream({ autoClose: false }), { declaredBytes: file.size });
  } finally {
    await file.handle.close();
  }
}
