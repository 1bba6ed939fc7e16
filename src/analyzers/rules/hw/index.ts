import type { Rule } from '../rule';
import HW001 from './HW001-cuda-fp32-training';
import HW002 from './HW002-fp16-without-grad-scaler';
import HW003 from './HW003-tf32-not-enabled';
import HW004 from './HW004-keras-no-mixed-precision';
import HW005 from './HW005-hf-trainer-fp32';
import HW006 from './HW006-manual-pin-memory';
import HW007 from './HW007-precision-flags-config';
import HW008 from './HW008-lightning-full-precision';
import HW009 from './HW009-training-on-cpu';
import HW010 from './HW010-training-from-scratch';

export const HW_RULES: Rule[] = [HW001, HW002, HW003, HW004, HW005, HW006, HW007, HW008, HW009, HW010];
