// YAML and JSON training configs as one tree with source ranges, so config rules are written once.
import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Range } from '../../shared/findings';
import { LineIndex } from '../engine/text';

export type ConfigFormat = 'yaml' | 'json';
export type Scalar = string | number | boolean | null;

export interface ConfigNode {
  kind: 'map' | 'seq' | 'scalar';
  /** The value's own range. */
  range: Range;
  /** The key's range when this node is a map entry's value. */
  keyRange?: Range;
  /** The whole `key: value` entry's range, for deleting or replacing an entry. */
  entryRange?: Range;
  value?: Scalar;
  entries?: Map<string, ConfigNode>;
  items?: ConfigNode[];
}

export interface ConfigProblem {
  message: string;
  range: Range;
}

/** Deeper than any real config; past it the document is reported instead of walked (no stack overflow). */
const MAX_DEPTH = 100;

class NestingTooDeep extends Error {}

export class ConfigDocument {
  readonly lines: LineIndex;
  readonly root: ConfigNode | undefined;
  readonly problems: ConfigProblem[] = [];

  constructor(
    readonly path: string,
    readonly text: string,
    readonly format: ConfigFormat,
  ) {
    this.lines = new LineIndex(text);
    this.root = format === 'yaml' ? this.fromYaml() : this.fromJson();
  }

  /** Looks up a dotted path (`trainer.max_epochs`, `callbacks.0.class_path`). */
  get(path: string, from: ConfigNode | undefined = this.root): ConfigNode | undefined {
    let node = from;
    for (const part of path.split('.')) {
      if (!node) return undefined;
      if (node.kind === 'map') node = node.entries!.get(part);
      else if (node.kind === 'seq' && /^\d+$/.test(part)) node = node.items![Number(part)];
      else return undefined;
    }
    return node;
  }

  scalar(path: string, from?: ConfigNode): Scalar | undefined {
    const n = this.get(path, from);
    return n?.kind === 'scalar' ? n.value : undefined;
  }

  /** Every map in the document, depth first, with its dotted path. */
  *maps(node: ConfigNode | undefined = this.root, path = ''): Generator<[string, ConfigNode]> {
    if (!node) return;
    if (node.kind === 'map') {
      yield [path, node];
      for (const [k, v] of node.entries!) yield* this.maps(v, path ? `${path}.${k}` : k);
    } else if (node.kind === 'seq') {
      for (const [i, v] of node.items!.entries()) yield* this.maps(v, path ? `${path}.${i}` : String(i));
    }
  }

  private guarded(convert: () => ConfigNode | undefined): ConfigNode | undefined {
    try {
      return convert();
    } catch (e) {
      if (!(e instanceof NestingTooDeep)) throw e;
      this.problems.push({ message: `nested more than ${MAX_DEPTH} levels deep: not analysed`, range: this.lines.range(0, 0) });
      return undefined;
    }
  }

  private fromYaml(): ConfigNode | undefined {
    const lineCounter = new LineCounter();
    let doc: ReturnType<typeof parseDocument>;
    try {
      doc = parseDocument(this.text, { lineCounter, keepSourceTokens: false, uniqueKeys: false, strict: false });
    } catch (e) {
      // The YAML library recurses per nesting level; a pathological file can exhaust the stack.
      if (!(e instanceof RangeError)) throw e;
      this.problems.push({ message: 'YAML nested too deeply to parse: not analysed', range: this.lines.range(0, 0) });
      return undefined;
    }
    for (const e of doc.errors) {
      this.problems.push({ message: `YAML syntax error: ${e.message.split('\n')[0]}`, range: this.lines.range(e.pos[0], e.pos[1]) });
    }
    if (doc.errors.length > 0) return undefined;
    const convert = (n: unknown, depth = 0): ConfigNode | undefined => {
      if (depth > MAX_DEPTH) throw new NestingTooDeep();
      if (!n || typeof n !== 'object') return undefined;
      const node = n as YamlNode;
      const [start, valueEnd] = node.range ?? [0, 0];
      const range = this.lines.range(start, valueEnd);
      if (isMap(node)) {
        const entries = new Map<string, ConfigNode>();
        for (const pair of node.items) {
          if (!isPair(pair) || !isScalar(pair.key)) continue;
          const value = convert(pair.value, depth + 1) ?? { kind: 'scalar', value: null, range: this.lines.range(pair.key.range![1], pair.key.range![1]) };
          const keyRange = pair.key.range ? this.lines.range(pair.key.range[0], pair.key.range[1]) : undefined;
          const entryEnd = (pair.value as YamlNode | null)?.range?.[1] ?? pair.key.range![1];
          entries.set(String(pair.key.value), {
            ...value,
            keyRange,
            entryRange: this.lines.range(pair.key.range![0], entryEnd),
          });
        }
        return { kind: 'map', range, entries };
      }
      if (isSeq(node)) return { kind: 'seq', range, items: node.items.map((i) => convert(i, depth + 1)).filter((i): i is ConfigNode => !!i) };
      if (isScalar(node)) {
        const v = node.value;
        const value: Scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v === null || v === undefined ? null : String(v);
        return { kind: 'scalar', range, value };
      }
      return undefined;
    };
    return this.guarded(() => convert(doc.contents));
  }

  private fromJson(): ConfigNode | undefined {
    const errors: ParseError[] = [];
    const tree = parseTree(this.text, errors, { allowTrailingComma: true, disallowComments: false });
    for (const e of errors) {
      this.problems.push({ message: `JSON syntax error: ${printParseErrorCode(e.error)}`, range: this.lines.range(e.offset, e.offset + e.length) });
    }
    if (errors.length > 0 || !tree) return undefined;
    const convert = (n: JsonNode, depth = 0): ConfigNode | undefined => {
      if (depth > MAX_DEPTH) throw new NestingTooDeep();
      const range = this.lines.range(n.offset, n.offset + n.length);
      switch (n.type) {
        case 'object': {
          const entries = new Map<string, ConfigNode>();
          for (const prop of n.children ?? []) {
            const [key, val] = prop.children ?? [];
            if (!key || !val) continue;
            const value = convert(val, depth + 1);
            if (!value) continue;
            entries.set(String(key.value), {
              ...value,
              keyRange: this.lines.range(key.offset, key.offset + key.length),
              entryRange: this.lines.range(prop.offset, prop.offset + prop.length),
            });
          }
          return { kind: 'map', range, entries };
        }
        case 'array':
          return { kind: 'seq', range, items: (n.children ?? []).map((c) => convert(c, depth + 1)).filter((i): i is ConfigNode => !!i) };
        case 'string': case 'number': case 'boolean': case 'null':
          return { kind: 'scalar', range, value: n.value as Scalar };
        default:
          return undefined;
      }
    };
    return this.guarded(() => convert(tree));
  }
}
