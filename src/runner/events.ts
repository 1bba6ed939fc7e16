// NDJSON from the harness: split into lines, parse, validate against src/shared/profile.ts. A line that
// is not a valid event is reported, not guessed at (a harness from another build, or stray output).
import type { Readable } from 'node:stream';
import { isProfileEvent, PROFILE_SCHEMA_VERSION } from '../shared/profile';
import type { ProfileEvent } from '../shared/profile';

export interface EventSink {
  event(e: ProfileEvent): void;
  invalid(line: string, why: string): void;
}

export class NdjsonDecoder {
  private buffer = '';
  constructor(private readonly sink: EventSink) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
      nl = this.buffer.indexOf('\n');
    }
  }

  /** A harness killed mid-write leaves a partial last line: it is dropped as invalid. */
  end(): void {
    if (this.buffer.trim() !== '') this.sink.invalid(this.buffer, 'truncated line at end of stream');
    this.buffer = '';
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
