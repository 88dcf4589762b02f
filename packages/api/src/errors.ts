import { databaseErrorKind, Prisma } from "@memory-mirror/db";
import { TRPCError } from "@trpc/server";

/**
 * The one place database errors become tRPC errors. Returns undefined for errors that are not the
 * database's to explain (they stay INTERNAL_SERVER_ERROR).
 */
export function fromDatabaseError(error: unknown, input: unknown): TRPCError | undefined {
  // The database cannot serve anyone right now (refused, dropped, stalled, gone, pool exhausted): the server's
  // trouble, not the client's, and worth a retry. Raw queries and pg's own errors included (see databaseErrorKind).
  if (databaseErrorKind(error) === "unavailable") {
    return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The database is not reachable; try again", cause: error });
  }
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  const subject = describeSubject(input);
  switch (error.code) {
    case "P2002":
      return new TRPCError({ code: "CONFLICT", message: `A video analysis for ${subject} already exists`, cause: error });
    case "P2025":
      return notFound(input, error);
    case "P2000":
      return new TRPCError({ code: "BAD_REQUEST", message: "A value is too long for its column", cause: error });
  }
  return undefined;
}

export function notFound(input: unknown, cause?: unknown): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `No video analysis for ${describeSubject(input)}`, cause });
}

function describeSubject(input: unknown): string {
  const videoId = (input as { videoId?: unknown } | undefined)?.videoId;
  return typeof videoId === "string" ? `videoId "${videoId}"` : "this videoId";
}
