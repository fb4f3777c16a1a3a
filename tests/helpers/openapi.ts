import { AssertionError } from "node:assert/strict";
import { OpenAPIBackend, type Operation, SetMatchType } from "openapi-backend";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/**
 * Every response the HTTP tests receive is checked against the app's own /openapi.json by
 * openapi-backend, whose schemas are compiled by Ajv's JSON Schema 2020-12 class (the dialect of
 * OpenAPI 3.1), so a drift between the server and its document fails the test that saw it.
 * Glue only: the operation is found by openapi-backend's router and the body judged by Ajv; the
 * status and the media type are compared with what the operation declares.
 */
export interface ResponseChecker {
  /** The problems of one exchange, empty when the response is what the document says. */
  problems(method: string, url: string, response: Response): Promise<string[]>;
}

type Document = {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, object> };
};
type Declared = { content?: Record<string, unknown> };

let shared: Promise<ResponseChecker> | undefined;

/** The checker for the document the app serves; built once per test process. */
export function responseChecker(
  fetchDocument: () => Promise<Response> | Response,
): Promise<ResponseChecker> {
  shared ??= (async () => {
    const res = await fetchDocument();
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return await checkerFor(await res.json());
  })();
  // A failure is that caller's; the next app tries again.
  shared.catch(() => shared = undefined);
  return shared;
}

function newAjv(options: object = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...options, strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

/** The document's `Error` component (it refers to no other), compiled by Ajv. */
function compileErrorSchema(document: Document): (body: unknown) => string[] {
  const schema = document.components?.schemas?.Error;
  if (!schema) throw new Error("/openapi.json has no Error schema");
  const validate = newAjv().compile(schema);
  return (body) => {
    validate(body);
    return (validate.errors ?? []).map((e) => `${e.instancePath || "body"} ${e.message}`);
  };
}

async function checkerFor(document: Document): Promise<ResponseChecker> {
  const definition = structuredClone(document);
  // openapi-backend finds operations by operationId; one the document lacks (its own test,
  // tests/http/openapi_test.ts, requires them) must not hide what the answer says.
  for (const [path, item] of Object.entries(definition.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const operation = op as { operationId?: string };
      if (typeof op === "object" && op !== null) operation.operationId ??= `${method} ${path}`;
    }
  }
  const api = new OpenAPIBackend({
    definition: definition as never,
    // The document's own shape is Redocly's test (tests/http/openapi_test.ts): openapi-backend
    // would check it against the OpenAPI 3.0 schema.
    quick: true,
    customizeAjv: (_ajv, options) => newAjv(options) as never,
  });
  await api.init();
  const errorEnvelope = compileErrorSchema(document);
  return {
    async problems(method, href, response) {
      const url = new URL(href);
      const operation = api.router.matchOperation({
        method,
        path: url.pathname,
        headers: {},
        query: url.search.slice(1),
      });
      return operation
        ? await judge(api, operation, response)
        : await unrouted(errorEnvelope, method, response);
    },
  };
}

function mediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

async function judge(
  api: OpenAPIBackend,
  operation: Operation,
  response: Response,
): Promise<string[]> {
  const status = response.status;
  const responses = (operation.responses ?? {}) as Record<string, Declared>;
  const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ??
    responses.default;
  if (!declared) {
    return [`status ${status} is not documented (documented: ${Object.keys(responses)})`];
  }
  const headers = api.validator.validateResponseHeaders(
    Object.fromEntries(response.headers),
    operation,
    { statusCode: status, setMatchType: SetMatchType.Superset },
  );
  if (headers.errors?.length) {
    return headers.errors.map((e) => `headers${e.instancePath} ${e.message}`);
  }
  const type = mediaType(response);
  const content = declared.content ?? {};
  if (Object.keys(content).length === 0) {
    if (status === 101 || status === 204 || status === 304) return [];
    const body = await response.clone().text();
    return body ? [`status ${status} is documented without a body, got ${type}`] : [];
  }
  const [major] = type.split("/");
  if (!(type in content) && !(`${major}/*` in content) && !("*/*" in content)) {
    return [`media type "${type}" is not documented for ${status}: ${Object.keys(content)}`];
  }
  if (type !== "application/json") return [];
  const text = await response.clone().text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`the body is not JSON: ${text.slice(0, 200)}`];
  }
  const result = api.validateResponse(body, operation, status);
  return (result.errors ?? []).map((e) =>
    `${e.instancePath || "body"} ${e.message} ${JSON.stringify(e.params)}`
  );
}

/**
 * No operation matches: a CORS preflight, or the error envelope of what answers before routing
 * (the body limit, repeated parameters, a mount's authentication, the rate limit), of no route
 * (404, or 405 with `Allow`), or of a failure.
 */
async function unrouted(
  errorEnvelope: (body: unknown) => string[],
  method: string,
  response: Response,
): Promise<string[]> {
  const status = response.status;
  if (method === "OPTIONS" && status === 204) return [];
  if (![400, 401, 403, 404, 405, 413, 429, 500].includes(status)) {
    return [`${method} matches no documented operation, yet answered ${status}`];
  }
  if (status === 405 && !response.headers.get("allow")) return ["405 without Allow"];
  if (mediaType(response) !== "application/json") return ["an error answer that is not JSON"];
  return errorEnvelope(await response.clone().json());
}

/** Throws an AssertionError naming the exchange when the response drifts from the document. */
export async function assertDocumented(
  checker: ResponseChecker,
  request: { method: string; url: string },
  response: Response,
): Promise<void> {
  const problems = await checker.problems(request.method, request.url, response);
  if (problems.length === 0) return;
  throw new AssertionError({
    message: describe(request, response, problems) +
      `\n  body: ${(await response.clone().text().catch(() => "")).slice(0, 500)}`,
  });
}

/** `GET /path → 200 does not match /openapi.json:` and the problems, one a line. */
export function describe(
  request: { method: string; url: string },
  response: Response,
  problems: string[],
): string {
  return `${request.method} ${new URL(request.url).pathname} → ${response.status} does not ` +
    `match /openapi.json:\n  ${problems.join("\n  ")}`;
}

/**
 * `fetch` for a server a test started as its own process: the answer is checked against
 * /openapi.json like those of `t.call` and `serve` (the document is read once, from that server).
 */
export async function checkedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const checker = await responseChecker(() => fetch(new URL("/openapi.json", url)));
  await assertDocumented(checker, { method: init.method ?? "GET", url }, res);
  return res;
}

const alreadyChecked = new WeakSet<Response>();

/** True when the response came out of an app that `checkEveryAnswer` wrapped. */
export function wasChecked(response: Response): boolean {
  return alreadyChecked.has(response);
}

/**
 * Makes the app check its own answers: `app.fetch` (which `app.request` and every server call)
 * throws an AssertionError for an answer that drifts from /openapi.json.
 */
export function checkEveryAnswer(
  app: { fetch: (req: Request, ...rest: never[]) => Response | Promise<Response> },
  checker: ResponseChecker,
): void {
  const fetch = app.fetch;
  app.fetch = async (req: Request, ...rest: never[]) => {
    const { method, url } = req;
    const res = await fetch(req, ...rest);
    await assertDocumented(checker, { method, url }, res);
    alreadyChecked.add(res);
    return res;
  };
}
