import type { Rule } from '../rule';

export const PREP_RULES: Rule[] = [];
