import { type Credentials, createApiClient } from "../../lib/api-client.ts";
import { describeError, type Problem } from "../../lib/errors.ts";

/** One cheap read with these credentials: undefined when the server accepts them, else what went wrong. */
export async function checkCredentials(credentials: Credentials): Promise<Problem | undefined> {
  try {
    await createApiClient(credentials).videoAnalysis.tags.query({ limit: 1 });
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}
