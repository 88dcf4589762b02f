import { createContext, useContext } from "react";
import type { Credentials } from "./api-client.ts";

export interface SessionValue {
  credentials: Credentials;
  signOut: () => void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside a signed-in page");
  return value;
}
