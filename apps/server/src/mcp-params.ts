/**
 * MCP requests whose params do not fit the method's schema (a tools/call with `arguments: null`, say). The MCP SDK's
 * server answers them -32603 "internal error" (its dispatch lets the schema's ZodError escape; the SDK's issue 2284),
 * telling the client the server broke when its own request was wrong. Checked here with the SDK's own schemas, on
 * each message the transport hands on (so after its own checks: Accept, Content-Type, the JSON-RPC envelope, the
 * protocol-version header), and answered -32602 "invalid params" naming the field, as JSON-RPC assigns.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ClientRequestSchema,
  ErrorCode,
  isJSONRPCRequest,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";

const schemaOf = new Map<string, (typeof ClientRequestSchema.options)[number]>(
  ClientRequestSchema.options.map((schema) => [schema.shape.method.value, schema]),
);

function invalidParams(message: JSONRPCMessage): JSONRPCErrorResponse | undefined {
  if (!isJSONRPCRequest(message)) return;
  const { id, method } = message;
  const schema = schemaOf.get(method);
  // An unknown method is the SDK's to answer: it names that rightly (-32601).
  if (!schema) return;
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
 * Call after the server is connected to the transport: each request with invalid params is answered -32602 on the
 * transport instead of reaching the server. A batch's other requests are still answered, each with its own id.
 */
export function answerInvalidParams(transport: Transport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const error = invalidParams(message);
    if (!error) return deliver?.(message, extra);
    // The transport's answer waits on this one; a send that fails has no one else to tell.
    transport.send(error).catch((cause: unknown) => transport.onerror?.(cause as Error));
  };
}
