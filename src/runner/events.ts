// NDJSON from the harness: split into lines, parse, validate against the event contract
// (src/shared/profile-events.schema.json, docs/profiling.md "The harness event contract") and fill its
// defaults. A line that is not a valid event is reported, not guessed at (a harness from another build, or
// stray output).
import type { ValidateFunction } from 'ajv/dist/2020';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Readable } from 'node:stream';
import { PROFILE_SCHEMA_VERSION } from '../shared/profile';
import type { ProfileEvent } from '../shared/profile';
import eventSchema from '../shared/profile-events.schema.json';

/**
 * The longest event line accepted. The harness's events are small (a `steps` batch or `hello` is a few
 * KB); a longer line is a script writing to fd 3 by mistake, and buffering it would hold it all in memory.
 */
export const MAX_EVENT_LINE_CHARS = 1024 * 1024;

/**
 * Every line the decoders reject is also published here (`{ why, line }`; `line` is null for a line too long
 * to keep). Nothing listens in a user's run; the runner tests do, and fail on any (test/runner/helpers.ts).
 */
export const INVALID_EVENT_LINES = diagnosticsChannel.channel('pipeline-doctor:invalid-event-line');

type EventCheck = (x: unknown) => { event: ProfileEvent } | { problem: string };
let check: EventCheck | undefined;

/** Compiled on first use (tens of milliseconds): one validator per event kind, so that ajv fills the defaults. */
function eventCheck(): EventCheck {
  if (check !== undefined) return check;
  // Required here, not at the top: only a profile run loads ajv (the extension and `lint` start without it).
  const { default: Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020');
  const ajv = new Ajv2020({ useDefaults: true, allowUnionTypes: true, strictNumbers: true });
  // ajv applies no defaults under oneOf, so the root's oneOf is left out: the `type` picks the kind.
  const { oneOf, ...definitions } = eventSchema;
  ajv.addSchema(definitions, 'events');
  const kinds = new Map<unknown, ValidateFunction>();
  for (const { $ref } of oneOf) {
    const def = eventSchema.$defs[$ref.slice('#/$defs/'.length) as keyof typeof eventSchema.$defs] as { properties: { type: { const: string } } };
    kinds.set(def.properties.type.const, ajv.compile({ $ref: `events${$ref}` }));
  }
  check = (x) => {
    const validate = typeof x === 'object' && x !== null ? kinds.get((x as { type?: unknown }).type) : undefined;
    if (validate === undefined) return { problem: 'not a known event' };
    if (!validate(x)) return { problem: `not a valid ${String((x as { type: unknown }).type)} event: ${ajv.errorsText(validate.errors, { dataVar: 'event' })}` };
    const e = x as ProfileEvent;
    if (e.type === 'steps' && !(e.stepMs.length === e.t.length && e.waitMs.length === e.t.length && e.samples.length === e.t.length)) {
      return { problem: 'not a valid steps event: its lists differ in length' };
    }
    return { event: e };
  };
  return check;
}

/** Validates a parsed event line and fills the contract's defaults in place; the event, or why it is not one. */
export function checkProfileEvent(x: unknown): { event: ProfileEvent } | { problem: string } {
  return eventCheck()(x);
}

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
    if (rest.trim() !== '') this.invalid(rest, 'truncated line at end of stream');
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
    if (this.dropping) {
      if (INVALID_EVENT_LINES.hasSubscribers) INVALID_EVENT_LINES.publish({ why: `line of ${this.length} characters, over the limit`, line: null });
      this.sink.tooLong(this.length);
    }
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
      this.invalid(line, 'not JSON');
      return;
    }
    const hello = value as { type?: unknown; schemaVersion?: unknown } | null;
    if (hello?.type === 'hello' && hello.schemaVersion !== PROFILE_SCHEMA_VERSION) {
      this.invalid(line, `harness schemaVersion ${String(hello.schemaVersion)}, expected ${PROFILE_SCHEMA_VERSION}`);
      return;
    }
    const checked = checkProfileEvent(value);
    if ('problem' in checked) this.invalid(line, checked.problem);
    else this.sink.event(checked.event);
  }

  private invalid(line: string, why: string): void {
    if (INVALID_EVENT_LINES.hasSubscribers) INVALID_EVENT_LINES.publish({ why, line });
    this.sink.invalid(line, why);
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
