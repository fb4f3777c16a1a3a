import type { User } from "@/modules/users/repository.ts";
import type { SeedContext, SeedStep } from "./seed.ts";

/** The demo label set: one per skill of the seeded queries, and one for top customers. */
const demoLabels = [
  { name: "billing", color: "#2563eb", description: "Invoices, charges and refunds" },
  { name: "technical", color: "#16a34a", description: "The app and the account" },
  { name: "french", color: "#7c3aed", description: "Customers writing in French" },
  { name: "vip", color: "#d97706", description: "Top customers" },
];

/**
 * The agent's workspace demo: the teams "support" (everyone seeded in it) and "billing" (the
 * lead and the billing agents), labels (each seeded query carries its skill's), an
 * organization-wide macro for escalating billing, and a private note mentioning the team lead.
 */
export const seedWorkspace: SeedStep = async (ctx: SeedContext) => {
  const { services, org } = ctx;
  const byName = (name: string) => ctx.users.find((u) => u.name === name)!;
  const as = (u: User) => ({ userId: u.id, orgId: org.id, role: u.role });
  const admin = byName("Ada Admin");
  const lead = byName("Tom Lead");
  const members = (keep: (u: User) => boolean) => ctx.users.filter(keep).map((u) => u.id);
  await services.teams.create(as(admin), {
    name: "support",
    description: "First line",
    members: members((u) => u.team === "support"),
  });
  await services.teams.create(as(admin), {
    name: "billing",
    description: "Invoices, charges and refunds",
    members: members((u) =>
      u.id === lead.id || (u.role === "Agent" && u.skills.some((s) => s.name === "billing"))
    ),
  });
  // Weekday hours for the demo; no target counts business time and no out-of-hours reply is
  // set, so the demo answers the same at any hour (an Admin turns them on).
  const weekday = [{ from: "08:00", to: "18:00" }];
  await services.businessHours.replace(as(admin), {
    timezone: "Europe/Berlin",
    weekly: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday },
    exceptions: [{ date: "2026-12-25", name: "Christmas Day", hours: [] }],
    outOfHoursReply: null,
  });
  const labels = new Map<string, string>();
  for (const label of demoLabels) {
    labels.set(label.name, (await services.labels.create(org.id, label)).id);
  }
  const queries = await services.queries.list(as(admin), {}, {
    field: "number",
    order: "asc",
  }, { page: 1, limit: 100 });
  for (const query of queries.data) {
    const label = query.skill ? labels.get(query.skill) : undefined;
    if (label) await services.queries.edit(as(admin), query.id, { labels: [label] });
  }
  await services.macros.create(as(lead), {
    name: "Escalate billing",
    visibility: "organization",
    steps: [
      { type: "labels", add: [labels.get("vip")!] },
      { type: "priority", priority: "High" },
      { type: "team", team: "billing" },
      { type: "note", text: "Escalated to billing by macro" },
      { type: "reply", text: "A billing specialist is now on your case." },
    ],
  });
  const inProgress = queries.data.find((q) => q.status === "In Progress" && q.assignedTo);
  if (inProgress) {
    const agent = ctx.users.find((u) => u.id === inProgress.assignedTo)!;
    await services.chat.send(as(agent), inProgress.roomId!, {
      type: "note",
      text: "@Tom Lead may I waive the fee for this one?",
    });
  }
  ctx.report.push(
    `  2 teams, business hours, ${demoLabels.length} labels on the queries, the macro "Escalate billing", a note for Tom`,
  );
};
