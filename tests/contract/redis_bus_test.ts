import { busContract, redisOnlyContract } from "./bus_contract.ts";

busContract("redis");
redisOnlyContract();
