import { constants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SitepubError, invalid, notFound } from './errors.js';

/**
 * Where a local caller may read files from (CONTRACT section 10): the folders given by
 * `sitepub mcp --allow-dir DIR` and the client's MCP roots. Only the stdio edge makes one; a caller
 * without it (HTTP, REST, the dashboard) cannot name a file on the server's disk at all.
 */
export interface LocalFileAccess {
  /** Absolute folder paths, as given (symlinks are resolved here, before any check). */
  folders(): Promise<readonly string[]>;
}

/** A file opened for reading after every check passed; the caller streams it and closes it. */
export interface OpenedLocalFile {
  handle: FileHandle;
  /** The path with every symlink resolved: what was checked and opened. */
  realPath: string;
  size: number;
}

const OVER_HTTP =
  'file_path reads a file on the machine sitepub runs on, so it works only with a local sitepub started by your MCP client over stdio (sitepub mcp). ' +
  'To upload a file from elsewhere, call assets_create_upload_url and run its curl command where the file is, or pass content, content_text or source_url.';

const within = (dir: string, p: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

async function realFolders(access: LocalFileAccess): Promise<{ given: string[]; real: string[] }> {
  const given = [...(await access.folders())].filter((d) => path.isAbsolute(d)).map((d) => path.resolve(d));
  const real: string[] = [];
  for (const d of given) real.push(await realpath(d).catch(() => d));
  return { given, real };
}

const notAFile = (filePath: string): SitepubError => invalid(`${filePath} is not a regular file (a folder, device or pipe); give the path of one file.`, { field: 'file_path' });

function forbidden(filePath: string, given: readonly string[]): SitepubError {
  const where = given.length
    ? `It must be inside one of: ${given.join(', ')} (the client's MCP roots and the folders given by sitepub mcp --allow-dir), after symlinks are resolved.`
    : 'No folder is open to sitepub: start it with sitepub mcp --allow-dir DIR, or use a client that shares its MCP roots.';
  return new SitepubError('FORBIDDEN', `sitepub may not read ${filePath}. ${where} Or upload the file with assets_create_upload_url.`, { field: 'file_path', allowed_folders: given });
}

/**
 * Opens `filePath` for reading if, with every symlink resolved, it is a regular file inside one of
 * the allowed folders (themselves resolved). A path outside them is FORBIDDEN whether or not it
 * exists (nothing is told about files elsewhere); a missing file inside them is NOT_FOUND. The file
 * is opened without following a last-moment symlink and checked again through its handle.
 */
export async function openLocalFile(access: LocalFileAccess | undefined, filePath: string): Promise<OpenedLocalFile> {
  if (!access) throw new SitepubError('FORBIDDEN', OVER_HTTP, { field: 'file_path' });
  if (typeof filePath !== 'string' || filePath.includes('\0') || !path.isAbsolute(filePath)) {
    throw invalid(`file_path must be an absolute path (e.g. /home/me/course/video.mp4); got ${JSON.stringify(String(filePath).slice(0, 200))}.`, { field: 'file_path' });
  }
  const { given, real: folders } = await realFolders(access);
  const lexical = path.resolve(filePath);
  let resolved: string;
  try {
    resolved = await realpath(lexical);
  } catch {
    // NOT_FOUND only when the folder it would be in is itself, resolved, inside an allowed one: a
    // symlinked folder pointing elsewhere must not tell which files exist there.
    const parent = await realpath(path.dirname(lexical)).catch(() => undefined);
    if (parent !== undefined && folders.some((d) => within(d, parent))) throw notFound(`File ${filePath}`);
    throw forbidden(filePath, given);
  }
  if (!folders.some((d) => within(d, resolved))) throw forbidden(filePath, given);
  const before = await stat(resolved).catch(() => undefined);
  if (!before) throw notFound(`File ${filePath}`);
  // Checked before opening: opening a FIFO would wait for a writer (and hold one of libuv's threads).
  if (!before.isFile()) throw notAFile(filePath);
  let handle: FileHandle;
  try {
    handle = await open(resolved, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(`File ${filePath}`);
    throw new SitepubError('FORBIDDEN', `sitepub could not open ${filePath} (${code ?? 'error'}): check that the file is readable by the user sitepub runs as.`, { field: 'file_path' });
  }
  let st: Stats;
  try {
    st = await handle.stat();
    // What was opened is what was checked: a folder on the way swapped for a symlink between the
    // check and the open is caught here (the descriptor's own path on Linux; the file's identity elsewhere).
    const opened = await realpath(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    const same = opened !== undefined ? folders.some((d) => within(d, opened)) : st.dev === before.dev && st.ino === before.ino;
    if (!same) throw forbidden(filePath, given);
    if (!st.isFile()) throw notAFile(filePath);
  } catch (e) {
    await handle.close();
    throw e;
  }
  return { handle, realPath: resolved, size: st.size };
}

/** Folders from MCP roots: `file://` URIs only, as paths. */
export function rootFolders(roots: ReadonlyArray<{ uri: string }>): string[] {
  const out: string[] = [];
  for (const r of roots) {
    try {
      if (r.uri.startsWith('file:')) out.push(fileURLToPath(r.uri));
    } catch {
      // Not a URL: ignored (a root is a hint from the client, never a reason to fail the call).
    }
  }
  return out;
}
