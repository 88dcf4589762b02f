/**
 * One SQL statement through the driver adapter beneath a PrismaClient: the adapter's `queryRaw`, which Prisma
 * Client itself calls for `$queryRaw`, without Prisma Client's request building, parameter round trip and result
 * mapping around it (a fifth of a single lookup's CPU: docs/performance.md). The adapter is the client's own, on the
 * same pool: the same timeouts (postgres.ts), the same errors (databaseErrorKind reads them as it reads Prisma's).
 * Only for a hot path whose statement is fixed; everything else goes through Prisma Client.
 */
import type { ArgType, SqlDriverAdapterFactory, SqlQueryable } from "@prisma/driver-adapter-utils";
import { StatementCancelledError } from "./errors.ts";
import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";
import { markPrepared, type PreparedKind } from "./prepared-statements.ts";
import { QueryVector } from "./query-vector.ts";
import { withStatementSignal } from "./statement-signal.ts";

/**
 * A statement's parameters: text, a number (a search's similarity threshold is a fraction), a list of texts (bound as
 * `text[]`), a query vector (`$2::vector`, in the form its database reads cheapest: query-vector.ts), or null (a
 * create's absent embedding, recording time or metadata). The statement casts each where PostgreSQL cannot infer its
 * type (`$3::int`), as with `$queryRaw`.
 */
export type DriverArg = string | number | readonly string[] | QueryVector | null;

/** Rows as the adapter gives them, one array of values per row in the order of `columns`. */
export interface DriverRows {
  columns: string[];
  rows: unknown[][];
}

export interface DriverQueryOptions {
  /**
   * Run as a named statement on PostgreSQL, parsed once per connection (prepared-statements.ts), out of this kind's
   * names: only for a hot statement whose text comes in a few shapes, its values all bound. The embedded database
   * ignores it.
   */
  prepared?: PreparedKind;
}

const factories = new WeakMap<PrismaClient, SqlDriverAdapterFactory>();
const connected = new WeakMap<PrismaClient, Promise<SqlQueryable>>();

/** Makes `client`'s adapter (the factory it was built with) available to `queryDriver`. */
export function withDriverQueries(client: PrismaClient, factory: SqlDriverAdapterFactory): PrismaClient {
  factories.set(client, factory);
  return client;
}

/**
 * Runs `sql` on `client`'s driver adapter. Values come back as the adapter reads them (timestamps and JSON as text).
 * With a `signal` (its caller's client may hang up), a statement not started when it aborts never starts, and on
 * PostgreSQL one running or waiting (a lock, a pool connection) is cancelled: StatementCancelledError either way.
 * The embedded database runs a statement synchronously in wasm, so one started there runs to its end.
 */
export async function queryDriver(
  client: PrismaClient,
  sql: string,
  args: DriverArg[],
  signal?: AbortSignal,
  { prepared }: DriverQueryOptions = {},
): Promise<DriverRows> {
  let queryable = connected.get(client);
  if (!queryable) {
    const factory = factories.get(client);
    // A client made without createDb has no adapter known here: a programming error, not a database failure.
    if (!factory) throw new Error("queryDriver: this PrismaClient was not made by createDb");
    // The factory's adapter shares the client's pool (PrismaPg over an external pool, PGlite's one instance).
    queryable = factory.connect();
    connected.set(client, queryable);
    // A failed connect is not kept: the next query tries again.
    queryable.catch(() => connected.delete(client));
  }
  const adapter = await queryable;
  if (signal?.aborted) throw new StatementCancelledError({ cause: signal.reason });
  const binary = adapter.adapterName === PG_ADAPTER;
  const values = args.map((arg) => (arg instanceof QueryVector ? vectorValue(arg, binary) : arg));
  const query = { sql, args: values, argTypes: values.map(argType) };
  if (prepared) markPrepared(query, prepared);
  try {
    const { columnNames, rows } = await (signal
      ? withStatementSignal(signal, () => adapter.queryRaw(query))
      : adapter.queryRaw(query));
    return { columns: columnNames, rows };
  } catch (error) {
    throw inWords(error);
  }
}

/**
 * `queryDriver` for a statement written with `Prisma.sql` (its `$1…` text and values), so a hot statement built from
 * parts (a list page's filters and cursor) keeps Prisma's composition. Its values must be DriverArgs: a Date or an
 * object would reach the database however the driver happens to write it, so it is refused here.
 */
export function queryDriverSql(
  client: PrismaClient,
  statement: Prisma.Sql,
  signal?: AbortSignal,
  options?: DriverQueryOptions,
): Promise<DriverRows> {
  return queryDriver(client, statement.text, statement.values.map(driverArg), signal, options);
}

function driverArg(value: unknown): DriverArg {
  if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) return value;
  if (value instanceof QueryVector) return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  throw new TypeError(
    `queryDriverSql: a ${typeof value} parameter is not text, a finite number, a list of texts or a QueryVector`,
  );
}

/**
 * An adapter's error says only its kind ("TableDoesNotExist"), the database's own words are in its `cause`: logs
 * need them, as Prisma Client's errors gave them. The adapter's error stays the cause, so databaseErrorKind reads it.
 */
function inWords(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== "DriverAdapterError") return error;
  const details: unknown = error.cause;
  const said =
    typeof details === "object" && details !== null && "originalMessage" in details
      ? String(details.originalMessage)
      : describe(details);
  return new Error(`${error.message}: ${said}`, { cause: error });
}

/** JSON where it can be (a cause with a cycle or a BigInt cannot), so the database's error is never lost to it. */
function describe(details: unknown): string {
  try {
    return JSON.stringify(details) ?? String(details);
  } catch {
    return String(details);
  }
}

/** @prisma/adapter-pg's name: pg sends a Buffer parameter in binary format, which a query vector can use. */
const PG_ADAPTER = "@prisma/adapter-pg";
/** The value the adapter is given for a query vector: its binary form where the driver sends it so and it is exact. */
const vectorValue = (vector: QueryVector, binary: boolean): string | Buffer =>
  (binary ? vector.binary() : null) ?? vector.text();

const TEXT: ArgType = { scalarType: "string", arity: "scalar" };
const TEXT_LIST: ArgType = { scalarType: "string", arity: "list" };
const INT: ArgType = { scalarType: "int", arity: "scalar" };
const FLOAT: ArgType = { scalarType: "float", arity: "scalar" };
const BYTES: ArgType = { scalarType: "bytes", arity: "scalar" };
// Both adapters pass a null through as it is, whatever its type says.
const NULL: ArgType = { scalarType: "unknown", arity: "scalar" };
function argType(arg: string | number | readonly string[] | Buffer | null): ArgType {
  if (arg === null) return NULL;
  if (typeof arg === "string") return TEXT;
  if (typeof arg === "number") return Number.isInteger(arg) ? INT : FLOAT;
  return Buffer.isBuffer(arg) ? BYTES : TEXT_LIST;
}
