import type { Rule } from '../rule';
import PREP001 from './PREP001-loop-invariant-preprocessing';
import PREP002 from './PREP002-tokenization-in-training-step';
import PREP003 from './PREP003-unbatched-dataset-map';
import PREP004 from './PREP004-unhashable-map-function';
import PREP005 from './PREP005-deterministic-transforms-every-epoch';
import PREP006 from './PREP006-scalar-map-before-batch';
import PREP007 from './PREP007-row-wise-pandas-iteration';
import PREP008 from './PREP008-python-loop-over-tensor';

export const PREP_RULES: Rule[] = [PREP001, PREP002, PREP003, PREP004, PREP005, PREP006, PREP007, PREP008];
