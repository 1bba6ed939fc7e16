import LOAD001 from './LOAD001-sync-dataloader';

export const LOAD_RULES = [LOAD001];
