/** Pieces every REST contract (each resource's routes.ts) uses: JSON bodies, FastAPI's error bodies, query integers. */
import { z } from "@hono/zod-openapi";

/** A JSON response (or error) of this schema. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const httpError = z.object({ detail: z.string() }).openapi("HTTPError");
const validationErrorSchema = z
  .object({
    loc: z.array(z.union([z.string(), z.number().int()])),
    msg: z.string(),
    type: z.string(),
  })
  .openapi("ValidationError");
export const httpValidationError = z.object({ detail: z.array(validationErrorSchema) }).openapi("HTTPValidationError");

/** Query strings carry text: digits become a number for the shared schema, anything else fails it. */
export const queryInteger = (value: unknown) =>
  typeof value === "string" && /^\s*[+-]?\d{1,16}\s*$/.test(value) ? Number(value) : value;
