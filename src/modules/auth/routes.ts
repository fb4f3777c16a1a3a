import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Deps } from "@/deps.ts";
import { accessCookie } from "@/http/auth.ts";
import type { AppEnv } from "@/http/env.ts";
import {
  bearer,
  errors,
  jsonBody,
  jsonResponse,
  router,
  validationDetails,
} from "@/http/openapi.ts";
import { AppError } from "@/errors.ts";
import { requirePermission } from "@/http/rbac.ts";
import { fileHeaders, peek, sniffedType } from "@/modules/uploads.ts";
import { readMultipart } from "@/http/multipart.ts";
import { Email, Latitude, Longitude, Name, Password, UserSchema } from "@/modules/users/schemas.ts";
import type { Session, SessionService } from "./service.ts";
import type { AccountService, ProfilePatch } from "./account.ts";
import type { MiddlewareHandler } from "hono";

/** The HttpOnly cookie holding the refresh token, sent only to the auth routes. */
export const refreshCookie = "refresh_token";
const refreshPath = "/api/v1/auth";

const SessionSchema = z.object({
  token: z.string(),
  expiresIn: z.number().int(),
  user: UserSchema,
}).openapi("Session");

/** Names the organization to sign in to; needed only when an email has several accounts. */
const OrganizationRef = {
  organizationId: z.string().min(1).max(64).optional(),
  organizationSlug: z.string().min(1).max(64).optional(),
};
const atMostOneOrganization = {
  check: (b: { organizationId?: string | undefined; organizationSlug?: string | undefined }) =>
    b.organizationId === undefined || b.organizationSlug === undefined,
  issue: {
    message: "give at most one of organizationId and organizationSlug",
    path: ["organizationId"],
  },
};

const LoginBody = z.strictObject({
  email: Email,
  password: z.string().min(1).max(1024),
  ...OrganizationRef,
  latitude: Latitude.optional(),
  longitude: Longitude.optional(),
  accuracy: z.number().min(0).max(1_000_000).optional(),
}).refine((b) => (b.latitude === undefined) === (b.longitude === undefined), {
  message: "latitude and longitude come together",
  path: ["longitude"],
}).refine(atMostOneOrganization.check, atMostOneOrganization.issue);

const RegisterBody = z.strictObject({
  name: Name,
  email: Email,
  password: Password,
  organizationId: z.string().min(1).max(64).optional(),
  organizationSlug: z.string().min(1).max(64).optional(),
}).refine((b) => (b.organizationId === undefined) !== (b.organizationSlug === undefined), {
  message: "give exactly one of organizationId and organizationSlug",
  path: ["organizationId"],
});

const ProfileJson = z.strictObject({
  name: Name.optional(),
  phone: z.string().trim().regex(/^[+0-9 ()-]{3,32}$/, "expected a phone number").nullable()
    .optional(),
  currentPassword: z.string().min(1).max(1024).optional(),
  newPassword: Password.optional(),
});
/** The text fields of a multipart profile change; the avatar file is streamed beside them. */
const ProfileFields = z.strictObject({
  name: Name.optional(),
  phone: z.string().trim().regex(/^[+0-9 ()-]{3,32}$/, "expected a phone number").optional(),
  currentPassword: z.string().min(1).max(1024).optional(),
  newPassword: Password.optional(),
});

/** ProfileFields and the avatar, as OpenAPI documents the form (read by `readMultipart`). */
const ProfileForm = {
  type: "object" as const,
  properties: {
    name: { type: "string" as const },
    phone: { type: "string" as const },
    currentPassword: { type: "string" as const },
    newPassword: { type: "string" as const },
    avatar: { type: "string" as const, format: "binary" },
  },
};

const Message = z.object({ message: z.string() });

/**
 * A multipart profile change: the avatar streamed into the file store as it arrives, then the
 * text fields checked (the avatar removed again when they are refused).
 */
async function profileForm(
  request: Request,
  accounts: Pick<AccountService, "storeAvatar" | "discardAvatar">,
): Promise<ProfilePatch> {
  const { fields, file } = await readMultipart(request, "avatar", accounts.storeAvatar);
  const parsed = ProfileFields.safeParse(fields);
  if (!parsed.success) {
    if (file) await accounts.discardAvatar(file);
    throw new AppError("VALIDATION_FAILED", "Request validation failed", {
      details: validationDetails(parsed.error),
    });
  }
  return { ...parsed.data, ...(file ? { avatarFileId: file } : {}) };
}

function setSessionCookies(c: Context<AppEnv>, deps: Deps, s: Session) {
  const secure = deps.config.env === "production";
  setCookie(c, accessCookie, s.token, {
    httpOnly: true,
    secure,
    sameSite: "Strict",
    path: "/",
    maxAge: s.expiresIn,
  });
  setCookie(c, refreshCookie, s.refreshToken, {
    httpOnly: true,
    secure,
    sameSite: "Strict",
    path: refreshPath,
    maxAge: s.refreshExpiresIn,
  });
}

const sessionBody = (s: Session) => ({ token: s.token, expiresIn: s.expiresIn, user: s.user });

