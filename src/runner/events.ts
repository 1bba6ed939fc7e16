// NDJSON from the harness: split into lines, parse, validate against src/shared/profile.ts. A line that
// is not a valid event is reported, not guessed at (a harness from another build, or stray output).
import type { Readable } from 'node:stream';
import { isProfileEvent, PROFILE_SCHEMA_VERSION } from '../shared/profile';
import type { ProfileEvent } from '../shared/profile';

/**
 * The longest event line accepted. The harness's events are small (a `steps` batch or `hello` is a few
 * KB); a longer line is a script writing to fd 3 by mistake, and buffering it would hold it all in memory.
 */
export const MAX_EVENT_LINE_CHARS = 1024 * 1024;

export interface EventSink {
  event(e: ProfileEvent): void;
  invalid(line: string, why: string): void;
  /** A line over MAX_EVENT_LINE_CHARS was dropped unread (`chars`: its length, as far as it was read). */
  tooLong(chars: number): void;
}

export class NdjsonDecoder {
  /** The current line's pieces: joined once at its end, so a line arriving in many chunks costs linear time. */
  private pieces: string[] = [];
  private length = 0;
  /** The current line passed MAX_EVENT_LINE_CHARS: the rest of it is counted, not kept. */
  private dropping = false;
  constructor(private readonly sink: EventSink) {}

  push(chunk: string): void {
    let start = 0;
    // Each chunk is scanned once, from where the last newline in it was found.
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.append(chunk.slice(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.slice(start));
  }

  /** A harness killed mid-write leaves a partial last line: it is dropped as invalid. */
  end(): void {
    if (this.dropping) {
      this.endLine();
      return;
    }
    const rest = this.pieces.join('');
    if (rest.trim() !== '') this.sink.invalid(rest, 'truncated line at end of stream');
    this.pieces = [];
    this.length = 0;
  }

  private append(piece: string): void {
    this.length += piece.length;
    if (this.dropping) return;
    if (this.length > MAX_EVENT_LINE_CHARS) {
      this.dropping = true;
      this.pieces = [];
      return;
    }
    this.pieces.push(piece);
  }

  private endLine(): void {
    if (this.dropping) this.sink.tooLong(this.length);
    else this.line(this.pieces.length === 1 ? this.pieces[0] : this.pieces.join(''));
    this.pieces = [];
    this.length = 0;
    this.dropping = false;
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.sink.invalid(line, 'not JSON');
      return;
    }
    if (!isProfileEvent(value)) {
      this.sink.invalid(line, 'not a known event');
      return;
    }
    if (value.type === 'hello' && value.schemaVersion !== PROFILE_SCHEMA_VERSION) {
      this.sink.invalid(line, `harness schemaVersion ${value.schemaVersion}, expected ${PROFILE_SCHEMA_VERSION}`);
    }
    this.sink.event(value);
  }
}

export function decodeStream(stream: Readable, sink: EventSink): Promise<void> {
  const decoder = new NdjsonDecoder(sink);
  stream.setEncoding('utf8');
  return new Promise((resolve) => {
    stream.on('data', (chunk: string) => decoder.push(chunk));
    stream.once('end', () => {
      decoder.end();
      resolve();
    });
    stream.once('error', () => {
      decoder.end();
      resolve();
    });
  });
}
