/**
 * Run by the `hub-memory` benchmark with --expose-gc: rounds of many sockets in one room, a burst
 * of messages to all of them, then every socket closed. Prints one JSON line per step with the
 * JS heap after a full collection and the RSS, so whether the hub keeps anything shows.
 */
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, openQuery } from "@tests/helpers/support.ts";
import { connect, type WsClient } from "@tests/helpers/ws.ts";

const [socketsArg = "100", messagesArg = "2000", roundsArg = "3"] = Deno.args;
const gc = (globalThis as unknown as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
function step(name: string) {
  for (let i = 0; i < 3; i++) gc!();
  const { heapUsed, rss } = Deno.memoryUsage();
  console.log(JSON.stringify({ step: name, heapMb: mb(heapUsed), rssMb: mb(rss) }));
}

const t = await testApp({ env: { WS_RATE_PER_SECOND: "10000", WS_RATE_BURST: "10000" } });
const server = serve(t.app);
const desk = await aDesk(t);
const agent = await anAgent(desk, { max: 50 });
const query = await openQuery(desk);
const text = "x".repeat(1000);
step("idle");
for (let round = 1; round <= Number(roundsArg); round++) {
  let sockets: WsClient[] = [];
  for (let i = 0; i < Number(socketsArg); i++) {
    const s = await connect(server.wsUrl, i % 2 ? desk.token.Admin : agent.token);
    await s.request("join-room", { roomId: query.roomId });
    sockets.push(s);
  }
  const sender = await connect(server.wsUrl, desk.token.Customer);
  for (let i = 0; i < Number(messagesArg); i++) {
    await sender.request("send-message", { roomId: query.roomId, message: text });
  }
  for (const s of sockets) await s.next("message-received", (d) => d.message !== undefined);
  step(`round ${round}, loaded`);
  for (const s of [...sockets, sender]) await s.close();
  // The test clients keep every frame they got: let them go before measuring what stays.
  sockets = [];
  step(`round ${round}, sockets closed`);
}
await t.close();
await server.close().catch(() => {});
