import { finished, Readable } from 'node:stream';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { invalid } from '../../core/errors.js';

/** The upload form's file, as it arrives. */
export interface StreamedFile {
  /** The name the browser gave (no folders). */
  name: string;
  /** Its bytes, read once, as they arrive: never held whole. */
  bytes: AsyncIterable<Uint8Array>;
}

/** The form's text fields are short (a path, a choice, alt text, the CSRF token). */
const FIELD_MAX = 4096;

/**
 * Reads a multipart upload form as it streams in (the dashboard's "Upload a file"): the text
 * fields first, then `take` is handed them and the file, whose bytes it reads as they arrive, so
 * a 500 MB file for sale is never held in memory (Hono's parseBody reads the whole body first).
 * The form puts its file input last, so the browser sends every field before the file; a body
 * that sends the file first is refused, nothing stored. One file, a few short fields.
 */
export function readUploadForm<T>(req: Request, take: (fields: Readonly<Record<string, string>>, file: StreamedFile) => Promise<T>): Promise<T> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\b/i.test(type) || !req.body) throw invalid('Send the upload form as multipart/form-data, with a file.', { field: 'file' });
  let parser: BusboyInstance;
  try {
    parser = Busboy({ headers: { 'content-type': type }, limits: { files: 1, fields: 20, parts: 21, fieldSize: FIELD_MAX } });
  } catch {
    throw invalid('The upload form is malformed (its multipart boundary is missing).', { field: 'file' });
  }
  const body = Readable.fromWeb(req.body as import('node:stream/web').ReadableStream<Uint8Array>);
  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    /** The file part being read, until it ends. */
    let reading: Readable | undefined;
    /** take's answer, once the file part has begun: from then on it alone settles the form. */
    let taken: Promise<T> | undefined;
    let settled = false;
    const settle = (ok: boolean, value: unknown): void => {
      if (settled) return;
      settled = true;
      if (ok) resolve(value as T);
      else reject(value);
    };
    // The body or its framing failed (the client went away, the multipart is malformed): the file
    // being read fails with it, so take's read ends and its staged bytes are dropped; before any
    // file the form is refused. After the file has ended, take decides (the file arrived whole).
    const broken = (message: string): void => {
      const e = invalid(message, { field: 'file' });
      if (reading) reading.destroy(e);
      else if (!taken) settle(false, e);
    };
    parser.on('field', (name, value, _nameTruncated, valueTruncated) => {
      if (taken || settled) return; // the form sends its file last: anything after it is not the form's
      if (valueTruncated) return settle(false, invalid(`The form field ${name} is over ${FIELD_MAX} characters.`, { field: name }));
      fields[name] = value;
    });
    parser.on('file', (name, stream, fileName) => {
      // Its failure is seen by its reader (take) or by nobody: never an unhandled 'error' event.
      stream.on('error', () => {});
      if (name !== 'file' || taken || settled) {
        stream.resume();
        return;
      }
      reading = stream;
      stream.once('end', () => {
        if (reading === stream) reading = undefined;
      });
      taken = take({ ...fields }, { name: fileName, bytes: fileBytes(stream) });
      taken.then(
        (r) => settle(true, r),
        (e: unknown) => {
          stream.resume(); // refused before the end (wrong type, no token): the rest is read and dropped
          settle(false, e);
        },
      );
    });
    parser.on('error', () => broken('The upload form is malformed or was cut off. Nothing was stored; try again.'));
    parser.on('finish', () => {
      if (!taken) settle(false, invalid('Choose a file to upload (it must not be empty).', { field: 'file' }));
    });
    finished(body, (err) => {
      if (!err) return;
      broken('The upload was cut off before the end of the file. Nothing was stored; try again.');
      parser.destroy();
    });
    body.pipe(parser);
  });
}

/** A file part's bytes; cut off midway (the browser closed, the network failed), said in the form's own words. */
async function* fileBytes(stream: Readable): AsyncGenerator<Uint8Array> {
  let size = 0;
  try {
    for await (const piece of stream as AsyncIterable<Uint8Array>) {
      size += piece.byteLength;
      yield piece;
    }
  } catch {
    throw invalid('The upload was cut off before the end of the file. Nothing was stored; try again.', { field: 'file' });
  }
  if (size === 0) throw invalid('Choose a file to upload (it must not be empty).', { field: 'file' });
}
