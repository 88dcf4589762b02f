import { CliError, ExitCode } from "./errors.ts";

/** The description argument, or stdin for `-`: one trailing newline is dropped, as `echo` and editors add it. */
export async function readDescription(arg: string): Promise<string> {
  if (arg !== "-") return arg;
  if (process.stdin.isTTY) process.stderr.write("reading the description from stdin (end with Ctrl-D)\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (text === "") throw new CliError("the description read from stdin is empty", ExitCode.usage);
  return text;
}
