import type { Rule } from '../rule';
import LOOP001 from './LOOP001-host-device-sync';
import LOOP002 from './LOOP002-cpu-tensor-then-moved';
import LOOP003 from './LOOP003-zero-grad-keeps-tensors';
import LOOP004 from './LOOP004-gradients-never-cleared';
import LOOP005 from './LOOP005-eval-without-no-grad';
import LOOP006 from './LOOP006-debug-apis-left-on';
import LOOP007 from './LOOP007-empty-cache-in-loop';
import LOOP008 from './LOOP008-conv-bias-before-batchnorm';
import LOOP009 from './LOOP009-cudnn-autotuner-off';

export const LOOP_RULES: Rule[] = [LOOP001, LOOP002, LOOP003, LOOP004, LOOP005, LOOP006, LOOP007, LOOP008, LOOP009];
