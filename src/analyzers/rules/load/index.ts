import LOAD001 from './LOAD001-sync-dataloader';
import LOAD004 from './LOAD004-worker-options-without-workers';
import LOAD005 from './LOAD005-per-sample-batches';
import LOAD006 from './LOAD006-index-file-per-item';
import LOAD008 from './LOAD008-tfdata-no-prefetch';
import LOAD009 from './LOAD009-sequential-dataset-map';
import LOAD015 from './LOAD015-row-format-training-data';

export const LOAD_RULES = [LOAD001, LOAD004, LOAD005, LOAD006, LOAD008, LOAD009, LOAD015];
