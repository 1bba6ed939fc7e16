// Call-argument matching by keyword and by position, aware of *args and **kwargs: a rule asks for
// `num_workers` (slot 5) and learns whether it is present, absent, or possibly hidden in **kwargs.
// What a `**kwargs` dict holds is python/provenance.ts's to say (`resolvedCallArguments`), which fills
// the keyword maps here.
import { field, namedChildren, type Node } from './syntax';

export type ArgLookup =
  /** `spread`: the value comes from a dict the call unpacks (`**kwargs`), so it sits in that dict, not in the call. */
  | { kind: 'present'; node: Node; keyword: boolean; spread?: boolean }
  | { kind: 'absent' }
  /** The call spreads *args or **kwargs where this argument could be; `maybe` is its value on the paths where a `**dict` carries it. */
  | { kind: 'unknown'; maybe?: Node };

export interface CallArguments {
  readonly node: Node | undefined;
  readonly positional: readonly Node[];
  readonly keywords: ReadonlyMap<string, Node>;
  /** Index of the first `*args` among the positional arguments, or -1. */
  readonly starIndex: number;
  readonly hasKwargs: boolean;
  /** Keywords a `**dict` carries on some paths only (python/provenance.ts), with their value there. */
  readonly maybeKeywords?: ReadonlyMap<string, Node>;
  /** Keywords read from a `**dict` built in the code rather than written in the call. */
  readonly spreadKeywords?: ReadonlySet<string>;
}

// Many rules ask for the arguments of the same call (every DataLoader, every fit); each read walks the
// argument list through wasm, so the result is kept per tree like the node memos in syntax.ts.
const argumentsMemo = new WeakMap<object, Map<number, CallArguments>>();

export function callArguments(call: Node): CallArguments {
  let memo = argumentsMemo.get(call.tree);
  if (!memo) argumentsMemo.set(call.tree, (memo = new Map()));
  let args = memo.get(call.id);
  if (!args) memo.set(call.id, (args = readArguments(call)));
  return args;
}

function readArguments(call: Node): CallArguments {
  const list = field(call, 'arguments');
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  let starIndex = -1;
  let hasKwargs = false;
  if (list && list.type === 'argument_list') {
    for (const arg of namedChildren(list)) {
      if (arg.type === 'comment') continue;
      if (arg.type === 'keyword_argument') {
        const name = field(arg, 'name')?.text;
        const value = field(arg, 'value');
        if (name && value) keywords.set(name, value);
      } else if (arg.type === 'dictionary_splat') {
        hasKwargs = true;
      } else if (arg.type === 'list_splat') {
        if (starIndex < 0) starIndex = positional.length;
        positional.push(arg);
      } else {
        positional.push(arg);
      }
    }
  } else if (list) {
    // `f(x for x in y)`: a bare generator is the single positional argument.
    positional.push(list);
  }
  return { node: list, positional, keywords, starIndex, hasKwargs };
}

/** Finds an argument by keyword or, when `slot` is given, by its positional index. */
export function argument(args: CallArguments, name: string, slot?: number): ArgLookup {
  const kw = args.keywords.get(name);
  if (kw) return args.spreadKeywords?.has(name) ? { kind: 'present', node: kw, keyword: true, spread: true } : { kind: 'present', node: kw, keyword: true };
  const maybe = args.maybeKeywords?.get(name);
  if (maybe) return { kind: 'unknown', maybe };
  if (slot !== undefined) {
    if (args.starIndex >= 0 && args.starIndex <= slot) return { kind: 'unknown' };
    if (slot < args.positional.length) return { kind: 'present', node: args.positional[slot], keyword: false };
  }
  if (args.hasKwargs) return { kind: 'unknown' };
  return { kind: 'absent' };
}