/** `/auth`: sign-up, login, refresh, logout, the caller's profile, password reset. */
export function authRoutes(
  deps: Deps,
  s: { sessions: SessionService; accounts: AccountService },
  authenticate: MiddlewareHandler<AppEnv>,
) {
  const r = router();
  const self = [authenticate, requirePermission("profile.self")];

  r.openapi(
    createRoute({
      method: "post",
      path: "/register",
      tags: ["auth"],
      summary: "Sign up as a customer of an organization",
      request: { body: jsonBody(RegisterBody) },
      responses: {
        201: jsonResponse(SessionSchema, "Signed up and logged in"),
        400: errors[400],
        404: errors[404],
        409: errors[409],
      },
    }),
    async (c) => {
      const session = await s.accounts.register(c.req.valid("json"), c.get("ip"));
      setSessionCookies(c, deps, session);
      return c.json(sessionBody(session), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/login",
      tags: ["auth"],
      summary: "Log in; the token comes in the body and in an HttpOnly cookie",
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: jsonResponse(SessionSchema, "Logged in"),
        400: errors[400],
        401: errors[401],
        403: errors[403],
        429: errors[429],
      },
    }),
    async (c) => {
      const session = await s.sessions.login(c.req.valid("json"), c.get("ip"));
      setSessionCookies(c, deps, session);
      return c.json(sessionBody(session), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/refresh",
      tags: ["auth"],
      summary: "Rotate the refresh token cookie and get a new access token",
      responses: { 200: jsonResponse(SessionSchema, "A new session"), 401: errors[401] },
    }),
    async (c) => {
      const session = await s.sessions.refresh(getCookie(c, refreshCookie), c.get("ip"));
      setSessionCookies(c, deps, session);
      return c.json(sessionBody(session), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/logout",
      tags: ["auth"],
      summary: "Revoke the access token and its refresh token",
      security: bearer,
      middleware: [authenticate],
      responses: { 200: jsonResponse(Message, "Logged out"), 401: errors[401] },
    }),
    async (c) => {
      await s.sessions.logout(c.get("auth"), getCookie(c, refreshCookie), c.get("ip"));
      deleteCookie(c, accessCookie, { path: "/" });
      deleteCookie(c, refreshCookie, { path: refreshPath });
      return c.json({ message: "Logged out" }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["auth"],
      summary: "The caller's own account",
      security: bearer,
      middleware: self,
      responses: {
        200: jsonResponse(z.object({ user: UserSchema }), "The caller"),
        401: errors[401],
      },
    }),
    async (c) => c.json({ user: await s.accounts.profile(c.get("auth")) }, 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/avatar",
      tags: ["auth"],
      summary: "The caller's avatar image",
      security: bearer,
      middleware: self,
      responses: {
        200: {
          description: "The image bytes",
          content: {
            "image/*": { schema: z.string().openapi({ format: "binary" }) },
            "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
          },
        },
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const file = await s.accounts.avatar(c.get("auth"));
      if (!file) return c.json({ error: { code: "NOT_FOUND", message: "No avatar" } }, 404);
      // Checked at upload, so the sniffed type is the image's own; stored before that check, octet-stream.
      const { head, stream } = await peek(file.stream);
      const type = (await sniffedType(head)) ?? "application/octet-stream";
      return c.body(stream, 200, {
        ...fileHeaders(type, "avatar"),
        "content-length": String(file.size),
      });
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/update-profile",
      tags: ["auth"],
      summary: "Change name, phone, password (with the current one) or avatar (multipart)",
      security: bearer,
      middleware: self,
      request: {
        body: {
          required: false,
          content: {
            "application/json": { schema: ProfileJson },
            "multipart/form-data": { schema: ProfileForm },
          },
        },
      },
      responses: {
        200: jsonResponse(z.object({ user: UserSchema }), "The updated account"),
        400: errors[400],
        401: errors[401],
        413: errors[413],
      },
    }),
    async (c) => {
      const multipart = c.req.header("content-type")?.startsWith("multipart/form-data");
      // The multipart body has no zod schema (it is streamed), which hides the JSON one's type.
      const req = c.req as unknown as { valid(target: "json"): z.infer<typeof ProfileJson> };
      const patch = multipart ? await profileForm(c.req.raw, s.accounts) : req.valid("json");
      const user = await s.accounts.updateProfile(c.get("auth"), patch, c.get("ip"));
      return c.json({ user }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/forgot-password",
      tags: ["auth"],
      summary: "Mail a 6-digit reset code (same answer for unknown emails)",
      request: {
        body: jsonBody(
          z.strictObject({ email: Email, ...OrganizationRef }).refine(
            atMostOneOrganization.check,
            atMostOneOrganization.issue,
          ),
        ),
      },
      responses: { 200: jsonResponse(Message, "Sent when registered"), 400: errors[400] },
    }),
    async (c) => {
      await s.accounts.forgotPassword(c.req.valid("json"));
      return c.json({ message: "If the email is registered, a code has been sent" }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/reset-password",
      tags: ["auth"],
      summary: "Set a new password with the mailed code",
      request: {
        body: jsonBody(
          z.strictObject({
            email: Email,
            code: z.string().regex(/^\d{6}$/, "expected 6 digits"),
            newPassword: Password,
            ...OrganizationRef,
          }).refine(atMostOneOrganization.check, atMostOneOrganization.issue),
        ),
      },
      responses: { 200: jsonResponse(Message, "Password changed"), 400: errors[400] },
    }),
    async (c) => {
      await s.accounts.resetPassword(c.req.valid("json"), c.get("ip"));
      return c.json({ message: "Password changed; log in with the new password" }, 200);
    },
  );
  return r;
}
