/**
 * Errors in the shape clients of the original (FastAPI) service parse:
 * `{"detail": "message"}` for 4xx/5xx, and for 422 `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`.
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";

/** Where a value came from, named as FastAPI names it in `loc`. */
export type Location = "body" | "path" | "query";

export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export const NOT_FOUND_DETAIL = "Video analysis not found";
export const CONFLICT_DETAIL = "Video analysis for this video_id already exists";

/** The procedures' camelCase field names as the REST API spells them. */
const restNames: Record<string, string> = { videoId: "video_id", createdAt: "created_at", updatedAt: "updated_at" };
export const restName = (name: string): string => restNames[name] ?? name;

/** Messages of the shared schemas say "videoId"; a REST client sent "video_id". */
const renameInMessage = (msg: string) => msg.replace(/\b(videoId|createdAt|updatedAt)\b/g, (n) => restName(n));

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
      if (issue.expected === "number" || issue.expected === "int") return location === "query" ? "int_parsing" : "int_type";
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
 * `locationOf` says where a top-level field came from (a procedure input mixes path and body fields).
 */
export function issuesToDetail(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  locationOf: (field: PropertyKey | undefined) => Location,
): ValidationDetail[] {
  return issues.map((issue) => {
    const location = locationOf(issue.path[0]);
    const loc = [location, ...issue.path.map((p) => (typeof p === "string" ? restName(p) : typeof p === "number" ? p : String(p)))];
    if (issue.code === "invalid_type" && issue.path.length > 0 && valueAt(raw, issue.path) === undefined) {
      return { loc, msg: "Field required", type: "missing" };
    }
    return { loc, msg: renameInMessage(issue.message), type: pydanticType(issue, location) };
  });
}

export function validationError(c: Context, detail: ValidationDetail[]): Response {
  return c.json({ detail }, 422);
}

export function detailError(c: Context, status: ContentfulStatusCode, detail: string): Response {
  return c.json({ detail }, status);
}

/**
 * A procedure's error as the REST answer: the status tRPC itself would use, FastAPI's body.
 * Returns undefined for INTERNAL_SERVER_ERROR so the caller logs it and answers a bare 500.
 */
export function fromProcedureError(
  c: Context,
  error: unknown,
  input: unknown,
  locationOf: (field: PropertyKey | undefined) => Location,
): Response | undefined {
  if (!(error instanceof TRPCError) || error.code === "INTERNAL_SERVER_ERROR") return undefined;
  if (error.code === "BAD_REQUEST" && error.cause instanceof z.ZodError) {
    return validationError(c, issuesToDetail(error.cause.issues, input, locationOf));
  }
  if (error.code === "NOT_FOUND") return detailError(c, 404, NOT_FOUND_DETAIL);
  if (error.code === "CONFLICT") return detailError(c, 409, CONFLICT_DETAIL);
  return detailError(c, getHTTPStatusCodeFromError(error) as ContentfulStatusCode, error.message);
}
