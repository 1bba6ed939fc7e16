import type { Rule } from '../rule';
import EVAL001 from './EVAL001-preprocessing-fit-before-split';
import EVAL002 from './EVAL002-shuffled-eval-loader';
import EVAL003 from './EVAL003-unstratified-classification-split';
import EVAL004 from './EVAL004-full-validation-too-often';
import EVAL005 from './EVAL005-fitted-preprocessing-not-saved';

export const EVAL_RULES: Rule[] = [EVAL001, EVAL002, EVAL003, EVAL004, EVAL005];
