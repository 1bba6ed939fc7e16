// Reading a file for `lint --fix` and writing the fixed text back. The text is decoded as the analyzer
// decodes it (engine/source-encoding.ts: BOM, PEP 263 cookie); the new text is encoded the same way, so
// the bytes outside the fixes' ranges come back unchanged, and line endings are whatever the text holds
// (the engine never normalises them). A write is refused when the file changed on disk since it was read
// (the fixes were computed against the old text), and is atomic: a temporary file in the same folder,
// given the file's mode (and owner, where permitted), renamed over it, so an interrupted run leaves the
// old file or the new one, never half of one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeSource, encodeSource, type DecodedSource } from '../analyzers/engine/source-encoding';

export interface SourceFile {
  path: string;
  bytes: Buffer;
  size: number;
  mtimeMs: number;
  source: DecodedSource;
}

export class FileChangedError extends Error {
  constructor() {
    super('the file changed on disk while it was being fixed; not written (run --fix again)');
    this.name = 'FileChangedError';
  }
}

export function readSourceFile(file: string, python: boolean): SourceFile {
  const fd = fs.openSync(file, 'r');
  try {
    const stat = fs.fstatSync(fd);
    const bytes = fs.readFileSync(fd);
    return { path: file, bytes, size: stat.size, mtimeMs: stat.mtimeMs, source: decodeSource(bytes, python) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Encodes `text` as `read` was encoded and replaces the file with it, unless the file changed since. */
export function writeSourceFile(read: SourceFile, text: string): void {
  if (!read.source.lossless) throw new Error(`${read.path} is ${read.source.encoding === 'utf-8' ? 'not valid UTF-8' : `in ${read.source.encoding}`}; not rewritten`);
  const bytes = encodeSource(text, read.source);
  // Through a symbolic link, the file it points to is replaced, not the link.
  const target = fs.realpathSync(read.path);
  const now = fs.statSync(target);
  if (now.size !== read.size || now.mtimeMs !== read.mtimeMs || !fs.readFileSync(target).equals(read.bytes)) throw new FileChangedError();
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.pipeline-doctor-fix`);
  try {
    fs.writeFileSync(temp, bytes, { flag: 'wx', mode: now.mode & 0o7777 });
    // The umask may have narrowed the mode given at creation.
    fs.chmodSync(temp, now.mode & 0o7777);
    // Keep the owner too where we may (a root run over other users' files); elsewhere it is ours already.
    if (now.uid !== process.getuid?.() || now.gid !== process.getgid?.()) {
      try {
        fs.chownSync(temp, now.uid, now.gid);
      } catch {
        // Not permitted: the file becomes ours, as any editor's save would make it.
      }
    }
    fs.renameSync(temp, target);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}
