import type { Deps } from "@/deps.ts";
import { ConflictError } from "@/errors.ts";
import { hashPassword, randomToken } from "@/modules/auth/passwords.ts";
import { newUser, type User } from "@/modules/users/repository.ts";
import { cleanLine } from "@/modules/text.ts";

/**
 * The sender's Customer account in the organization, made on first mail (no usable password:
 * a random one, hashed). Logins are unique across the platform, so a sender who already has an
 * account elsewhere gets `local+ORGID@domain` here; replies still go to the address they wrote
 * from (kept on the thread). Null when the sender is staff of this organization.
 */
export async function customerFor(
  deps: Pick<Deps, "store" | "clock" | "ids" | "config">,
  orgId: string,
  from: { address: string; name: string },
): Promise<User | null> {
  const users = deps.store.users;
  const own = await users.findByEmailForLogin(from.address);
  if (own && own.organizationId === orgId) return own.role === "Customer" ? own : null;
  const [local, domain] = splitAddress(from.address);
  const email = own ? `${local}+${orgId}@${domain}` : from.address;
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = own ? await users.findByEmailForLogin(email) : null;
    if (found) return found.organizationId === orgId && found.role === "Customer" ? found : null;
    const now = deps.clock.now().toISOString();
    try {
      return await users.create(newUser({
        id: deps.ids.next(),
        organizationId: orgId,
        name: (cleanLine(from.name) || cleanLine(local) || "Customer").slice(0, 100),
        email,
        passwordHash: await hashPassword(randomToken(), deps.config.bcryptCost),
        role: "Customer",
        createdAt: now,
      }));
    } catch (err) {
      // Another import made the same customer first: use theirs.
      if (!(err instanceof ConflictError)) throw err;
      const made = await users.findByEmailForLogin(email);
      if (made) return made.organizationId === orgId && made.role === "Customer" ? made : null;
    }
  }
  throw new Error(`Cannot find or create a customer for "${from.address}"`);
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf("@");
  return at > 0 ? [address.slice(0, at), address.slice(at + 1)] : [address, "invalid"];
}
