import type { Priority, QueryStatus } from "@/modules/queries/model.ts";
import type { User } from "@/modules/users/repository.ts";
import type { SeedContext, SeedStep } from "./seed.ts";

/** The demo conversations: who asks what, and how far it has gone. */
const demoQueries: {
  customer: number;
  title: string;
  skill: string;
  priority: Priority;
  status: QueryStatus;
  chat: string[];
  csat?: number;
}[] = [
  {
    customer: 0,
    title: "Charged twice this month",
    skill: "billing",
    priority: "High",
    status: "Closed",
    chat: ["I was charged twice.", "Refunded the second charge."],
    csat: 5,
  },
  {
    customer: 1,
    title: "App crashes on start",
    skill: "technical",
    priority: "Urgent",
    status: "Resolved",
    chat: ["It crashes when I open it.", "Fixed in version 2.1; please update."],
    csat: 4,
  },
  {
    customer: 2,
    title: "Change my invoice address",
    skill: "billing",
    priority: "Medium",
    status: "In Progress",
    chat: ["Please use my new address.", "Updating it now."],
  },
  {
    customer: 3,
    title: "Cannot reset my password",
    skill: "technical",
    priority: "Medium",
    status: "Assigned",
    chat: ["The reset mail never comes."],
  },
  {
    customer: 4,
    title: "Facture en français ?",
    skill: "french",
    priority: "Low",
    status: "Open",
    chat: ["Puis-je avoir ma facture en français ?"],
  },
];

/**
 * Support desk demo: Alice and Bob online and on shift (Chloe away), routing on least-loaded,
 * FAQ entries, and queries in every status with their rooms and messages, each made through
 * the same services the API uses, so their history and SLA fields are real.
 */
export const seedSupport: SeedStep = async (ctx: SeedContext) => {
  const { services: support, org } = ctx;
  const byName = (name: string) => ctx.users.find((u) => u.name === name)!;
  const as = (u: User) => ({ userId: u.id, orgId: org.id, role: u.role });
  for (const name of ["Alice Agent", "Bob Agent"]) {
    const agent = byName(name);
    await support.routing.setAvailability(org.id, agent.id, "online");
    await support.shifts.clockIn(org.id, agent.id);
  }
  await support.routing.setAvailability(org.id, byName("Chloe Agent").id, "away");
  const lead = byName("Tom Lead");
  for (
    const [question, answer, kind] of [
      [
        "How do I reset my password?",
        "Use 'Forgot password' on the login page; the code is valid for 10 minutes.",
        "faq",
      ],
      ["When am I billed?", "On the first day of each month.", "faq"],
      [
        "Refund confirmation",
        "I have refunded the charge; it shows within 5 working days.",
        "canned",
      ],
    ] as const
  ) {
    await support.faq.create(org.id, lead.id, {
      kind,
      question,
      answer,
      shortcut: kind === "canned" ? "refund" : null,
      tags: [],
    });
  }
  const customers = ctx.users.filter((u) => u.role === "Customer");
  for (const demo of demoQueries) {
    const customer = customers[demo.customer]!;
    const query = await support.queries.create(as(customer), {
      title: demo.title,
      description: demo.chat[0]!,
      priority: demo.priority,
      skill: demo.skill,
    });
    const agent = query.assignedTo ? ctx.users.find((u) => u.id === query.assignedTo)! : null;
    for (const [i, text] of demo.chat.entries()) {
      const sender = i % 2 === 0 ? customer : agent;
      if (sender) await support.chat.send(as(sender), query.roomId!, { text });
    }
    if (!agent) continue;
    const path: QueryStatus[] = ["In Progress", "Resolved", "Closed"];
    for (const status of path.slice(0, path.indexOf(demo.status) + 1)) {
      await support.queries.setStatus(as(agent), query.id, status);
    }
    if (demo.csat) await support.queries.rate(as(customer), query.id, demo.csat, "Thanks!");
  }
  ctx.report.push(
    `  ${demoQueries.length} queries (Open to Closed) with their rooms; 3 FAQ entries`,
  );
  ctx.report.push("  Alice and Bob are online and on shift; Chloe is away");
};
