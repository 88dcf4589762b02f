/**
 * tRPC setup: 1. context, 2. initialisation (error shape), 3. procedures.
 * Routers import from here only.
 */
import type { PrismaClient, ReadRouting } from "@memory-mirror/db";
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { type Principal, requireKey, requireScopes } from "./access/principal.ts";
import type { KeyScope } from "./access/schemas.ts";
import { type BudgetLimits, ResponseBudget } from "./budget.ts";
import { DomainError, type DomainErrorKind, ForbiddenError, type InputIssue, InvalidInputError } from "./errors.ts";
import type { ChangeFeed } from "./changes/feed.ts";
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RESPONSE_ROWS } from "./limits.ts";
import type { RequestReads } from "./read-routing.ts";
import { createVideoLookups, type VideoLookups } from "./video-analysis/video-lookups.ts";

// 1. Context --------------------------------------------------------------------------------------------------

export interface CreateContextOptions {
  prisma: PrismaClient;
  /** Who is calling; resolved by the transport from the request's key (or ANONYMOUS with AUTH=off). */
  principal: Principal;
  /** The one space every operation of this request acts in (see resolveSpace). */
  space: string;
  /** Limits on everything one request may return; defaults to the documented ones. */
  limits?: BudgetLimits;
  /** Earlier versions kept per analysis (HISTORY_LIMIT); the service's default when not given. */
  historyLimit?: number;
  /** Where read-only operations run (Database.reads); without it, everything runs on `prisma`. */
  reads?: ReadRouting;
  /** The caller asked to read from the primary (X-MM-Read-From: primary): fresh data whoever wrote it. */
  readFromPrimary?: boolean;
  /** The process's change feed (videoAnalysis.onChange); without it subscriptions answer SERVICE_UNAVAILABLE. */
  changes?: ChangeFeed;
  /** Called once per finished call (metrics); the api itself keeps no record. */
  observe?: (call: CallRecord) => void;
}

/** One finished procedure call, as metrics see it. */
export interface CallRecord {
  procedure: string;
  /** "OK", or the tRPC error code the call ended with. */
  code: string;
  durationMs: number;
}

/** Built from plain values, so tests, REST and MCP can create it without any HTTP request. One per request. */
export function createContext(opts: CreateContextOptions) {
  const lookups = createVideoLookups(opts.prisma, opts.space);
  return {
    prisma: opts.prisma,
    principal: opts.principal,
    space: opts.space,
    lookups,
    reads: opts.reads && requestReads(opts.reads, opts, lookups),
    budget: new ResponseBudget(
      opts.limits ?? { maxRows: DEFAULT_MAX_RESPONSE_ROWS, maxBytes: DEFAULT_MAX_RESPONSE_BYTES },
    ),
    observe: opts.observe,
    changes: opts.changes,
    historyLimit: opts.historyLimit,
  };
}
export type Context = ReturnType<typeof createContext>;

function requestReads(routing: ReadRouting, opts: CreateContextOptions, primaryLookups: VideoLookups): RequestReads {
  const loaders = new Map<PrismaClient, VideoLookups>([[opts.prisma, primaryLookups]]);
  return {
    routing,
    primary: opts.readFromPrimary ?? false,
    lookups(client) {
      let loader = loaders.get(client);
      if (!loader) loaders.set(client, (loader = createVideoLookups(client, opts.space)));
      return loader;
    },
  };
}

// 2. Initialisation -------------------------------------------------------------------------------------------

/** Stack traces and internal messages only when explicitly developing; never by default. */
const isDev = process.env.NODE_ENV === "development";

/** Documentation a procedure carries (the OpenAPI document reads it), and who may call it. */
export interface ProcedureMeta {
  summary: string;
  /** Codes it answers besides those any procedure can (BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, …). */
  errors?: TRPC_ERROR_CODE_KEY[];
  /**
   * Every key scope the call needs: the one declaration of its permissions, enforced for tRPC and MCP here and for
   * REST by the route that serves the same procedure (accessOf). A write whose answer holds stored content the caller
   * did not send (update, delete, upsert) needs `read` too, so a write-only key never reads through a write.
   */
  scopes: readonly KeyScope[];
  /** Only a real key may call it, never the anonymous caller of AUTH=off (key management). */
  keyOnly?: boolean;
  /** Scopes that some inputs need besides `scopes` (restoring versions and timestamps needs `admin`). */
  inputScopes?: InputScopes;
  /** A subscription's events (it has no output parser: the OpenAPI document reads them here). */
  events?: z.ZodType;
}

