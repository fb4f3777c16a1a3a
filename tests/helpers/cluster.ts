import { serve, testApp, type TestAppOptions } from "./app.ts";
import { startRedis } from "./redis.ts";
import { aDesk, anAgent, openQuery } from "./support.ts";
import { connect, type ConnectOptions, type WsClient } from "./ws.ts";

/** Two instances on one SQLite file and one real Redis; a customer on A, their agent on B. */
export async function twoInstances(env: Record<string, string> = {}, onB: TestAppOptions = {}) {
  const redis = await startRedis();
  const a = await testApp({ env: { REDIS_URL: redis.url, ...env } });
  const b = await testApp({
    ...onB,
    dataDir: a.deps.config.dataDir,
    env: { REDIS_URL: redis.url, ...env },
  });
  const servers = [serve(a.app), serve(b.app)];
  const desk = await aDesk(a);
  const agent = await anAgent(desk);
  const query = await openQuery(desk);
  const clients: WsClient[] = [];
  const open = async (instance: 0 | 1, token: string, options: ConnectOptions = {}) => {
    const c = await connect(servers[instance]!.wsUrl, token, options);
    clients.push(c);
    return c;
  };
  return {
    redis,
    a,
    b,
    desk,
    agent,
    query,
    open,
    async close() {
      for (const c of clients) await c.close();
      await b.close();
      await a.close();
      for (const s of servers) await s.close();
      await redis.stop();
    },
  };
}
