import { channels } from "@/bus/bus.ts";
import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import type { UserEvent } from "@/modules/notifications/service.ts";
import { teamView } from "./model.ts";

/**
 * Every staff socket of the organization, on every instance, hears of a team's change at once:
 * `team-updated` with the team as `GET /teams/{id}` shows it (created, renamed, described or its
 * members set), `team-deleted` with its id. Customers' sockets never get them.
 */
export function pushTeamChanges(events: Events, deps: Pick<Deps, "bus" | "log">): void {
  const push = async (orgId: string, e: UserEvent) => {
    // A lost push is recoverable (the client refetches `/teams`); the write is done.
    await deps.bus.publish(channels.org(orgId), e)
      .catch((err) => deps.log.warn("push failed", { event: e.event, error: String(err) }));
  };
  events.on(["team.created", "team.updated"], ({ organizationId, data }) =>
    push(organizationId, {
      event: "team-updated",
      data: {
        team: teamView(data.team),
        change: "fields" in data ? "updated" : "created",
        fields: "fields" in data ? data.fields : [],
      },
    }));
  events.on(
    "team.deleted",
    ({ organizationId, data }) =>
      push(organizationId, { event: "team-deleted", data: { id: data.teamId, name: data.name } }),
  );
}
