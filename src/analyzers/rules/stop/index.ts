import type { Rule } from '../rule';
import STOP001 from './STOP001-keras-no-early-stopping';
import STOP002 from './STOP002-early-stopping-metric-never-logged';
import STOP003 from './STOP003-lightning-no-early-stopping';
import STOP004 from './STOP004-hf-early-stopping-prerequisites';
import STOP005 from './STOP005-best-model-schedule-mismatch';
import STOP006 from './STOP006-hf-no-early-stopping';
import STOP007 from './STOP007-xgboost-early-stopping';
import STOP008 from './STOP008-lightgbm-early-stopping';

export const STOP_RULES: Rule[] = [STOP001, STOP002, STOP003, STOP004, STOP005, STOP006, STOP007, STOP008];
