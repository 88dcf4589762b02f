import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useRoute } from "wouter";
import { useSession } from "../lib/session.ts";
import { useTRPC } from "../lib/trpc.ts";
import { useLiveChanges } from "../features/live/use-live-changes.ts";

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(href === "/" ? "/" : `${href}/*?`);
  return (
    <Link href={href} aria-current={active ? "page" : undefined}>
      {children}
    </Link>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { credentials, signOut } = useSession();
  const trpc = useTRPC();
  // Only admin keys may list keys: the answer tells whether to offer the Keys page.
  const keys = useQuery({ ...trpc.keys.list.queryOptions(), retry: false, staleTime: Infinity });
  const live = useLiveChanges();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          Memory Mirror
        </Link>
        <nav aria-label="Main">
          <NavLink href="/">Memories</NavLink>
          <NavLink href="/search">Search</NavLink>
          <NavLink href="/context">Context</NavLink>
          {keys.isSuccess && <NavLink href="/keys">Keys</NavLink>}
        </nav>
        <div className="who">
          <span className="hint live" data-status={live.status}>
            {live.status === "pending" ? "Live" : live.status === "error" ? "Live updates off" : "Connecting…"}
          </span>
          <span className="hint">
            {credentials.apiKey ? "Signed in" : "No key (authentication off)"}
            {credentials.space ? ` · space ${credentials.space}` : ""}
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
