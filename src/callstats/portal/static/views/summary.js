import { frame } from "./common.js";

export default {
  title: "summary",
  mount(ctx) { ctx.parts = frame(ctx, "summary"); },
  load() {},
};
