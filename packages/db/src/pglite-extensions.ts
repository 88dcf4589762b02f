import { vector } from "@electric-sql/pglite-pgvector";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { unaccent } from "@electric-sql/pglite/contrib/unaccent";

/**
 * The PostgreSQL extensions the migrations create (CREATE EXTENSION), loaded into every embedded database the
 * same way: PGlite bundles contrib modules but only makes the ones it is given available.
 */
export const PGLITE_EXTENSIONS = { vector, pg_trgm, unaccent };
