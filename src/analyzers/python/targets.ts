// Values used only as a model's targets (the labels it learns), never as its inputs. Preprocessing that produces
// only targets (a OneHotEncoder over the label column) is not part of what a served model needs to compute its
// inputs: see the EVAL005 docs.
import { callArguments } from '../engine/calls';
import { calledMethod, field, namedChildren, parentOf, type Node } from '../engine/syntax';
import type { PythonModule } from './module';

/** Methods whose second argument (`y`) is the targets: Keras and scikit-learn training and scoring. */
const TARGET_TAKERS = /^(fit|evaluate|score|train_on_batch|test_on_batch|partial_fit)$/;
const MAX_DEPTH = 3;

/**
 * Every read of the name `call`'s result is bound to is a target: the `y` of `fit`/`evaluate`/`score`, the second
 * item of a `validation_data=(x, y)` or `Dataset.from_tensor_slices((x, y))` pair, a label Dataset that is the second
 * item of `Dataset.zip((features, labels))`, or a bare notebook line that displays it. False when the result is not
 * bound to a name or has no reads.
 */
export function usedOnlyAsTargets(module: PythonModule, call: Node, depth = 0): boolean {
  const name = module.boundName(call);
  if (!name || name.includes('.') || depth > MAX_DEPTH) return false;
  const reads = module.referencesTo(name).filter((r) => r.type === 'identifier' && !(parentOf(r)?.type === 'assignment' && field(parentOf(r)!, 'left')?.id === r.id));
  return reads.length > 0 && reads.every((r) => targetPosition(module, r, depth));
}

function targetPosition(module: PythonModule, read: Node, depth: number): boolean {
  const parent = parentOf(read);
  if (!parent) return false;
  if (parent.type === 'expression_statement') return true;
  if (parent.type === 'keyword_argument') return field(parent, 'name')?.text === 'y' && TARGET_TAKERS.test(calledMethod(parentOf(parentOf(parent)!)!) ?? '');
  if (parent.type === 'argument_list') {
    const call = parentOf(parent)!;
    const positional = callArguments(call).positional;
    if (positional[1]?.id === read.id && TARGET_TAKERS.test(calledMethod(call) ?? '')) return true;
    // `labels = tf.data.Dataset.from_tensor_slices(y)`, zipped in as the labels.
    return positional[0]?.id === read.id && module.callee(call) === 'tensorflow.data.Dataset.from_tensor_slices' && usedOnlyAsTargets(module, call, depth + 1);
  }
  if (parent.type === 'tuple') {
    const items = namedChildren(parent).filter((c) => c.type !== 'comment');
    if (items.length !== 2 || items[1].id !== read.id) return false;
    const holder = parentOf(parent);
    if (holder?.type === 'keyword_argument') return field(holder, 'name')?.text === 'validation_data';
    const call = holder?.type === 'argument_list' ? parentOf(holder) : undefined;
    const callee = call && module.callee(call);
    return callee === 'tensorflow.data.Dataset.from_tensor_slices' || callee === 'tensorflow.data.Dataset.zip';
  }
  return false;
}
