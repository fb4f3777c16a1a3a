import type { AuthContext } from "@/modules/auth/context.ts";
import type { Logger } from "@/log.ts";
import type { Hub } from "@/realtime/hub.ts";
import type { TokenService } from "./tokens.ts";

/** Whether an API key's socket may stay open (the key is neither revoked nor expired). */
export type KeyCheck = (auth: AuthContext) => Promise<boolean>;

/**
 * The hub, with each open socket closed (1008 "Session ended") once its caller is no longer
 * accepted: a logout, a deactivation or a revocation on any instance reaches the socket too.
 * A key's revocation is announced as a change of its caller id (`apikey:<id>`).
 */
export function endingSockets(
  hub: Hub,
  tokens: TokenService,
  log: Logger,
  keyStillValid?: KeyCheck,
): Hub {
  const open = new Map<string, Set<{ socket: WebSocket; auth: AuthContext }>>();
  tokens.onChange((userId) => {
    for (const entry of open.get(userId) ?? []) {
      const check = entry.auth.integration && keyStillValid
        ? keyStillValid(entry.auth)
        : tokens.stillAccepted(entry.auth);
      check.then((accepted) => {
        if (!accepted) entry.socket.close(1008, "Session ended");
      }).catch((err) => log.warn("socket session not checked", { error: String(err) }));
    }
  });
  return {
    ...hub,
    accept(socket, auth, options) {
      const entry = { socket, auth };
      let mine = open.get(auth.userId);
      if (!mine) open.set(auth.userId, mine = new Set());
      mine.add(entry);
      // A key that expires while its socket is open: the socket goes with it. (A user's socket
      // outlives its access token, as a session does; keys have no refresh.)
      const left = auth.integration ? auth.expiresAt * 1000 - Date.now() : Infinity;
      const expiry = left < 2 ** 31 - 1
        ? setTimeout(() => socket.close(1008, "Key expired"), Math.max(0, left))
        : undefined;
      socket.addEventListener("close", () => {
        clearTimeout(expiry);
        mine.delete(entry);
        if (mine.size === 0 && open.get(auth.userId) === mine) open.delete(auth.userId);
      });
      hub.accept(socket, auth, options);
    },
  };
}
