import { DriverAdapterError } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { databaseErrorKind, DatabaseTimeoutError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";

const known = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(`failed (${code})`, { code, clientVersion: "7", ...(meta ? { meta } : {}) });
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: "connect", errno: -1 });
const sqlError = (code: string) => {
  const error = new pg.DatabaseError("server says no", 0, "error");
  error.code = code;
  error.severity = "FATAL";
  return error;
};

describe("databaseErrorKind", () => {
  it.each([
    ["P2002", "unique_violation"],
    ["P2025", "not_found"],
    ["P2000", "value_too_long"],
    ["P1001", "unavailable"],
    ["P1017", "unavailable"],
    ["P2024", "unavailable"],
    ["P2003", undefined],
  ] as const)("Prisma %s is %s", (code, kind) => {
    expect(databaseErrorKind(known(code))).toBe(kind);
  });

  it("reads driver-adapter errors, thrown raw or inside a raw query's P2010", () => {
    const refused = new DriverAdapterError({ kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 });
    expect(databaseErrorKind(refused)).toBe("unavailable");
    expect(databaseErrorKind(known("P2010", { driverAdapterError: refused }))).toBe("unavailable");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "ConnectionClosed" }))).toBe("unavailable");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "SocketTimeout" }))).toBe("unavailable");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "TooManyConnections", cause: "53300" }))).toBe("unavailable");
    const duplicate = new DriverAdapterError({ kind: "UniqueConstraintViolation", constraint: { fields: ["videoId"] } });
    expect(databaseErrorKind(known("P2010", { driverAdapterError: duplicate }))).toBe("unique_violation");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "LengthMismatch", column: "videoId" }))).toBe("value_too_long");
    const shutdown = new DriverAdapterError({ kind: "postgres", code: "57P01", severity: "FATAL", message: "terminating", detail: undefined, column: undefined, hint: undefined, originalCode: "57P01" });
    expect(databaseErrorKind(shutdown)).toBe("unavailable");
    const syntax = new DriverAdapterError({ kind: "postgres", code: "42601", severity: "ERROR", message: "syntax", detail: undefined, column: undefined, hint: undefined, originalCode: "42601" });
    expect(databaseErrorKind(known("P2010", { driverAdapterError: syntax }))).toBeUndefined();
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"])("socket error %s is unavailable", (code) => {
    expect(databaseErrorKind(socketError(code))).toBe("unavailable");
  });

  it.each(["57P01", "57P02", "57P03", "57014", "08006", "08001", "53300", "3D000"])("SQLSTATE %s is unavailable", (code) => {
    expect(databaseErrorKind(sqlError(code))).toBe("unavailable");
  });

  it("reads SQLSTATEs of constraint and length errors, and leaves other server errors alone", () => {
    expect(databaseErrorKind(sqlError("23505"))).toBe("unique_violation");
    expect(databaseErrorKind(sqlError("22001"))).toBe("value_too_long");
    expect(databaseErrorKind(sqlError("42P01"))).toBeUndefined();
    expect(databaseErrorKind(sqlError("23503"))).toBeUndefined();
  });

  it.each([
    "Connection terminated unexpectedly",
    "Connection terminated due to connection timeout",
    "Query read timeout",
    "timeout exceeded when trying to connect",
    "Client has encountered a connection error and is not queryable",
    "Cannot use a pool after calling end on the pool",
  ])("node-postgres's code-less %j is unavailable", (message) => {
    expect(databaseErrorKind(new Error(message))).toBe("unavailable");
  });

  it("follows cause chains and AggregateError (a refused 'localhost' tries ::1 and 127.0.0.1)", () => {
    const aggregate = new AggregateError([socketError("ECONNREFUSED"), socketError("ECONNREFUSED")], "");
    expect(databaseErrorKind(aggregate)).toBe("unavailable");
    const wrapped = new Error("procedure failed", { cause: new Error("pool", { cause: aggregate }) });
    expect(databaseErrorKind(wrapped)).toBe("unavailable");
    expect(databaseErrorKind(new Error("Connection terminated due to connection timeout", { cause: new Error("x") }))).toBe("unavailable");
    expect(databaseErrorKind(new DatabaseTimeoutError(1000))).toBe("unavailable");
  });

  it("lets the outermost meaningful error win, and survives cycles", () => {
    expect(databaseErrorKind(known("P2025", { driverAdapterError: new DriverAdapterError({ kind: "ConnectionClosed" }) }))).toBe("not_found");
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    Object.assign(a, { cause: b });
    expect(databaseErrorKind(a)).toBeUndefined();
  });

  it("is undefined for anything that is not a database error", () => {
    for (const value of [undefined, null, "ECONNREFUSED", 42, new Error("boom"), new TypeError("x is undefined"), { code: "P2002" }]) {
      expect(databaseErrorKind(value)).toBeUndefined();
    }
  });
});
