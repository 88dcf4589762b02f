/**
 * Named (prepared) statements on PostgreSQL: each connection parses and analyses a named text once, then only binds,
 * plans and runs it. For the searches' big statements (6–10 KB of SQL: CTEs, vocabulary lookups, full-text
 * functions) that was an eighth of the statement's CPU (docs/performance.md, "The searches' statements, prepared");
 * for the lookup by videoId and the list's page about a fifth of their backends' CPU ("The lookup and the list,
 * named"). Every execution is still planned with its values (SESSION_SETTINGS' plan_cache_mode), as an unnamed
 * statement is: a generic plan could pick other rows under a search's rank window's LIMIT, and would price the
 * vocabulary's trigram index without the word. PostgreSQL sets that per session, not per statement, so the lookup and
 * the list are planned each time too (a generic plan would save them more: measured, same section).
 *
 * How many texts: a search's candidate statement varies with its count of fuzzy words (0–12 vocabulary lookups),
 * which memory filters it asks for (tags, recording time, metadata: each present or not), its signals (text, an
 * embedding, both) and whether it returns the caller's row columns (lone embeddings, contexts); the highlight
 * statement with the row columns and whether anything is highlighted. Hundreds of texts are possible, a client's
 * usual searches use a few. The lookup is one text; a list page's text varies with its filters (16 combinations),
 * its order and cursor (5): 80. Only a text seen a second time gets a name, so one-off texts (a scripted sweep right
 * after start) never take a slot; the common ones still get theirs once seen twice. Each kind has names of its own
 * (PREPARED_TEXTS), so a client's many searches or list filters never leave the lookup unnamed, nor crowd each other.
 *
 * Memory: each named text costs every pooled connection that ran it backend memory (`pg_backend_memory_contexts`,
 * CachedPlanSource and CachedPlanQuery): ~256 KB for a search's statement, 24 KB for the lookup's or a list page's,
 * 16 KB for the create's. So at most 24 × 256 KB + 17 × 24 KB + 16 KB ≈ 6.4 MB per connection, × DATABASE_POOL_SIZE
 * on the primary (64 MB at the default 10), and as much on each replica.
 * Behind PgBouncer in transaction mode (before 1.21) named statements break: `pgbouncer=true` in a URL turns them off
 * for that server (Prisma's convention; docs/operations.md).
 */
import type { PrismaPg } from "@prisma/adapter-pg";
import type { SqlQuery } from "@prisma/driver-adapter-utils";
import { LRUCache } from "lru-cache";

/**
 * Distinct statement texts a process names at most, per kind: the searches' statements, the lookup by videoId (one
 * text), a list page's (80 possible) and the writes (a create's one INSERT). A text beyond its kind's runs unnamed as
 * before. The lookup is a kind of its own so that no mix of list pages can take its name.
 */
export const PREPARED_TEXTS = { search: 24, lookup: 1, list: 16, write: 1 } as const;
export type PreparedKind = keyof typeof PREPARED_TEXTS;
/** Texts seen once are remembered up to this many characters in all (~200 candidate statements), oldest forgotten. */
const SIGHTINGS_CHARS = 2_000_000;

// Function properties: the process's are used detached.
export interface StatementNames {
  /** Marks `query` (about to go to the adapter) to run as the named statement of its text, once its text is seen twice. */
  mark: (query: SqlQuery, kind: PreparedKind) => void;
  /** PrismaPg's statementNameGenerator: the name of a marked query, else undefined (see below). */
  name: (query: SqlQuery) => string;
  /** Whether `sql` has a name (tests: a search's statement really runs named). */
  isPrepared: (sql: string) => boolean;
}

/** A registry of names; the process has one (below), tests make their own. */
export function statementNames(max: Readonly<Record<PreparedKind, number>> = PREPARED_TEXTS): StatementNames {
  const names = new Map<string, string>();
  const named = new Map<PreparedKind, number>();
  const sightings = new LRUCache<string, true>({ maxSize: SIGHTINGS_CHARS, sizeCalculation: (_, sql) => sql.length });
  const queries = new WeakMap<SqlQuery, string>();
  return {
    mark(query, kind) {
      let name = names.get(query.sql);
      if (name === undefined) {
        const count = named.get(kind) ?? 0;
        if (count >= max[kind]) return;
        if (!sightings.has(query.sql)) {
          sightings.set(query.sql, true);
          return;
        }
        sightings.delete(query.sql);
        name = `mm_statement_${names.size + 1}`;
        names.set(query.sql, name);
        named.set(kind, count + 1);
      }
      queries.set(query, name);
    },
    // The option's type says string, but adapter-pg hands the generator's result to pg as the query's `name`
    // unchecked (`name: statementNameGenerator?.(query)`, as when there is no generator), and pg runs a query whose
    // name is undefined unnamed. driver-queries.test.ts runs an unmarked query through it on PostgreSQL.
    name: ((query: SqlQuery) => queries.get(query)) as (query: SqlQuery) => string,
    isPrepared: (sql) => names.has(sql),
  };
}

const processNames = statementNames();
export const markPrepared = processNames.mark;
export const statementName = processNames.name;
export const isPrepared = processNames.isPrepared;

/**
 * PrismaPg's options for a server at `url`: named statements unless the URL says `pgbouncer=true` (a transaction-mode
 * PgBouncer hands each transaction another backend, where the name is unknown). pg ignores the parameter.
 */
export function adapterOptions(url: string): ConstructorParameters<typeof PrismaPg>[1] {
  return new URL(url).searchParams.get("pgbouncer") === "true" ? {} : { statementNameGenerator: statementName };
}
