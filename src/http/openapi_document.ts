import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { errors } from "./openapi.ts";
import { batchedProtocol } from "@/realtime/wire.ts";

/** Where a guard that every request of a path passes through can answer an error. */
interface Guard {
  /** Which operations pass through it. */
  applies(op: OperationFacts): boolean;
  /** The statuses it may answer. */
  statuses: (keyof typeof standardErrors)[];
}

/** What the guards look at: the path, the method and what the operation declares. */
export interface OperationFacts {
  path: string;
  method: string;
  secured: boolean;
  hasBody: boolean;
  pathParams: string[];
}

const errorRef = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
const standardErrors = {
  400: { description: errors[400].description, content: errorRef },
  401: { description: errors[401].description, content: errorRef },
  403: { description: errors[403].description, content: errorRef },
  404: { description: errors[404].description, content: errorRef },
  409: { description: errors[409].description, content: errorRef },
  413: { description: errors[413].description, content: errorRef },
  415: { description: "Content-Type not accepted", content: errorRef },
  429: { description: errors[429].description, content: errorRef },
  500: { description: "Unexpected error: logged, its details hidden", content: errorRef },
} as const;

/** Every 429 says when to try again. */
const retryAfter = {
  "Retry-After": {
    description: "Seconds to wait before trying again",
    required: true,
    schema: { type: "integer", minimum: 0 },
  },
};

/** The middleware of `buildApp` and of the routers, as the statuses each may answer. */
const guards: Guard[] = [
  // noRepeatedParams (every path) and the validators of parameters and bodies; onError.
  { applies: () => true, statuses: [400, 500] },
  // bodyLimits: every method that may carry a body.
  { applies: (op) => !["get", "head"].includes(op.method), statuses: [413] },
  // The validator's media-type gate in front of a declared body.
  { applies: (op) => op.hasBody, statuses: [415] },
  // rateLimit on /api/v1.
  { applies: (op) => op.path.startsWith("/api/v1/"), statuses: [429] },
  // authenticate (token; deactivated organization, IP allow-list) and requirePermission.
  { applies: (op) => op.secured, statuses: [401, 403] },
  // A named object, or the organization a SuperAdmin names, that does not exist.
  { applies: (op) => op.pathParams.length > 0, statuses: [404] },
  // namedOrganization (guardPlatform): no writes to a deactivated organization.
  {
    applies: (op) =>
      op.method !== "get" && /^\/api\/v1\/superadmin\/organizations\/\{orgId\}\//.test(op.path),
    statuses: [409],
  },
];

const methods = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

/** `get /api/v1/queries/{id}/history` → `getQueriesByIdHistory`: unique per method and path. */
export function operationIdOf(method: string, path: string): string {
  const words = path.replace(/^\/api\/v1\//, "/").split("/").filter(Boolean).map((segment) => {
    const param = /^\{(.+)\}$/.exec(segment)?.[1];
    const word = (param ? `by-${param}` : segment).replace(
      /[^A-Za-z0-9]+(.)?/g,
      (_, ch = "") => ch.toUpperCase(),
    );
    return word.charAt(0).toUpperCase() + word.slice(1);
  });
  return method + words.join("");
}

/**
 * The generator writes a nullable registered schema (`Place.nullable()`) as
 * `allOf: [{$ref}, {type: ["object", "null"]}]`, which `null` cannot satisfy (the `$ref` still
 * applies); it means `anyOf: [{$ref}, {type: "null"}]`.
 */
function nullableReferences(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(nullableReferences);
  if (typeof node !== "object" || node === null) return;
  const schema = node as Record<string, unknown>;
  const parts = schema.allOf;
  if (Array.isArray(parts) && parts.length === 2) {
    const [ref, nullable] = parts as Record<string, unknown>[];
    const types = nullable?.type;
    if (
      typeof ref?.$ref === "string" && Array.isArray(types) && types.includes("null") &&
      Object.keys(nullable!).length === 1
    ) {
      delete schema.allOf;
      schema.anyOf = [ref, { type: "null" }];
    }
  }
  Object.values(schema).forEach(nullableReferences);
}

type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
};

/** Declares the template's parameters an operation left out (those its mount adds). */
function declarePathParameters(op: Operation, names: string[]): void {
  const parameters = op.parameters ??= [];
  for (const name of names) {
    if (parameters.some((p) => p.in === "path" && p.name === name)) continue;
    parameters.push({
      name,
      in: "path",
      required: true,
      schema: { type: "string", minLength: 1, maxLength: 64 },
      ...(name === "orgId" ? { description: "The organization's id" } : {}),
    } as { name: string; in: string });
  }
  if (parameters.length === 0) delete op.parameters;
}

