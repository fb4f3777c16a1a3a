import type { Deps } from "@/deps.ts";
import { ConflictError } from "@/errors.ts";
import { newUser, type User } from "@/modules/users/repository.ts";
import { cleanLine } from "@/modules/text.ts";

/**
 * The sender's contact in the organization, made on first mail with their real address and no
 * password (they may sign up for a portal login later). Contacts are per organization, so an
 * account the same person has elsewhere plays no part. Null when the sender is staff here.
 */
export async function customerFor(
  deps: Pick<Deps, "store" | "clock" | "ids">,
  orgId: string,
  from: { address: string; name: string },
): Promise<User | null> {
  const users = deps.store.users;
  const email = from.address.toLowerCase();
  const known = async (user: User | null): Promise<User | null> => {
    // A contact merged into another: its address finds the contact it became.
    for (let hops = 0; user?.mergedInto && hops < 10; hops++) {
      user = await users.findById(orgId, user.mergedInto);
    }
    return user && (user.role === "Customer" ? user : null);
  };
  const own = await users.findByEmail(orgId, email);
  if (own) return await known(own);
  const now = deps.clock.now().toISOString();
  const local = email.slice(0, Math.max(0, email.lastIndexOf("@")));
  try {
    return await users.create(newUser({
      id: deps.ids.next(),
      organizationId: orgId,
      name: (cleanLine(from.name) || cleanLine(local) || "Customer").slice(0, 100),
      email,
      passwordHash: null,
      role: "Customer",
      createdAt: now,
    }));
  } catch (err) {
    // Another import made the same contact first: use theirs.
    if (!(err instanceof ConflictError)) throw err;
    const made = await users.findByEmail(orgId, email);
    if (made) return await known(made);
    throw err;
  }
}
