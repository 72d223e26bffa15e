// The views by path slug (the page "/" is the overview).

import calls from "./calls.js";
import concurrent from "./concurrent.js";
import live from "./live.js";
import overview from "./overview.js";
import quality from "./quality.js";
import summary from "./summary.js";
import traffic from "./traffic.js";

export const VIEWS = { overview, traffic, quality, concurrent, live, calls, summary };
