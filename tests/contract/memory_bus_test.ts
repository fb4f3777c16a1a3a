import { busContract, sharedSetContract } from "./bus_contract.ts";

busContract("memory");
sharedSetContract("memory");
