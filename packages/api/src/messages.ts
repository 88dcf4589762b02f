/**
 * zod's own words for a value of the wrong type ("Invalid input: expected array, received string") name no field and
 * read like a parser's; every schema here uses these instead. The transports put the field's path in front.
 */
import { z } from "zod";

const KIND: Record<string, string> = {
  array: "a list",
  object: "an object",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  date: "a date-time",
  null: "null",
};

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  return KIND[typeof value] ?? typeof value;
}

z.config({
  customError: (issue) => {
    if (issue.code === "invalid_union")
      return issue.input === undefined ? "is required" : "is not one of the accepted forms";
    if (issue.code !== "invalid_type") return undefined;
    if (issue.input === undefined) return "is required";
    const expected = KIND[issue.expected] ?? issue.expected;
    return `must be ${expected}, not ${kindOf(issue.input)}`;
  },
});
