import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
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

export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  c.json(
    errorBody(
      new AppError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`),
      c.get("requestId"),
    ),
    404,
  );
