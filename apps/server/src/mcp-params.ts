/**
 * MCP requests whose params do not fit the method's schema (a tools/call with `arguments: null`, say). The MCP SDK's
 * server answers them -32603 "internal error" (its dispatch lets the schema's ZodError escape; the SDK's issue 2284),
 * telling the client the server broke when its own request was wrong. Checked here first, with the SDK's own
 * schemas, and answered -32602 "invalid params" naming the field, as JSON-RPC assigns.
 */
import { ClientRequestSchema, ErrorCode } from "@modelcontextprotocol/sdk/types.js";

const schemaOf = new Map<string, (typeof ClientRequestSchema.options)[number]>(
  ClientRequestSchema.options.map((schema) => [schema.shape.method.value, schema]),
);

interface JsonRpcError {
  jsonrpc: "2.0";
  id: string | number | null;
  error: { code: number; message: string };
}

function invalidParams(message: unknown): JsonRpcError | undefined {
  if (typeof message !== "object" || message === null || !("id" in message) || !("method" in message)) return;
  const { id, method } = message;
  const schema = typeof method === "string" ? schemaOf.get(method) : undefined;
  // Other shapes (no id, an unknown method) are the SDK's to answer: it names those rightly.
  if (!schema || typeof method !== "string" || (typeof id !== "string" && typeof id !== "number")) return;
  const parsed = schema.safeParse(message);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.join(".") === "params.arguments"
      ? `params.arguments must be an object of the tool's named arguments (${issue.message.replace(/^Invalid input: /, "")})`
      : `${issue.path.join(".") || "the request"}: ${issue.message.replace(/^Invalid input: /, "")}`,
  );
  return {
    jsonrpc: "2.0",
    id,
    error: { code: ErrorCode.InvalidParams, message: `Invalid params for ${method}: ${problems.join("; ")}` },
  };
}

/**
 * The answer to a body holding a request with invalid params, or undefined when every request's params fit. A single
 * request gets its JSON-RPC error (200, as every JSON-RPC answer); a batch holding one is refused whole (400), since
 * answering only some of its requests would leave the client waiting on the others.
 */
export function refuseInvalidParams(body: unknown): { status: 200 | 400; json: unknown } | undefined {
  if (!Array.isArray(body)) {
    const error = invalidParams(body);
    return error && { status: 200, json: error };
  }
  const errors = body.map(invalidParams).filter((e) => e !== undefined);
  if (errors.length === 0) return;
  const message = errors.map((e) => `request ${JSON.stringify(e.id)}: ${e.error.message}`).join("; ");
  return { status: 400, json: { jsonrpc: "2.0", id: null, error: { code: ErrorCode.InvalidParams, message } } };
}