/**
 * Completes the generated document from what every route has in common, so no route repeats it:
 * an `operationId`, `security: []` on public operations, the path parameters a mount adds
 * (`/superadmin/organizations/{orgId}/…`), and the error answers of the guards it passes.
 */
export function completeDocument<T extends { paths?: unknown }>(doc: T): T {
  nullableReferences(doc);
  const paths = (doc.paths ?? {}) as Record<string, Partial<Record<string, Operation>>>;
  for (const [path, item] of Object.entries(paths)) {
    const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const method of methods) {
      const op = item[method];
      if (!op) continue;
      op.operationId ??= operationIdOf(method, path);
      op.security ??= [];
      declarePathParameters(op, pathParams);
      const facts: OperationFacts = {
        path,
        method,
        secured: op.security.length > 0,
        hasBody: op.requestBody !== undefined,
        pathParams,
      };
      const responses = (op.responses ??= {}) as Record<
        string,
        { content?: unknown; headers?: unknown }
      >;
      for (const guard of guards) {
        if (!guard.applies(facts)) continue;
        for (const status of guard.statuses) responses[status] ??= standardErrors[status];
      }
      // Every error answer is the one JSON envelope, also where a route only described it.
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400 && !response.content) response.content = errorRef;
      }
      if (responses[429]) responses[429] = { ...responses[429], headers: retryAfter };
    }
  }
  return doc;
}

type DocumentConfig = Parameters<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>[0];

/**
 * Serves the completed OpenAPI 3.1 document at `path`, built at its first request (when every
 * router is mounted) and kept, and documents the routes that are not `createRoute`s: the
 * document itself, the /docs page and the `/ws` upgrade.
 */
export function serveDocument(app: OpenAPIHono<AppEnv>, path: string, config: DocumentConfig) {
  const registry = app.openAPIRegistry;
  const plain = (
    route: string,
    summary: string,
    responses: Record<
      number,
      {
        description: string;
        content?: Record<string, object>;
      }
    >,
    security?: { bearerAuth: never[] }[],
    extra: {
      description?: string;
      parameters?: {
        name: string;
        in: "header";
        required: boolean;
        description: string;
        schema: { type: "string" };
      }[];
    } = {},
  ) =>
    registry.registerPath({
      method: "get",
      path: route,
      tags: [route === "/ws" ? "Realtime" : "Docs"],
      summary,
      ...extra,
      ...(security ? { security } : {}),
      responses,
    });
  plain(path, "This OpenAPI 3.1 document", {
    200: { description: "The document", content: { "application/json": { schema: {} } } },
  });
  plain("/docs", "The API reference page", {
    200: { description: "HTML page", content: { "text/html": { schema: { type: "string" } } } },
  });
  plain("/docs/init.js", "The reference page's setup script", {
    200: { description: "Script", content: { "text/javascript": { schema: { type: "string" } } } },
  });
  plain("/docs/assets/{file}", "The reference page's scripts and styles", {
    200: {
      description: "Script or stylesheet",
      content: {
        "text/javascript": { schema: { type: "string" } },
        "text/css": { schema: { type: "string" } },
      },
    },
  });
  plain(
    "/ws",
    "The realtime WebSocket (see the README for its frames)",
    {
      101: {
        // Not as a response header: the response check would then require it of every upgrade.
        description: "Switching Protocols: the socket is open; its Sec-WebSocket-Protocol is " +
          `${batchedProtocol} when the client offered it (the batched mode), absent otherwise`,
      },
    },
    [{ bearerAuth: [] }],
    {
      description: "One event per frame by default. A client offering the subprotocol " +
        `${batchedProtocol} gets the batched mode: the events of one turn in one frame of ` +
        "newline-delimited JSON, and its own frames may hold several lines, each handled as a frame.",
      parameters: [{
        name: "Sec-WebSocket-Protocol",
        in: "header",
        required: false,
        description: `Subprotocols offered (comma-separated); only ${batchedProtocol} is answered`,
        schema: { type: "string" },
      }],
    },
  );
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get(path, (c) => c.json(document ??= completeDocument(app.getOpenAPI31Document(config))));
}
