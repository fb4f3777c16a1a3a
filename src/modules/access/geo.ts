import { isPrivateAddress } from "./ip.ts";

type Lookup = (ip: string) => { country?: string; city?: string } | null;
let lookup: Promise<Lookup> | undefined;

/**
 * Country and city of a public address from geoip-lite's offline database. The module costs
 * about 120 MB, so it loads on the first public address only; private ones answer nulls.
 */
export async function geolocate(
  ip: string,
): Promise<{ country: string | null; city: string | null }> {
  if (isPrivateAddress(ip)) return { country: null, city: null };
  lookup ??= import("geoip-lite").then((m) => {
    const geoip = (m.default ?? m) as { lookup: Lookup };
    return (address: string) => geoip.lookup(address);
  });
  try {
    const hit = (await lookup)(ip);
    return { country: hit?.country || null, city: hit?.city || null };
  } catch {
    return { country: null, city: null };
  }
}
