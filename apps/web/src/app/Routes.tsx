import { lazy, Suspense } from "react";
import { Route, Switch, useLocation } from "wouter";
import { MemoryList } from "../features/memories/MemoryList.tsx";
import { PageErrorBoundary } from "./PageErrorBoundary.tsx";

// Pages past the first load on demand: the first page's JavaScript stays small.
const MemoryPage = lazy(() => import("../features/memories/MemoryPage.tsx"));
const NewMemory = lazy(() => import("../features/memories/NewMemory.tsx"));
const SearchPage = lazy(() => import("../features/search/SearchPage.tsx"));
const ContextPage = lazy(() => import("../features/context/ContextPage.tsx"));
const KeysPage = lazy(() => import("../features/keys/KeysPage.tsx"));

export function Routes() {
  const [location] = useLocation();
  return (
    <PageErrorBoundary resetKey={location}>
      <Suspense fallback={<p aria-busy="true">Loading…</p>}>
        <Switch>
          <Route path="/" component={MemoryList} />
          <Route path="/new" component={NewMemory} />
          <Route path="/memories/:videoId">{(params) => <MemoryPage videoId={decode(params.videoId)} />}</Route>
          <Route path="/search" component={SearchPage} />
          <Route path="/context" component={ContextPage} />
          <Route path="/keys" component={KeysPage} />
          <Route>
            <h1>Page not found</h1>
          </Route>
        </Switch>
      </Suspense>
    </PageErrorBoundary>
  );
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
