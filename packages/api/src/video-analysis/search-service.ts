/** Retrieval for the clone, in exactly one space: tag counts, hybrid search and context assembly. */
import { readOnly } from "../read-routing.ts";
import { context } from "./context.ts";
import { search } from "./search.ts";
import { tags } from "./tags.ts";

/** The retrieval operations by the names every transport gives them. */
export const searchService = { tags: readOnly(tags), search: readOnly(search), context: readOnly(context) };
