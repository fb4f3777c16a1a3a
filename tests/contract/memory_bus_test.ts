import { busContract } from "./bus_contract.ts";

busContract("memory");
