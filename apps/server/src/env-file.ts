/**
 * Reads `.env` from the working directory (the repository root under `pnpm start` / `pnpm dev`) into process.env,
 * if there is one; variables already set in the environment win. main.ts imports this module first, so the values
 * are in place before any other module reads process.env (the api package reads NODE_ENV when it loads).
 * Node's own --env-file-if-exists does the same but prints a notice on stderr whenever the file is absent (Node 20),
 * which is the usual case in production.
 */
try {
  process.loadEnvFile(".env");
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
}
