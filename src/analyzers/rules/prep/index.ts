import type { Rule } from '../rule';
import PREP001 from './PREP001-loop-invariant-preprocessing';
import PREP002 from './PREP002-tokenization-in-training-step';
import PREP003 from './PREP003-unbatched-dataset-map';

export const PREP_RULES: Rule[] = [PREP001, PREP002, PREP003];
