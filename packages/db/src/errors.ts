import { Prisma } from "./generated/prisma/client.ts";

/** What a database failure means to a caller, independent of driver and of the data involved. */
export type DatabaseErrorKind = "unavailable" | "unique_violation" | "not_found" | "value_too_long";

/** Prisma codes meaning the database cannot serve anyone right now (unreachable, refused, gone, pool exhausted). */
const UNAVAILABLE = new Set(["P1000", "P1001", "P1002", "P1003", "P1008", "P1010", "P1011", "P1017", "P2024"]);

/** Classifies an error thrown by a query; undefined for errors that are not the database's to explain. */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  if (error.code === "P2002") return "unique_violation";
  if (error.code === "P2025") return "not_found";
  if (error.code === "P2000") return "value_too_long";
  return UNAVAILABLE.has(error.code) ? "unavailable" : undefined;
}
