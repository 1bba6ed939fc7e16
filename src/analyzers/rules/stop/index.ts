import type { Rule } from '../rule';
import STOP001 from './STOP001-keras-no-early-stopping';
import STOP003 from './STOP003-lightning-no-early-stopping';
import STOP004 from './STOP004-hf-early-stopping-prerequisites';
import STOP006 from './STOP006-hf-no-early-stopping';
import STOP007 from './STOP007-xgboost-early-stopping';
import STOP008 from './STOP008-lightgbm-early-stopping';

export const STOP_RULES: Rule[] = [STOP001, STOP003, STOP004, STOP006, STOP007, STOP008];
