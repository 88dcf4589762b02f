import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeFailure } from "./tool-errors.ts";

/** Called with the original error when a tool failed internally, so the host can log what the model never sees. */
export type InternalErrorHandler = (error: unknown, tool: string) => void;

/**
 * Runs a tool's call: its value as JSON text, or a tool error (`isError: true`) with a readable message. Failures
 * stay tool results, never protocol errors, so the model can read them and act (e.g. update instead of create).
 */
export async function toolResult(
  tool: string,
  call: () => Promise<unknown>,
  onInternalError?: InternalErrorHandler,
): Promise<CallToolResult> {
  try {
    const value = await call();
    // Compact JSON: the text lands in a model's context, where whitespace costs tokens.
    return { content: [{ type: "text", text: JSON.stringify(value) }] };
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.internal) onInternalError?.(error, tool);
    return { isError: true, content: [{ type: "text", text: failure.message }] };
  }
}
