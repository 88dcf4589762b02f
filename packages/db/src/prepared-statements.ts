/**
 * Named (prepared) statements for the searches' big statements on PostgreSQL. Parsing and analysing the candidate
 * statement (6–10 KB of SQL: CTEs, vocabulary lookups, full-text functions) cost its backend about an eighth of the
 * statement's CPU on every search (docs/performance.md, "The searches' statements, prepared"); a named statement is
 * parsed once per connection. Every execution is still planned with its values (SESSION_SETTINGS' plan_cache_mode),
 * as an unnamed statement is: a generic plan could pick other rows under a rank window's LIMIT, and would price the
 * vocabulary's trigram index without the word.
 */
import type { SqlQuery } from "@prisma/driver-adapter-utils";

/**
 * Distinct statement texts a process prepares at most: each costs every pooled connection that runs it about 256 KB
 * of its backend's memory (the parsed and analysed statement), and a text beyond these runs unnamed as before. The
 * searches' texts vary only with the count of query words looked up, the signals and the filters asked for.
 */
export const MAX_PREPARED_TEXTS = 24;

const names = new Map<string, string>();
const queries = new WeakMap<SqlQuery, string>();

/** Marks `query` (about to go to the adapter) to run as the named statement of its text, while names remain. */
export function markPrepared(query: SqlQuery): void {
  let name = names.get(query.sql);
  if (name === undefined) {
    if (names.size >= MAX_PREPARED_TEXTS) return;
    name = `mm_statement_${names.size + 1}`;
    names.set(query.sql, name);
  }
  queries.set(query, name);
}

/**
 * PrismaPg's statementNameGenerator: the name of a marked query, else none (pg reads an undefined name as an
 * unnamed statement; the option's type says string only).
 */
export const statementName = ((query: SqlQuery) => queries.get(query)) as (query: SqlQuery) => string;
