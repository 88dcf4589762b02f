import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeFailure } from "./tool-errors.ts";

/** Called with the original error when a tool failed internally, so the host can log what the model never sees. */
export type InternalErrorHandler = (error: unknown, tool: string) => void;

/** A tool's answer for a model: text to read, and the same answer as data matching the tool's outputSchema. */
export interface Presented {
  text: string;
  structuredContent: Record<string, unknown>;
}

/**
 * Runs a tool's call: its value as JSON text (or as `present` writes it), or a tool error (`isError: true`) with a
 * readable message. Failures stay tool results, never protocol errors, so the model can read them and act (e.g.
 * update instead of create). A refusal that passes says when to retry, in its text and as `_meta.retryAfterSeconds`.
 */
export async function toolResult<T>(
  tool: string,
  call: () => Promise<T>,
  onInternalError?: InternalErrorHandler,
  present?: (value: T) => Presented,
): Promise<CallToolResult> {
  try {
    const value = await call();
    if (present) {
      const { text, structuredContent } = present(value);
      return { content: [{ type: "text", text }], structuredContent };
    }
    // Compact JSON: the text lands in a model's context, where whitespace costs tokens.
    return { content: [{ type: "text", text: JSON.stringify(value) }] };
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.internal) onInternalError?.(error, tool);
    // When to retry goes in _meta, not structuredContent: a client validates structuredContent against the tool's
    // outputSchema, error or not (MCP SDK 1.32), and a refusal is no answer of that shape.
    const retry =
      failure.retryAfterSeconds === undefined ? {} : { _meta: { retryAfterSeconds: failure.retryAfterSeconds } };
    return { isError: true, content: [{ type: "text", text: failure.message }], ...retry };
  }
}
