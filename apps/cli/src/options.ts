/** Parsers of option values shared by the commands: each refuses what the server would refuse, in its words. */
import { exportInput, type MetadataValue, recordedAfterField, recordedAtField } from "@memory-mirror/api/schemas";
import { type Command, InvalidArgumentError, Option } from "commander";

export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Seconds as a decimal number; `positive` refuses 0 (where 0 would mean "never"). */
export function seconds({ positive }: { positive: boolean }) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || (positive && n <= 0)) {
      throw new InvalidArgumentError(
        positive ? "expected a number of seconds above 0" : "expected a number of seconds (0: never)",
      );
    }
    return n;
  };
}

/** The server's own rule for a date-time (`since`), so a date it would refuse never leaves the CLI. */
export function isoDateTime(value: string): string {
  if (!exportInput.shape.since.safeParse(value).success) {
    throw new InvalidArgumentError("expected an ISO-8601 UTC date-time, e.g. 2026-11-01T00:00:00Z");
  }
  return value;
}

/** A value the server's own schema refused, refused here in the schema's words, before any call. */
export function check(result: { success: boolean; error?: { issues: { message: string }[] } }): void {
  if (!result.success) throw new InvalidArgumentError((result.error?.issues ?? []).map((i) => i.message).join("; "));
}

/** `--recorded-at`: the server's own rule (an offset, not before 1900, not more than a day ahead), in its words. */
export function recordedAt(value: string): string {
  check(recordedAtField("--recorded-at").safeParse(value));
  return value;
}

/**
 * `--meta key=value` (a string) or `--meta key:=json` (any JSON value, as httpie writes it), repeatable: collects one
 * metadata object. The server checks its bounds.
 */
export function metaPair(value: string, previous: Record<string, MetadataValue> = {}): Record<string, MetadataValue> {
  const match = /^([^=:]+)(:?=)(.*)$/s.exec(value);
  if (!match) throw new InvalidArgumentError("expected key=value (a string) or key:=json (e.g. year:=2019)");
  const [, key, operator, text] = match as unknown as [string, string, string, string];
  if (operator === "=") return { ...previous, [key]: text };
  try {
    return { ...previous, [key]: JSON.parse(text) as MetadataValue };
  } catch {
    throw new InvalidArgumentError(`the value of ${key}:= is not JSON (write key=value for a string)`);
  }
}

/** A bound of a recording-time range (any ISO-8601 date-time with an offset), checked by the server's rule. */
function timeBound(value: string): string {
  if (!recordedAfterField().safeParse(value).success)
    throw new InvalidArgumentError("expected an ISO-8601 date-time with an offset, e.g. 2019-07-01T00:00:00Z");
  return value;
}

/** What the filter options collect (the api's names). */
export interface FilterOptions {
  recordedAfter?: string;
  recordedBefore?: string;
  meta?: Record<string, MetadataValue>;
}

/** `--recorded-after`, `--recorded-before` and `--meta` (containment) on a command that reads many memories. */
export function addFilterOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--recorded-after <iso>", "only memories recorded at or after this time").argParser(timeBound),
    )
    .addOption(new Option("--recorded-before <iso>", "only memories recorded before this time").argParser(timeBound))
    .addOption(
      new Option("--meta <key=value>", "only memories whose metadata holds this (repeatable; key:=json)").argParser(
        metaPair,
      ),
    );
}

/** The filter options as the procedures name them. */
export const filterInput = (opts: FilterOptions) => ({
  ...(opts.recordedAfter ? { recordedAfter: opts.recordedAfter } : {}),
  ...(opts.recordedBefore ? { recordedBefore: opts.recordedBefore } : {}),
  ...(opts.meta ? { metadata: opts.meta } : {}),
});
