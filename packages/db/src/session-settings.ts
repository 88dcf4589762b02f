/**
 * Settings every session runs with, given once when a connection opens (PostgreSQL: the startup packet's `options`;
 * embedded: SET when it opens) instead of per search, which cost every search a transaction of its own (BEGIN,
 * set_config, COMMIT: three round trips). HNSW index scans (only searches make those) and named statements (the
 * searches', the lookup's, a list page's, a create's: prepared-statements.ts) are what they are for. plan_cache_mode
 * would also have PL/pgSQL plan the change-log trigger's statements on every write: that function sets its own
 * (PostgreSQL's default, auto: migration 20261207083300), which cost a create's database less (docs/performance.md,
 * "Create's statement and the change-log trigger").
 *
 * pgvector ≥ 0.8 keeps walking the HNSW graph until enough rows pass the filters (space, model, tags): without it a
 * filtered walk returns whatever of its first ef_search rows pass. ef_search 150 (pgvector's default is 40) is what
 * recall@10 ≥ 0.95 with filters at 100,000 rows needed (bench/search.ts). PostgreSQL keeps these dotted names as
 * placeholders until pgvector loads in the session, which then adopts their values (session-settings.test.ts).
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  "hnsw.ef_search": "150",
  "hnsw.iterative_scan": "relaxed_order",
  // The searches' named statements (prepared-statements.ts) planned with each execution's values, as unnamed ones
  // are: after five runs "auto" may switch a named statement to a generic plan.
  plan_cache_mode: "force_custom_plan",
};

/**
 * Settings no operator option may change, given after theirs. Both driver adapters read a timestamptz's text by
 * relabelling its offset as +00:00 without converting the time (prisma/orm#26786, open), so a session in any other
 * zone (a server whose `timezone` is its host's, say Europe/Berlin) would answer every recordedAt off by the zone's
 * offset, and `now()` would stamp createdAt's `timestamp(3)` in local time. In UTC every instant reads as stored.
 * They (and context-rows.ts) parse a timestamp's text in ISO form only: in any other DateStyle ('SQL, DMY' as a
 * database's default, say) every read of a timestamp failed. "ISO" sets the output form and keeps the field order.
 */
export const REQUIRED_SESSION_SETTINGS: Readonly<Record<string, string>> = { TimeZone: "UTC", DateStyle: "ISO" };

const asOptions = (settings: Readonly<Record<string, string>>) =>
  Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);

/**
 * The `options` a PostgreSQL connection starts with: ours first, then the operator's own (the URL's `options`
 * parameter, else PGOPTIONS, which pg would otherwise read), so that theirs win where both set a name, then the
 * required ones, which win over theirs.
 */
export function startupOptions(theirs: string | undefined): string {
  return [
    ...asOptions(SESSION_SETTINGS),
    ...(theirs?.trim() ? [theirs.trim()] : []),
    ...asOptions(REQUIRED_SESSION_SETTINGS),
  ].join(" ");
}

/** The same settings as SQL, for the embedded database's one session. */
export const sessionSettingsSql = (): string =>
  Object.entries({ ...SESSION_SETTINGS, ...REQUIRED_SESSION_SETTINGS })
    .map(([name, value]) => `SET ${name} = '${value}';`)
    .join(" ");
