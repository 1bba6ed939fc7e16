// Bytes <-> text of a source file. Python files honour a PEP 263 coding cookie (`# -*- coding: latin-1 -*-`
// on line 1 or 2); every file may start with a UTF-8 BOM, which is not part of the text the rules see
// (positions start after it) and is written back as it was. `lossless` says whether encoding the text
// gives the very bytes that were read: only then may a fix rewrite the file, since every byte outside the
// fix's own ranges must stay as it was.

export interface DecodedSource {
  text: string;
  /** The encoding the text was decoded with: 'utf-8', 'latin-1', 'ascii', or a WHATWG label read-only. */
  encoding: string;
  bom: boolean;
  /** encodeSource(text) gives back the bytes read. */
  lossless: boolean;
}

export class UnencodableTextError extends Error {
  constructor(encoding: string, char: string) {
    super(`'${char}' (U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) cannot be written in ${encoding}`);
    this.name = 'UnencodableTextError';
  }
}

const BOM = [0xef, 0xbb, 0xbf];
/** PEP 263: the cookie is a comment on line 1 or 2 matching this expression. */
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** Byte i becomes U+00ii (ISO-8859-1; the WHATWG 'latin1' label would be windows-1252): decoded natively by Buffer. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * Where the second line ends (at most `limit`): only lines 1 and 2 can hold the cookie, and decoding
 * the whole first kilobyte of every file only to split it cost more than the rest of the file's reading.
 */
function firstTwoLinesEnd(bytes: Uint8Array, limit: number): number {
  const end = Math.min(bytes.length, limit);
  let breaks = 0;
  for (let i = 0; i < end; i++) {
    const b = bytes[i];
    if (b !== 10 && b !== 13) continue;
    if (b === 13 && bytes[i + 1] === 10) i++;
    if (++breaks === 2) return i;
  }
  return end;
}

/** The encoding a PEP 263 cookie names, in Python's spelling (lowercase, `_` as `-`), or undefined. */
export function codingCookie(bytes: Uint8Array): string | undefined {
  const head = latin1(bytes.subarray(0, firstTwoLinesEnd(bytes, 1024))).split(/\r\n|\r|\n/);
  for (const line of head.slice(0, 2)) {
    const m = COOKIE.exec(line);
    if (m) return m[1].toLowerCase().replace(/_/g, '-');
    // Only a comment or blank line 1 lets line 2 carry the cookie.
    if (!/^[ \t\f]*(#.*)?$/.test(line)) return undefined;
  }
  return undefined;
}

function canonical(name: string): string {
  if (/^(utf-?8|utf-8-sig|utf8-sig)$/.test(name)) return 'utf-8';
  if (/^(latin-?1|iso-?8859-1|iso8859-1|l1|iso-latin-1|cp819)$/.test(name)) return 'latin-1';
  if (/^(ascii|us-ascii|646)$/.test(name)) return 'ascii';
  return name;
}

// One decoder each for every file: a decode without `stream` keeps no state between calls, and building a
// TextDecoder per file cost more than decoding most files.
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_LENIENT = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Decodes a source file; `python` enables the coding cookie. */
export function decodeSource(bytes: Uint8Array, python: boolean): DecodedSource {
  const bom = bytes.length >= 3 && BOM.every((b, i) => bytes[i] === b);
  const body = bom ? bytes.subarray(3) : bytes;
  const cookie = python && !bom ? codingCookie(body) : undefined;
  const encoding = canonical(cookie ?? 'utf-8');
  if (encoding === 'latin-1') return { text: latin1(body), encoding, bom, lossless: true };
  if (encoding === 'ascii') {
    const text = latin1(body);
    return { text, encoding, bom, lossless: !/[^\x00-\x7f]/.test(text) };
  }
  if (encoding === 'utf-8') {
    try {
      return { text: UTF8_STRICT.decode(body), encoding, bom, lossless: true };
    } catch {
      return { text: UTF8_LENIENT.decode(body), encoding, bom, lossless: false };
    }
  }
  // Other encodings (cp1252, shift_jis, …) are read for analysis, never written: no encoder is at hand.
  try {
    return { text: new TextDecoder(encoding, { fatal: false }).decode(body), encoding, bom, lossless: false };
  } catch {
    return { text: new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(body), encoding, bom, lossless: false };
  }
}

/** The bytes of `text` in the source's encoding, BOM included; throws UnencodableTextError. */
export function encodeSource(text: string, source: Pick<DecodedSource, 'encoding' | 'bom'>): Uint8Array {
  let body: Uint8Array;
  if (source.encoding === 'utf-8') {
    body = new TextEncoder().encode(text);
  } else if (source.encoding === 'latin-1' || source.encoding === 'ascii') {
    const max = source.encoding === 'ascii' ? 0x7f : 0xff;
    body = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > max) throw new UnencodableTextError(source.encoding, String.fromCodePoint(text.codePointAt(i)!));
      body[i] = c;
    }
  } else {
    throw new Error(`writing ${source.encoding} is not supported`);
  }
  if (!source.bom) return body;
  const out = new Uint8Array(body.length + 3);
  out.set(BOM);
  out.set(body, 3);
  return out;
}