/**
 * Scopes an operation needs for some inputs only, decided from the input as the caller sent it: before validation,
 * so no transport reaches the operation around the check, and a refused caller learns nothing about its input.
 */
export interface InputScopes {
  scopes: readonly KeyScope[];
  /** Whether this input (raw, unvalidated) needs them. */
  when: (rawInput: unknown) => boolean;
  /** The refusal's message, for the key that lacks them. */
  refusal: (keyName: string) => string;
}

/** Everything a procedure's meta says about who may call it, for this input (raw; omitted: the static part only). */
export function requireAccess(
  principal: Principal,
  meta: Pick<ProcedureMeta, "scopes" | "keyOnly" | "inputScopes">,
  rawInput?: unknown,
): void {
  requireScopes(principal, meta.scopes);
  if (meta.keyOnly) requireKey(principal);
  const conditional = meta.inputScopes;
  if (conditional && rawInput !== undefined && conditional.when(rawInput)) {
    if (!conditional.scopes.every((scope) => principal.scopes.includes(scope)))
      throw new ForbiddenError(conditional.refusal(principal.name));
  }
}

function inputIssues(cause: unknown): InputIssue[] | null {
  if (cause instanceof z.ZodError) {
    return cause.issues.map((i) => ({ path: i.path.join(".") || "(input)", message: i.message }));
  }
  return cause instanceof InvalidInputError ? cause.issues : null;
}

const isProgramError = (cause: unknown) =>
  cause instanceof TypeError || cause instanceof RangeError || cause instanceof ReferenceError;

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    isDev,
    // Subscriptions (SSE): a ping keeps idle proxies from closing a quiet stream, and a client that hears nothing,
    // not even pings, for three intervals reconnects (resuming from its last event id).
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 45_000 } },
    errorFormatter({ shape, error }) {
      const issues = error.code === "BAD_REQUEST" ? inputIssues(error.cause) : null;
      let message = shape.message;
      if (issues)
        message = issues.map((i) => (i.message.includes(i.path) ? i.message : `${i.path}: ${i.message}`)).join("; ");
      // The parser's own words (positions, tokens) help nobody and leak internals.
      else if (error.code === "PARSE_ERROR" || error.cause instanceof SyntaxError)
        message = "The request is not valid JSON";
      // A JavaScript error raised while checking input is this server's bug, and its words mean nothing to a person.
      else if (error.code === "BAD_REQUEST" && isProgramError(error.cause))
        message = "The input could not be checked; see the API documentation for its shape";
      // Internal messages can carry SQL or driver details: a client sees only that something failed.
      else if (error.code === "INTERNAL_SERVER_ERROR" && !isDev) message = "Internal server error";
      return { ...shape, message, data: { ...shape.data, issues } };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures -----------------------------------------------------------------------------------------------

/** The tRPC code of each domain error kind: the only place tRPC learns what the service meant. */
export const TRPC_CODE_OF: Record<DomainErrorKind, TRPC_ERROR_CODE_KEY> = {
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  invalid: "BAD_REQUEST",
  unavailable: "SERVICE_UNAVAILABLE",
  unauthorized: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  too_large: "PAYLOAD_TOO_LARGE",
  client_closed: "CLIENT_CLOSED_REQUEST",
};

function toTRPCError(error: unknown): unknown {
  if (!(error instanceof DomainError)) return error;
  return new TRPCError({ code: TRPC_CODE_OF[error.kind], message: error.message, cause: error });
}

/**
 * What every call needs, as one middleware (tRPC copies its options object several times per middleware and call,
 * which showed in profiles of batches): the caller's key must hold every scope the procedure's meta declares; a
 * domain error becomes its tRPC code; and the outcome goes to whoever built the context (metrics), if anyone.
 */
const guarded = t.middleware(async ({ ctx, meta, path, next, getRawInput }) => {
  const started = performance.now();
  let code = "OK";
  try {
    // A procedure that declares nothing is refused (fail closed) rather than guessed from its type.
    if (!meta?.scopes) throw new Error(`Procedure ${path} declares no scopes`);
    requireAccess(ctx.principal, meta, meta.inputScopes ? await getRawInput() : undefined);
    const result = await next();
    if (!result.ok) {
      const mapped = toTRPCError(result.error.cause);
      if (mapped instanceof TRPCError) throw mapped;
      code = result.error.code;
    }
    return result;
  } catch (error) {
    const mapped = toTRPCError(error);
    code = mapped instanceof TRPCError ? mapped.code : "INTERNAL_SERVER_ERROR";
    throw mapped;
  } finally {
    ctx.observe?.({ procedure: path, code, durationMs: performance.now() - started });
  }
});

export const procedure = t.procedure.use(guarded);
