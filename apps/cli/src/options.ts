/** Parsers of option values shared by the commands: each refuses what the server would refuse, in its words. */
import { exportInput } from "@memory-mirror/api/schemas";
import { InvalidArgumentError } from "commander";

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
