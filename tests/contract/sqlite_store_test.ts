import { storeSuites } from "./store_suites.ts";

storeSuites("sqlite");
