import { serve, testApp, type TestAppOptions } from "./app.ts";
import { aDesk, anAgent, openQuery } from "./support.ts";
import { connect, type ConnectOptions, type WsClient } from "./ws.ts";

/** A served app with a desk, an agent, and a query that landed with them; sockets it opens close with it. */
export async function conversation(options: TestAppOptions = {}) {
  const t = await testApp(options);
  const server = serve(t.app);
  const desk = await aDesk(t);
  const agent = await anAgent(desk);
  const query = await openQuery(desk);
  const clients: WsClient[] = [];
  return {
    t,
    server,
    desk,
    agent,
    query,
    async open(token: string, options: ConnectOptions = {}) {
      const c = await connect(server.wsUrl, token, options);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await t.close();
      await server.close();
    },
  };
}

export type Conversation = Awaited<ReturnType<typeof conversation>>;
