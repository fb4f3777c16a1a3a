/**
 * The baseline for API throughput: a bare Deno.serve answering a small JSON object, or, given a
 * file, that file's JSON (the bench passes the very document the API answered).
 */
const port = Number(Deno.args[0]);
const bodyFile = Deno.args[1];
const body = bodyFile ? Deno.readTextFileSync(bodyFile) : JSON.stringify({
  id: "01900000-0000-7000-8000-000000000000",
  organizationId: "01900000-0000-7000-8000-000000000001",
  reference: "Q-000123",
  title: "Cannot log in",
  description: "The login page says my password is wrong",
  status: "Assigned",
  priority: "Medium",
  tags: ["login"],
  createdAt: new Date().toISOString(),
});
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  () => new Response(body, { headers: { "content-type": "application/json" } }),
);
