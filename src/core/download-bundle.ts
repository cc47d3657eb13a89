import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import yazl from 'yazl';

/** How many files one bundle link may serve. */
export const BUNDLE_MIN = 2;
export const BUNDLE_MAX = 50;

/** One file of a bundle's ZIP: its name in the archive, its exact size, and its bytes (or a stream of them) when the archive reaches it. */
export interface ZipEntry {
  name: string;
  size: number;
  read(): Promise<Uint8Array | Readable>;
}

/**
 * Names in the archive: each file's own name (`ebook.pdf` for `files/ebook.pdf`), or its whole
 * path where two files of the bundle share a name.
 */
export function entryNames(slugs: readonly string[]): string[] {
  const base = slugs.map((s) => s.slice(s.lastIndexOf('/') + 1));
  const count = new Map<string, number>();
  for (const b of base) count.set(b, (count.get(b) ?? 0) + 1);
  return slugs.map((s, i) => (count.get(base[i]!)! > 1 ? s : base[i]!));
}

/*
 * The ZIP is "stored" (no compression: PDFs, images, audio, video and archives are compressed
 * already) and fully determined by its entries and one timestamp, so:
 * - its size is known before a byte is read (Content-Length, Range, HEAD), by zipSize below;
 * - the same bundle gives the same bytes on every instance, so a Range continuation can be cut out
 *   of a fresh stream (zipStream with a start), as for a single file.
 * The layout yazl writes for an entry added by addReadStreamLazy with a known size, no
 * compression, forceDosTimestamp and sizes below 4 GiB: a local header (30 bytes and the name),
 * the data, a data descriptor (16 bytes); then per entry a central directory header (46 bytes
 * and the name) and the end record (22 bytes). A test pins this against yazl's own output.
 */
const LOCAL = 30;
const DESCRIPTOR = 16;
const CENTRAL = 46;
const END = 22;
const ZIP32_MAX = 0xfffffffe;

export function zipSize(entries: readonly Pick<ZipEntry, 'name' | 'size'>[]): number {
  let total = END;
  for (const e of entries) {
    const name = Buffer.byteLength(e.name, 'utf8');
    total += LOCAL + name + e.size + DESCRIPTOR + CENTRAL + name;
  }
  if (total > ZIP32_MAX) throw new RangeError('bundle too large for a ZIP without ZIP64');
  return total;
}

/** DOS timestamps are read in the server's local time zone: shifted so every instance writes the same UTC fields. */
function dosTime(iso: string): Date {
  const ms = Date.parse(iso);
  return new Date(ms + new Date(ms).getTimezoneOffset() * 60_000);
}

/** Passes bytes from `start` to `end` (inclusive) of what flows through it, then ends. */
class Window extends Transform {
  private at = 0;
  constructor(
    private readonly first: number,
    private readonly last: number,
    private readonly onDone: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const from = this.at;
    this.at += chunk.length;
    if (this.at <= this.first || from > this.last) return cb();
    const a = Math.max(0, this.first - from);
    const b = Math.min(chunk.length, this.last - from + 1);
    this.push(chunk.subarray(a, b));
    if (this.at > this.last) {
      this.push(null);
      this.onDone();
    }
    cb();
  }
}

/**
 * The bundle as a stream, bytes `start` to `end` inclusive (the whole ZIP by default). Files are
 * read one at a time as the archive reaches them (a large one streamed from its chunks), so memory
 * stays at about one small file or a few chunks whatever the bundle's size. A file that cannot be read (gone since the use was taken) ends the stream with an
 * error: the client sees a cut transfer, which its Range grant can resume once the file is back.
 */
export function zipStream(entries: readonly ZipEntry[], mtimeIso: string, start = 0, end = zipSize(entries) - 1): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as unknown as Readable;
  const mtime = dosTime(mtimeIso);
  const out = new PassThrough();
  /** Set once the window has all it needs: later errors (the files left unread) are expected. */
  let stopped = false;
  for (const e of entries) {
    zip.addReadStreamLazy(e.name, { mtime, mode: 0o100644, compress: false, forceDosTimestamp: true, size: e.size }, (cb) => {
      if (stopped) return cb(null, Readable.from([]));
      e.read().then(
        (bytes) => cb(null, bytes instanceof Readable ? bytes : Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)])),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err)), undefined as never),
      );
    });
  }
  zip.end();
  const fail = (err: Error): void => {
    if (stopped) return;
    stopped = true;
    out.destroy(err);
  };
  (zip as unknown as NodeJS.EventEmitter).on('error', fail);
  output.on('error', fail);
  // The client went away (or all was sent): read no more files.
  out.on('close', () => {
    stopped = true;
    output.destroy();
  });
  if (start === 0 && end === zipSize(entries) - 1) return output.pipe(out);
  const window = new Window(start, end, () => {
    // The rest of the archive is not needed: stop reading files.
    stopped = true;
    output.unpipe(window);
    output.destroy();
  });
  window.on('error', fail);
  return output.pipe(window).pipe(out);
}
