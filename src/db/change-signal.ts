import { randomFillSync } from 'node:crypto';
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';

/**
 * Eight bytes in a file beside the SQLite database, rewritten with a random value by whichever
 * process commits a change to published content (after the commit, before the write is answered).
 * Every process sharing the database (`serve --workers N`, a `sitepub mcp` next to `sitepub
 * serve`) reads it with one pread per request: no database read, no lock. A value it has not seen
 * means its caches may be out of date.
 */
export class ChangeSignal {
  private readonly fd: number;
  private readonly readBuf = Buffer.alloc(8);
  private readonly writeBuf = Buffer.alloc(8);

  constructor(file: string) {
    this.fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  }

  /** The current value (48 random bits; 0 before the first change). */
  read(): number {
    const n = readSync(this.fd, this.readBuf, 0, 8, 0);
    return n < 6 ? 0 : this.readBuf.readUIntLE(0, 6);
  }

  bump(): void {
    randomFillSync(this.writeBuf);
    writeSync(this.fd, this.writeBuf, 0, 8, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
