/**
 * Every limit and default of the API in one place: the schemas, the services, the server's configuration
 * defaults, the typed client and the CLI read them from here (through `@memory-mirror/api/schemas`, or
 * `@memory-mirror/api/limits` alone, which the typed client uses so that a browser bundle carries no schema).
 */

// --- what one analysis may hold ----------------------------------------------------------------------------------
export const VIDEO_ID_MAX_LENGTH = 256;
export const DESCRIPTION_MAX_LENGTH = 50_000;
export const TAGS_MAX = 32;
export const TAG_MAX_LENGTH = 64;
export const EMBEDDING_MAX_DIMENSIONS = 2000;
export const EMBEDDING_MODEL_MAX_LENGTH = 200;
/** The largest version a column holds (PostgreSQL int). */
export const VERSION_MAX = 2_147_483_647;
/** metadata: at most this many bytes as JSON, keys in all its objects, and levels of nesting. */
export const METADATA_MAX_BYTES = 16 * 1024;
export const METADATA_MAX_KEYS = 64;
export const METADATA_MAX_DEPTH = 4;
/** The earliest recordedAt accepted: nothing was filmed before it, so an earlier one is a mistake (a year 19 typo). */
export const RECORDED_AT_MIN = "1900-01-01T00:00:00Z";
/** How far ahead of the server's clock a recordedAt may be: a camera's clock a little fast, not a future date. */
export const RECORDED_AT_MAX_AHEAD_MS = 24 * 60 * 60 * 1000;
/** The largest version a restore may set: the row must stay writable (each write adds one) for a long while. */
export const RESTORE_VERSION_MAX = 1_000_000_000;
/** How far ahead of the server's clock a restored timestamp may be (clocks differ a little between machines). */
export const RESTORE_MAX_AHEAD_MS = 24 * 60 * 60 * 1000;

// --- pages and bulk calls ----------------------------------------------------------------------------------------
export const LIST_LIMIT_MAX = 1000;
export const LIST_LIMIT_DEFAULT = 100;
/** Most items one bulk call takes: a backfill is many calls of this size, never one unbounded request. */
export const BULK_MAX_ITEMS = 1000;
/** Earlier versions kept per analysis unless HISTORY_LIMIT says otherwise; 0 keeps none. */
export const HISTORY_LIMIT_DEFAULT = 50;
export const HISTORY_PAGE_MAX = 100;
export const HISTORY_PAGE_DEFAULT = 20;
export const EXPORT_PAGE_MAX = 1000;
/** An export page ends before this many bytes of text (or the request's remaining budget, when that is less). */
export const EXPORT_PAGE_BYTES = 8 * 1024 * 1024;

// --- retrieval ---------------------------------------------------------------------------------------------------
export const QUERY_MAX_LENGTH = 1000;
/** A time phrase ("Christmas 2021") is short; a longer one is a question sent to the wrong field. */
export const WHEN_MAX_LENGTH = 100;
export const SEARCH_LIMIT_MAX = 100;
export const SEARCH_LIMIT_DEFAULT = 10;
export const TAGS_LIMIT_MAX = 1000;
export const TAGS_LIMIT_DEFAULT = 100;
export const CONTEXT_MIN_CHARS = 200;
export const CONTEXT_MAX_CHARS = 100_000;
export const CONTEXT_VIDEO_IDS_MAX = 100;
/** About 1,000 tokens: room for a handful of whole memories without crowding a prompt. */
export const CONTEXT_DEFAULT_CHARS = 4000;
/** At least half of what was asked (see a search hit's score): below it a memory shares a word, not an answer. */
export const MIN_SCORE_DEFAULT = 0.5;
/** Context leaves out a memory scoring less than this share of the best one's score, however high it is. */
export const CONTEXT_RELATIVE_SCORE = 0.75;

// --- one request (defaults of the server's MAX_* variables) -------------------------------------------------------
/** Most calls one tRPC batch may hold by default: the server's MAX_BATCH_SIZE and the typed client's split size. */
export const DEFAULT_MAX_BATCH_SIZE = 100;
/** Largest request body the server accepts by default (MAX_BODY_BYTES). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Most rows and bytes of stored text one request's answers may hold by default (MAX_RESPONSE_ROWS/BYTES). */
export const DEFAULT_MAX_RESPONSE_ROWS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
