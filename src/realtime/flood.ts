import type { SharedState } from "@/bus/bus.ts";
import type { Logger } from "@/log.ts";

/** A user's frame budget: tokens refill at the rate up to the burst; refused frames go into debt. */
interface Budget {
  tokens: number;
  at: number;
  sockets: number;
}

export type Verdict = "allow" | "refuse" | "close";

const key = (userId: string) => `ws:budget:${userId}`;

/**
 * The flood rule, per user: each frame costs a token; tokens refill at `ratePerSecond` up to
 * `burst`. Without a token the frame is refused and still costs one, so a user who keeps
 * sending above the rate goes into debt, and at a debt of `burst` the socket is closed (1008).
 * At 1,000 frames/s that is a fraction of a second; a little above the rate it takes longer,
 * but it comes. The budget outlives the socket: it is kept (in shared state, across instances)
 * until it would have refilled, so reconnecting does not reset it.
 */
export function createFloodGuard(
  deps: { shared: SharedState; log: Logger; now?: () => number },
  limits: { ratePerSecond: number; burst: number },
) {
  const budgets = new Map<string, Budget>();
  const now = deps.now ?? Date.now;
  const refill = (b: Budget, t: number) => {
    b.tokens = Math.min(limits.burst, b.tokens + ((t - b.at) / 1000) * limits.ratePerSecond);
    b.at = t;
  };
  return {
    /** A socket of the user opened here: their budget is read from where it was left. */
    async opened(userId: string): Promise<void> {
      let budget = budgets.get(userId);
      if (budget) {
        budget.sockets++;
        return;
      }
      budget = { tokens: limits.burst, at: now(), sockets: 1 };
      budgets.set(userId, budget);
      const saved = await deps.shared.get(key(userId)).catch(() => null);
      if (!saved) return;
      try {
        const { tokens, at } = JSON.parse(saved) as { tokens: number; at: number };
        if (Number.isFinite(tokens) && Number.isFinite(at)) {
          const before = { tokens, at, sockets: 0 };
          refill(before, now());
          refill(budget, now());
          budget.tokens = Math.min(budget.tokens, before.tokens);
        }
      } catch {
        // A budget that does not parse is a full one.
      }
    },
    /** Judges one frame of the user's. */
    judge(userId: string): Verdict {
      const budget = budgets.get(userId);
      if (!budget) return "allow";
      refill(budget, now());
      budget.tokens = Math.max(-limits.burst - 1, budget.tokens - 1);
      if (budget.tokens >= 0) return "allow";
      return budget.tokens <= -limits.burst ? "close" : "refuse";
    },
    /** A socket of the user closed: with the last one, what is left of the budget is kept. */
    async closed(userId: string): Promise<void> {
      const budget = budgets.get(userId);
      if (!budget || --budget.sockets > 0) return;
      budgets.delete(userId);
      refill(budget, now());
      if (budget.tokens >= limits.burst) return;
      const refillMs = ((limits.burst - budget.tokens) / limits.ratePerSecond) * 1000;
      await deps.shared.set(
        key(userId),
        JSON.stringify({ tokens: budget.tokens, at: budget.at }),
        refillMs,
      )
        .catch((err) => deps.log.warn("flood budget not kept", { userId, error: String(err) }));
    },
  };
}

export type FloodGuard = ReturnType<typeof createFloodGuard>;
