import type { SeedContext, SeedStep } from "./seed.ts";

/**
 * The web chat demo: a web inbox that allows this API's own local origins, its snippet, and the
 * demo page (served by the API) that embeds it, so a visitor can chat with the seeded agents.
 */
export const seedWidget: SeedStep = async (ctx: SeedContext) => {
  const { services, org, deps } = ctx;
  const admin = ctx.users.find((u) => u.role === "Admin")!;
  const port = deps.config.port || 5000;
  const base = `http://localhost:${port}`;
  const inbox = await services.webInboxes.create(
    { userId: admin.id, orgId: org.id, role: admin.role },
    {
      name: "Demo website",
      allowedOrigins: [base, `http://127.0.0.1:${port}`],
      greeting: "Hi! Ask us anything: an agent answers here.",
      outOfHoursMessage: null,
      preChat: { name: "required", email: "optional" },
      routeTo: { teamId: null, skill: "billing" },
    },
  );
  ctx.report.push(
    `Web inbox "${inbox.name}": paste this snippet on a page of ${base}:`,
    `  <script src="${base}/widget.js" data-website-token="${inbox.websiteToken}" async></script>`,
    `Demo page: ${base}/widget/demo?websiteToken=${inbox.websiteToken}`,
    `Identity-verification secret (shown once): ${inbox.hmacSecret}`,
  );
};
