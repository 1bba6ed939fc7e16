import LOAD001 from './LOAD001-sync-dataloader';
import LOAD002 from './LOAD002-pin-memory-off';
import LOAD003 from './LOAD003-workers-respawned-per-epoch';
import LOAD004 from './LOAD004-worker-options-without-workers';
import LOAD005 from './LOAD005-per-sample-batches';
import LOAD006 from './LOAD006-index-file-per-item';
import LOAD007 from './LOAD007-item-io-main-process';
import LOAD008 from './LOAD008-tfdata-no-prefetch';
import LOAD009 from './LOAD009-sequential-dataset-map';
import LOAD010 from './LOAD010-sequential-file-reads';
import LOAD011 from './LOAD011-generator-training-input';
import LOAD012 from './LOAD012-small-file-per-sample';
import LOAD013 from './LOAD013-micro-batch-one';
import LOAD014 from './LOAD014-pinned-persistent-reload';
import LOAD015 from './LOAD015-row-format-training-data';

export const LOAD_RULES = [LOAD001, LOAD002, LOAD003, LOAD004, LOAD005, LOAD006, LOAD007, LOAD008, LOAD009, LOAD010, LOAD011, LOAD012, LOAD013, LOAD014, LOAD015];
