import assert from "node:assert/strict";
import { type TestApp, testApp } from "@tests/helpers/app.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { storeAttachments } from "@/modules/email/attachments.ts";
import { rawMail } from "@tests/helpers/mail.ts";
import { contentMismatch } from "@/modules/uploads.ts";

const text = (s: string) => new TextEncoder().encode(s);
/** A 1×1 PNG: signature, IHDR, IDAT, IEND. */
const png = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (ch) => ch.charCodeAt(0),
);
const html = text("<!doctype html><html><script>alert(document.cookie)</script></html>");
const gifScript = text("GIF89a<script>alert(document.cookie)</script>");

async function aRoom(): Promise<{ t: TestApp; desk: Desk; roomId: string }> {
  const t = await testApp();
  const desk = await aDesk(t);
  const query = await openQuery(desk);
  return { t, desk, roomId: query.roomId };
}

function upload(
  r: { t: TestApp; desk: Desk; roomId: string },
  bytes: Uint8Array,
  type: string,
  name = "file.bin",
) {
  const form = new FormData();
  form.set("file", new File([bytes as Uint8Array<ArrayBuffer>], name, { type }));
  return r.t.call("POST", `/api/v1/chat/rooms/${r.roomId}/files`, {
    token: r.desk.token.Customer,
    body: form,
  });
}

const storedFiles = (t: TestApp, orgId: string) =>
  t.deps.store.documents("attachments").find(orgId, {
    sort: [["createdAt", "asc"]],
    page: { page: 1, limit: 100 },
  });

function assertSafeDownload(res: Response, type: string) {
  assert.equal(res.headers.get("content-type"), type);
  assert.equal(res.headers.get("content-security-policy"), "default-src 'none'; sandbox");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.match(res.headers.get("content-disposition") ?? "", /^attachment; filename="/);
}

Deno.test("contentMismatch() reads magic bytes, not the declared type", async () => {
  assert.equal(await contentMismatch(png, "image/png"), null);
  assert.match((await contentMismatch(html, "image/png"))!, /not recognised, not image\/png/);
  assert.match((await contentMismatch(gifScript, "image/png"))!, /image\/gif, not image\/png/);
  assert.equal(await contentMismatch(gifScript, "image/gif"), null);
  assert.equal(await contentMismatch(text("a,b\n1,2\n"), "text/csv"), null);
  assert.match((await contentMismatch(png, "text/plain"))!, /image\/png, not text\/plain/);
  assert.match((await contentMismatch(new Uint8Array([0xff, 0xfe, 0]), "text/plain"))!, /not text/);
  assert.match((await contentMismatch(text("%PDF"), "application/zip"))!, /not application\/zip/);
});

Deno.test({
  name: "POST /chat/rooms/{id}/files refuses HTML declared image/png and a GIF declared PNG",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await aRoom();
    try {
      for (
        const [bytes, type] of [[html, "image/png"], [gifScript, "image/png"], [
          png,
          "text/plain",
        ]] as const
      ) {
        const res = await upload(r, bytes, type);
        const body = await res.json();
        assert.equal(res.status, 415, JSON.stringify(body));
        assert.equal(body.error.code, "UNSUPPORTED_MEDIA_TYPE");
        assert.equal(body.error.details[0].path, "file");
      }
      assert.equal((await storedFiles(r.t, r.desk.org.id)).total, 0, "nothing was stored");
    } finally {
      await r.t.close();
    }
  },
});

Deno.test({
  name: "GET /chat/files/{id} serves a GIF with a script tail as a sandboxed GIF download",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await aRoom();
    try {
      const gif = await expectStatus(upload(r, gifScript, "image/gif", "funny.gif"), 201);
      const res = await r.t.call("GET", `/api/v1/chat/files/${gif.id}`, {
        token: r.desk.token.Customer,
      });
      assert.equal(res.status, 200);
      assertSafeDownload(res, "image/gif");
      assert.equal(res.headers.get("content-disposition"), 'attachment; filename="funny.gif"');
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), gifScript);

      // HTML as text is kept as text: served as text/plain, sandboxed, never rendered.
      const page = await expectStatus(upload(r, html, "text/plain", "page.html"), 201);
      const served = await r.t.call("GET", `/api/v1/chat/files/${page.id}`, {
        token: r.desk.token.Customer,
      });
      assertSafeDownload(served, "text/plain");
      await served.body?.cancel();
    } finally {
      await r.t.close();
    }
  },
});

Deno.test({
  name:
    "GET /auth/me/avatar answers the image's own type, sandboxed; a disguised avatar is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await aRoom();
    try {
      const form = (bytes: Uint8Array, type: string) => {
        const f = new FormData();
        f.set("avatar", new File([bytes as Uint8Array<ArrayBuffer>], "me", { type }));
        return f;
      };
      const token = r.desk.token.Customer;
      const refused = await r.t.call("PUT", "/api/v1/auth/update-profile", {
        token,
        body: form(gifScript, "image/png"),
      });
      assert.equal(refused.status, 415);
      await refused.body?.cancel();
      await expectStatus(
        r.t.call("PUT", "/api/v1/auth/update-profile", { token, body: form(png, "image/png") }),
        200,
      );
      const avatar = await r.t.call("GET", "/api/v1/auth/me/avatar", { token });
      assert.equal(avatar.status, 200);
      assertSafeDownload(avatar, "image/png");
      assert.deepEqual(new Uint8Array(await avatar.arrayBuffer()), png);
    } finally {
      await r.t.close();
    }
  },
});

Deno.test({
  name: "storeAttachments() keeps out a mail attachment whose content is not its declared type",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await aRoom();
    try {
      const attachments = [
        { filename: "invoice.png", contentType: "image/png", content: html },
        { filename: "cat.png", contentType: "image/png", content: gifScript },
        { filename: "real.png", contentType: "image/png", content: png },
      ];
      const raw = new TextEncoder().encode(rawMail({ from: "a@customer.test", attachments }));
      const reopen = () => Promise.resolve(new Blob([raw]).stream());
      const found = attachments.map((a) => ({ ...a, size: a.content.byteLength }));
      const result = await storeAttachments(
        { deps: r.t.deps, files: r.t.services.attachments },
        found,
        reopen,
        {
          prefix: "mail-1",
          orgId: r.desk.org.id,
          roomId: r.roomId,
          senderId: r.desk.users.Customer.id,
        },
      );
      assert.deepEqual(result.stored.map((s) => s.id), ["mail-1-3"]);
      assert.deepEqual(result.refused, [
        { filename: "invoice.png", reason: "its content is not recognised, not image/png" },
        { filename: "cat.png", reason: "its content is image/gif, not image/png" },
      ]);
      assert.equal(await r.t.deps.files.get("mail-1-1"), null);
    } finally {
      await r.t.close();
    }
  },
});
