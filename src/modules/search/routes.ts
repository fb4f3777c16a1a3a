import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@/http/env.ts";
import { bearer, errors, jsonResponse, pageOf, PageQuery, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { MessageSchema } from "@/modules/chat/schemas.ts";
import type { SearchService } from "./service.ts";

const HitSchema = z.object({
  message: MessageSchema,
  query: z.object({
    id: z.string(),
    reference: z.string(),
    title: z.string(),
    status: z.string(),
  }).nullable(),
  highlights: z.array(z.object({ start: z.number().int(), end: z.number().int() })),
}).openapi("SearchHit");

const SearchQuery = PageQuery.extend({
  q: z.string().trim().min(3, "at least 3 characters").max(200),
}).strict();

/** `/search`: full-text search over the messages the caller may read. */
export function searchRoutes(search: SearchService) {
  return router().openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["Search"],
      security: bearer,
      summary: "Messages containing the text, with their query and highlights, newest first",
      description: "Case-insensitive, anywhere in a message's text (at least 3 characters). " +
        "TL, QA and Admin search every room of the organization; an Agent the rooms they are " +
        "shown (their queries' and their own); a Customer their own conversations. Staff also " +
        "find notes.",
      middleware: [requirePermission("search.read")] as const,
      request: { query: SearchQuery },
      responses: {
        200: jsonResponse(pageOf(HitSchema), "A page of hits"),
        400: errors[400],
        401: errors[401],
        403: errors[403],
      },
    }),
    async (c) => {
      const { q, ...page } = c.req.valid("query");
      const found = await search.search(actorOf(c), q, page);
      return c.json({ data: found.data, meta: { total: found.total, ...page } }, 200);
    },
  );
}
