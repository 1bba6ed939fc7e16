import type { Rule } from '../rule';

export const STOP_RULES: Rule[] = [];
