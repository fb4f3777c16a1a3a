# ChatCRM API on the official Deno image. Build: docker build -t chatcrm .
# Run (embedded default): docker run -p 5000:5000 -v chatcrm-data:/app/data chatcrm
# Production: add NODE_ENV=production, JWT_SECRET, ENCRYPTION_KEY, MONGODB_URI and REDIS_URL;
# then nothing is written at start and the container may run with --read-only.
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when the production import map or its
# lockfile change. deploy/deno.json lists only what the API, the worker and the scripts load
# (no test, type-only or build packages); tests/deploy/currency_test.ts keeps it in step with the
# main deno.json and deno.lock (`deno task deploy-lock` updates it).
COPY deploy/deno.json deploy/deno.lock ./
RUN deno install --frozen

# The source only, then its module graph (including the lazily loaded adapters) cached and
# checked against the lockfile.
COPY src ./src
COPY workers ./workers
RUN deno cache --frozen src/main.ts workers/cron.ts src/cli/*.ts \
  && mkdir -p /app/data \
  && chown deno:deno /app/data

ENV PORT=5000 \
  HOST=0.0.0.0 \
  DATA_DIR=/app/data

# The SQLite file, uploads and the generated development secret of the embedded default.
VOLUME ["/app/data"]

# The source and dependencies stay owned by root; the app writes only to DATA_DIR.
USER deno

EXPOSE 5000

# curl is not in the image: Deno fetches /health/ready itself (200 when store and bus answer).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["deno", "eval", "--no-config", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') ?? '5000'}/health/ready`).catch(() => null); Deno.exit(r?.status === 200 ? 0 : 1);"]

CMD ["deno", "task", "start"]
