import { frame } from "./common.js";

export default {
  title: "live",
  mount(ctx) { ctx.parts = frame(ctx, "live"); },
  load() {},
};
