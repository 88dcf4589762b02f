/**
 * tRPC setup: 1. context, 2. initialisation (error shape), 3. procedures.
 * Routers import from here only.
 */
import type { PrismaClient } from "@memory-mirror/db";
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { DomainError, type DomainErrorKind, type InputIssue, InvalidInputError } from "./errors.ts";

// 1. Context --------------------------------------------------------------------------------------------------

export interface CreateContextOptions {
  prisma: PrismaClient;
}

/** Built from plain values, so tests, REST and MCP can create it without any HTTP request. */
export function createContext(opts: CreateContextOptions) {
  return { prisma: opts.prisma };
}
export type Context = ReturnType<typeof createContext>;

// 2. Initialisation -------------------------------------------------------------------------------------------

/** Stack traces and internal messages only when explicitly developing; never by default. */
const isDev = process.env.NODE_ENV === "development";

/** Documentation a procedure carries (the OpenAPI document reads it). */
export interface ProcedureMeta {
  summary: string;
  /** Codes it answers besides those any procedure can (BAD_REQUEST, INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE). */
  errors?: TRPC_ERROR_CODE_KEY[];
}

function inputIssues(cause: unknown): InputIssue[] | null {
  if (cause instanceof z.ZodError) {
    return cause.issues.map((i) => ({ path: i.path.join(".") || "(input)", message: i.message }));
  }
  return cause instanceof InvalidInputError ? cause.issues : null;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  isDev,
  errorFormatter({ shape, error }) {
    const issues = error.code === "BAD_REQUEST" ? inputIssues(error.cause) : null;
    let message = shape.message;
    if (issues) message = issues.map((i) => (i.message.includes(i.path) ? i.message : `${i.path}: ${i.message}`)).join("; ");
    // Internal messages can carry SQL or driver details: a client sees only that something failed.
    else if (error.code === "INTERNAL_SERVER_ERROR" && !isDev) message = "Internal server error";
    return { ...shape, message, data: { ...shape.data, issues } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures -----------------------------------------------------------------------------------------------

/** The tRPC code of each domain error kind: the only place tRPC learns what the service meant. */
const codes: Record<DomainErrorKind, TRPC_ERROR_CODE_KEY> = {
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  invalid: "BAD_REQUEST",
  unavailable: "SERVICE_UNAVAILABLE",
};

const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: codes[cause.kind], message: cause.message, cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(domainErrors);
