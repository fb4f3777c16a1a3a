import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { RoutingService } from "@/modules/routing/service.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";

/** One stretch of work between clock-in and clock-out. */
export interface Shift {
  id: string;
  organizationId: string;
  userId: string;
  clockIn: string;
  clockOut: string | null;
  createdAt: string;
}

export type ShiftView = Shift & { durationMinutes: number };

export interface ShiftService {
  clockIn(orgId: string, userId: string): Promise<Shift>;
  clockOut(orgId: string, userId: string): Promise<ShiftView>;
  list(
    orgId: string,
    filter: { userId?: string },
    page: PageRequest,
  ): Promise<PageResult<ShiftView>>;
}

export function createShiftService(
  deps: Pick<Deps, "store" | "clock" | "ids">,
  routing: RoutingService,
): ShiftService {
  const shifts = deps.store.documents("shifts");
  const view = (s: Shift): ShiftView => ({
    ...s,
    durationMinutes: Math.round(
      ((s.clockOut ? Date.parse(s.clockOut) : deps.clock.now().getTime()) - Date.parse(s.clockIn)) /
        60_000,
    ),
  });
  const open = async (orgId: string, userId: string) =>
    (await shifts.find(orgId, {
      where: { userId, clockOut: null },
      sort: [["clockIn", "desc"]],
      page: { page: 1, limit: 1 },
    })).data[0];
  return {
    async clockIn(orgId, userId) {
      // The agent state's shift flag flips atomically: one open shift per person.
      if (
        !await deps.store.agentStates.setShift(orgId, userId, true, deps.clock.now().toISOString())
      ) {
        throw new AppError("CONFLICT", "You are already clocked in");
      }
      const at = deps.clock.now().toISOString();
      const shift = await shifts.insert({
        id: deps.ids.next(),
        organizationId: orgId,
        userId,
        clockIn: at,
        clockOut: null,
        createdAt: at,
      });
      await routing.drain(orgId);
      return shift;
    },
    async clockOut(orgId, userId) {
      const current = await open(orgId, userId);
      if (!current) throw new AppError("CONFLICT", "You are not clocked in");
      const closed = await shifts.update(orgId, current.id, {
        clockOut: deps.clock.now().toISOString(),
      }, { clockOut: null });
      if (!closed) throw new AppError("CONFLICT", "You are not clocked in");
      await routing.setShift(orgId, userId, false);
      return view(closed);
    },
    async list(orgId, filter, page) {
      const result = await shifts.find(orgId, {
        where: filter.userId ? { userId: filter.userId } : {},
        sort: [["clockIn", "desc"]],
        page,
      });
      return { data: result.data.map(view), total: result.total };
    },
  };
}
