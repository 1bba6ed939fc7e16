// Where a tf.data chain starts: the constructor calls (`from_generator`, `list_files`, `TFRecordDataset` …)
// an expression's dataset was built from, through method chains, variables of the same scope and local
// helper functions that return the dataset. tfdata.ts answers "is this a Dataset and how does it end";
// this answers "what does it start from", for the rules about generators and per-file reads.
import { calledMethod, field, methodReceiver, unwrap, type Node } from '../engine/syntax';
import type { PythonModule } from './module';
import { TF_DATA_SOURCES, TF_DATASET_METHODS } from './tfdata';

const MAX_DEPTH = 8;

/** The tf.data constructor calls an expression's dataset is built from (empty when none can be found). */
export function tfDataSources(module: PythonModule, expr: Node): Node[] {
  const out: Node[] = [];
  walk(module, expr, 0, new Set<number>(), out);
  return out;
}

function walk(module: PythonModule, expr: Node, depth: number, seen: Set<number>, out: Node[]): void {
  if (depth > MAX_DEPTH) return;
  const node = unwrap(expr);
  if (seen.has(node.id)) return;
  seen.add(node.id);
  if (node.type === 'call') {
    const callee = module.callee(node);
    if (callee !== undefined && TF_DATA_SOURCES.has(callee)) {
      out.push(node);
      return;
    }
    const method = calledMethod(node);
    const receiver = methodReceiver(node);
    if (method && receiver && TF_DATASET_METHODS.has(method)) {
      walk(module, receiver, depth + 1, seen, out);
      return;
    }
    const target = module.localCallTarget(node);
    if (target) {
      const body = field(target, 'body');
      if (!body) return;
      for (const r of module.returns) {
        if (module.enclosingFunction(r)?.id !== target.id) continue;
        const value = r.namedChild(0);
        if (value) walk(module, value, depth + 1, seen, out);
      }
    }
    return;
  }
  if (node.type === 'identifier' || (node.type === 'attribute' && field(node, 'object')?.text === 'self')) {
    const name = node.text;
    const scope = name.startsWith('self.') ? module.enclosingClass(node) : module.enclosingFunction(node);
    for (const a of module.assignmentsTo(name)) {
      if (field(a, 'left')?.text !== name) continue;
      const owner = name.startsWith('self.') ? module.enclosingClass(a) : module.enclosingFunction(a);
      if (owner?.id !== scope?.id) continue;
      const right = field(a, 'right');
      if (right) walk(module, right, depth + 1, seen, out);
    }
  }
}
