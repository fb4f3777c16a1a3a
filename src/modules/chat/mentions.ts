import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import { staffRoles } from "@/modules/users/actor.ts";
import type { User } from "@/modules/users/repository.ts";

/** The most staff a note's `@name`s are matched against. */
const maxStaff = 1000;

/** Whether `text` names `name` as `@name`, whole (not the start of a longer word). */
function names(text: string, name: string): boolean {
  const lower = text.toLowerCase();
  const needle = `@${name.toLowerCase()}`;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + 1)) {
    const after = lower.charAt(at + needle.length);
    if (!/[\p{L}\p{N}_]/u.test(after)) return true;
  }
  return false;
}

/**
 * The staff a note mentions: the ids given (each must be active staff of the organization, else
 * 422) and everyone whose name (or the part of their email before the @) follows an `@` in the text.
 */
export async function resolveMentions(
  deps: Pick<Deps, "store">,
  orgId: string,
  text: string,
  ids: readonly string[],
): Promise<string[]> {
  const found = new Set<string>();
  for (const id of new Set(ids)) {
    const user = await deps.store.users.findById(orgId, id);
    if (!user || user.role === "Customer" || !user.active) {
      throw new AppError("UNPROCESSABLE", `No active staff member "${id}" here`, {
        details: [{ path: "mentions", message: `no active staff member "${id}" here` }],
      });
    }
    found.add(id);
  }
  if (text.includes("@")) {
    const staff: User[] = (await deps.store.users.list(orgId, {
      roles: [...staffRoles],
      active: true,
    }, { page: 1, limit: maxStaff })).data;
    for (const user of staff) {
      const local = user.email.slice(0, user.email.indexOf("@"));
      if (names(text, user.name) || (local && names(text, local))) found.add(user.id);
    }
  }
  return [...found];
}
