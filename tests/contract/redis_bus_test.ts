import { busContract, redisOnlyContract, sharedSetContract } from "./bus_contract.ts";

busContract("redis");
sharedSetContract("redis");
redisOnlyContract();
