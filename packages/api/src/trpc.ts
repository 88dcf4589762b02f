/**
 * tRPC setup: 1. context, 2. initialisation (error shape), 3. procedures.
 * Routers import from here only.
 */
import type { PrismaClient } from "@memory-mirror/db";
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { fromDatabaseError } from "./errors.ts";

// 1. Context --------------------------------------------------------------------------------------------------

export interface CreateContextOptions {
  prisma: PrismaClient;
}

/** Built from plain values, so tests and the REST layer can create it without any HTTP request. */
export function createContext(opts: CreateContextOptions) {
  return { prisma: opts.prisma };
}
export type Context = ReturnType<typeof createContext>;

// 2. Initialisation -------------------------------------------------------------------------------------------

/** Stack traces and internal messages only when explicitly developing; never by default. */
const isDev = process.env.NODE_ENV === "development";

export interface InputIssue {
  path: string;
  message: string;
}

/** Documentation a procedure carries (the OpenAPI document reads it). */
export interface ProcedureMeta {
  summary: string;
  /** Codes it answers besides those any procedure can (BAD_REQUEST, INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE). */
  errors?: TRPC_ERROR_CODE_KEY[];
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  isDev,
  errorFormatter({ shape, error }) {
    const issues =
      error.code === "BAD_REQUEST" && error.cause instanceof z.ZodError
        ? error.cause.issues.map((i): InputIssue => ({ path: i.path.join(".") || "(input)", message: i.message }))
        : null;
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

/** Maps database errors (unique violation, missing row, unreachable database) to tRPC codes, once for all. */
const databaseErrors = t.middleware(async ({ next, getRawInput }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = fromDatabaseError(result.error.cause, await getRawInput().catch(() => undefined));
    if (mapped) throw mapped;
  }
  return result;
});

export const publicProcedure = t.procedure.use(databaseErrors);
export { TRPCError };
