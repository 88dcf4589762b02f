import { BlockList, isIP } from "node:net";

const loopbackAddresses = new BlockList();
loopbackAddresses.addSubnet("127.0.0.0", 8, "ipv4");
loopbackAddresses.addAddress("::1", "ipv6");

/**
 * Whether a host name or address (brackets and a trailing dot allowed) means this machine only: `localhost` and its
 * subdomains (RFC 6761), 127.0.0.0/8 and ::1, in any spelling, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) included.
 */
export function isLoopback(host: string): boolean {
  const name = host
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const family = isIP(name);
  return family !== 0 && loopbackAddresses.check(name, family === 4 ? "ipv4" : "ipv6");
}

/** The host name of a `Host` header (`name:port`, `[v6]:port`) as a URL would read it; undefined if it is none. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header || /[/?#@\s]/.test(header) || !URL.canParse(`http://${header}`)) return undefined;
  return new URL(`http://${header}`).hostname.replace(/\.$/, "");
}
