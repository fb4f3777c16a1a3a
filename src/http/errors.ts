import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { TrieRouter } from "hono/router/trie-router";
import { AppError, errorBody, type ErrorCode } from "@/errors.ts";
import type { Logger } from "@/log.ts";
import type { AppEnv } from "./env.ts";

const httpCodes: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
};

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException && httpCodes[err.status]) {
    return new AppError(httpCodes[err.status]!, err.message || "Bad request");
  }
  return undefined;
}

/** Renders every error as `{"error":{code,message,details,requestId}}`; hides unknown ones. */
export function errorHandler(log: Logger): ErrorHandler<AppEnv> {
  return function onError(err, c: Context<AppEnv>) {
    const requestId = c.get("requestId");
    const known = toAppError(err);
    if (known) {
      for (const [k, v] of Object.entries(known.headers)) c.header(k, v);
      return c.json(errorBody(known, requestId), known.status);
    }
    log.error("unhandled error", {
      requestId,
      path: c.req.path,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    return c.json(errorBody(new AppError("INTERNAL", "Internal server error"), requestId), 500);
  };
}

/** A route as `app.routes` lists it; middleware is listed with the method `ALL`. */
export interface RegisteredRoute {
  method: string;
  path: string;
}

/**
 * The methods some route answers at `path`, from the app's registered routes matched by Hono's
 * own router (so they agree with dispatch); HEAD comes with GET.
 */
export function allowedMethods(routes: readonly RegisteredRoute[]): (path: string) => string[] {
  const router = new TrieRouter<true>();
  const known = new Set<string>();
  for (const { method, path } of routes) {
    if (method === "ALL") continue;
    router.add(method, path, true);
    known.add(method);
  }
  return (path) => {
    const allowed = [...known].filter((method) => router.match(method, path)[0].length > 0);
    if (allowed.includes("GET") && !allowed.includes("HEAD")) allowed.push("HEAD");
    return allowed;
  };
}

/**
 * No route for the request: 405 with `Allow` when the path exists for other methods, else 404.
 * `routes` is read at the first miss, once every router is mounted.
 */
export function notFoundHandler(routes: () => readonly RegisteredRoute[]): NotFoundHandler<AppEnv> {
  let methodsAt: ((path: string) => string[]) | undefined;
  return function notFound(c) {
    methodsAt ??= allowedMethods(routes());
    const allowed = methodsAt(c.req.path);
    const route = `${c.req.method} ${c.req.path}`;
    // A route that matched and said "not found" itself (an unknown file) is a plain 404.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      c.header("Allow", allowed.join(", "));
      return c.json(
        errorBody(
          new AppError(
            "METHOD_NOT_ALLOWED",
            `No route for ${route}: allowed ${allowed.join(", ")}`,
          ),
          c.get("requestId"),
        ),
        405,
      );
    }
    return c.json(
      errorBody(new AppError("NOT_FOUND", `No route for ${route}`), c.get("requestId")),
      404,
    );
  };
}
