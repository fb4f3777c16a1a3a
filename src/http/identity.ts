import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { authRoutes } from "@/modules/auth/routes.ts";
import {
  adminOrganizationRoutes,
  superadminOrganizationRoutes,
} from "@/modules/organizations/routes.ts";
import { staffRoutes } from "@/modules/staff/routes.ts";
import {
  ipWhitelistRoutes,
  locationAccessRoutes,
  locationRoutes,
} from "@/modules/access/routes.ts";
import { auditRoutes } from "@/modules/audit/routes.ts";

/** Identity and access routers under /api/v1. */
export function mountIdentity(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  app.route("/api/v1/auth", authRoutes(deps, s, s.authenticate));
  app.route("/api/v1/superadmin", superadminOrganizationRoutes(s.organizations, s.authenticate));
  app.route("/api/v1/superadmin", locationAccessRoutes(s.access, s.authenticate, "superadmin"));
  app.route("/api/v1/superadmin", auditRoutes(s.audit, s.authenticate, "superadmin"));
  app.route("/api/v1/admin", adminOrganizationRoutes(s.organizations, s.authenticate));
  app.route("/api/v1/admin", staffRoutes(s.staff, s.authenticate));
  app.route("/api/v1/admin", locationAccessRoutes(s.access, s.authenticate, "admin"));
  app.route("/api/v1/admin", auditRoutes(s.audit, s.authenticate, "admin"));
  app.route("/api/v1/location", locationRoutes(s.access, s.authenticate));
  app.route("/api/v1/ip-whitelist", ipWhitelistRoutes(s.access, s.authenticate));
}
