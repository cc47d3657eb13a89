import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';
import * as m0001 from './0001-init.js';
import * as m0002 from './0002-generation-rate-limits.js';
import * as m0003 from './0003-version-deltas.js';
import * as m0004 from './0004-download-stats.js';
import * as m0005 from './0005-token-state-indexes.js';
import * as m0006 from './0006-token-state-counters.js';
import * as m0007 from './0007-page-counts.js';
import * as m0008 from './0008-site-paths.js';
import * as m0009 from './0009-grant-continuations.js';
import * as m0010 from './0010-storage-quota.js';
import * as m0011 from './0011-change-sequence.js';
import * as m0012 from './0012-owners.js';
import * as m0013 from './0013-oauth.js';
import * as m0014 from './0014-seller-downloads.js';
import * as m0016 from './0016-site-stats-domains.js';
import * as m0017 from './0017-site-keys.js';
import * as m0018 from './0018-blob-chunks.js';
import * as m0019 from './0019-upload-urls.js';
import * as m0020 from './0020-refusal-counts.js';

export interface Migration {
  name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Statically listed (no directory scanning), applied in order, each exactly once. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '0001-init', up: m0001.up },
  { name: '0002-generation-rate-limits', up: m0002.up },
  { name: '0003-version-deltas', up: m0003.up },
  { name: '0004-download-stats', up: m0004.up },
  { name: '0005-token-state-indexes', up: m0005.up },
  { name: '0006-token-state-counters', up: m0006.up },
  { name: '0007-page-counts', up: m0007.up },
  { name: '0008-site-paths', up: m0008.up },
  { name: '0009-grant-continuations', up: m0009.up },
  { name: '0010-storage-quota', up: m0010.up },
  { name: '0011-change-sequence', up: m0011.up },
  { name: '0012-owners', up: m0012.up },
  { name: '0013-oauth', up: m0013.up },
  { name: '0014-seller-downloads', up: m0014.up },
  { name: '0016-site-stats-domains', up: m0016.up },
  { name: '0017-site-keys', up: m0017.up },
  { name: '0018-blob-chunks', up: m0018.up },
  { name: '0019-upload-urls', up: m0019.up },
  { name: '0020-refusal-counts', up: m0020.up },
];
