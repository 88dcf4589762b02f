/**
 * Errors in the shape clients of the original (FastAPI) service parse:
 * `{"detail": "message"}` for 4xx/5xx, and for 422 `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`.
 */
import type { Hook } from "@hono/zod-openapi";
import {
  AlreadyExistsError,
  DomainError,
  type DomainErrorKind,
  InvalidInputError,
  VersionConflictError,
} from "@memory-mirror/api";
import type { Context, ErrorHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { AppEnv } from "../request-variables.ts";
import { type Logger, logDatabaseRefusal } from "../logger.ts";
import { problemOf, restProblem } from "../problems.ts";
import { etagOf } from "./etag.ts";
import { inRestWords, restName } from "./names.ts";

/** Where a value came from, named as FastAPI names it in `loc`. */
type Location = "body" | "path" | "query";

interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The original's fixed texts, which its clients may compare against. */
const DETAIL: Partial<Record<DomainErrorKind, [ContentfulStatusCode, string]>> = {
  not_found: [404, "Video analysis not found"],
};
/** Only a create's collision is the original's "already exists"; a write that lost a race says so (its message). */
const ALREADY_EXISTS = "Video analysis for this video_id already exists";

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** pydantic's error type for a zod issue, so clients branching on `type` keep working. */
function pydanticType(issue: z.core.$ZodIssue, location: Location): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.expected === "object") return "model_attributes_type";
      // A query value is a string that failed to parse; in a JSON body it had the wrong JSON type.
      if (issue.expected === "number" || issue.expected === "int")
        return location === "query" ? "int_parsing" : "int_type";
      return `${issue.expected}_type`;
    case "too_small":
      return issue.origin === "string" ? "string_too_short" : "greater_than_equal";
    case "too_big":
      return issue.origin === "string" ? "string_too_long" : "less_than_equal";
    case "unrecognized_keys":
      return "extra_forbidden";
    default:
      return "value_error";
  }
}

/**
 * Zod issues as FastAPI's 422 detail items. `raw` is the value that was validated: a field missing from it is
 * reported as pydantic does ("missing", "Field required") rather than as a type error.
 */
function issuesToDetail(issues: readonly z.core.$ZodIssue[], raw: unknown, location: Location): ValidationDetail[] {
  return issues.map((issue) => {
    const loc = [location, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
    if (issue.code === "invalid_type" && issue.path.length > 0 && valueAt(raw, issue.path) === undefined) {
      return { loc, msg: "Field required", type: "missing" };
    }
    // Shared schemas' refinements may name a field as the service does (context needs … videoIds).
    return { loc, msg: inRestWords(issue.message), type: pydanticType(issue, location) };
  });
}

/**
 * Input the service refused (InvalidInputError), located as FastAPI would: the field's REST path under the body,
 * or under the query for requests without one (a list's cursor). "(input)" is the request's input as a whole.
 */
function serviceIssuesToDetail(c: Context, error: InvalidInputError): ValidationDetail[] {
  const location: Location = c.req.method === "GET" || c.req.method === "HEAD" ? "query" : "body";
  return error.issues.map(({ path, message }) => ({
    loc: [
      location,
      ...(path === "(input)" ? [] : path.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : restName(p)))),
    ],
    msg: inRestWords(message),
    type: "value_error",
  }));
}

const validationError = (c: Context, detail: ValidationDetail[]) => c.json({ detail }, 422);
export const detailError = (c: Context, status: ContentfulStatusCode, detail: string) => c.json({ detail }, status);

const locations: Partial<Record<string, Location>> = { json: "body", param: "path", query: "query" };

/** Failed request validation → FastAPI's 422 detail naming each field. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  // The validator hands the hook the raw value as `data` on failure too (its types leave it out): no re-reading.
  const raw = "data" in result ? result.data : undefined;
  return validationError(c, issuesToDetail(result.error.issues, raw, locations[result.target] ?? "body"));
};

/** A POST or PUT without a body is "body: Field required", never an empty object that happens to validate. */
export const requireBody = createMiddleware<AppEnv>(async (c, next) => {
  const text = await c.req.text();
  if (text.trim() === "") return validationError(c, [{ loc: ["body"], msg: "Field required", type: "missing" }]);
  await next();
});

/** Domain errors and Hono's request errors as FastAPI answers; anything else is logged and a bare 500. */
export function restErrorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof VersionConflictError) {
      // Only If-Match makes a REST write conditional: RFC 9110's answer to a failed precondition is 412.
      const now = error.current
        ? `it is at version ${error.current.version} now (ETag ${etagOf(error.current)})`
        : "it no longer exists";
      return detailError(c, 412, `Precondition failed: If-Match does not match the analysis; ${now}`);
    }
    if (error instanceof AlreadyExistsError) return detailError(c, 409, ALREADY_EXISTS);
    if (error instanceof DomainError) {
      const fixed = DETAIL[error.kind];
      if (fixed) return detailError(c, ...fixed);
      // Input the service refused is FastAPI's 422; every other kind is `{"detail"}` with its own status.
      if (error instanceof InvalidInputError) {
        logDatabaseRefusal(logger, error, c.var.requestId);
        return validationError(c, serviceIssuesToDetail(c, error));
      }
      return restProblem(c, problemOf(error));
    }
    if (error instanceof HTTPException) {
      // Hono's JSON validator found no parseable JSON: FastAPI's answer is a 422 of type json_invalid.
      if (error.status === 400 && /JSON/i.test(error.message)) {
        return validationError(c, [{ loc: ["body"], msg: "JSON decode error", type: "json_invalid" }]);
      }
      if (error.status === 415) return detailError(c, 415, "Unsupported Media Type: send the body as application/json");
      return detailError(c, error.status, error.message || "Bad Request");
    }
    logger.error({ err: error, reqId: c.var.requestId }, "REST call failed");
    return detailError(c, 500, "Internal Server Error");
  };
}
