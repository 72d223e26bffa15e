import { frame } from "./common.js";

export default {
  title: "concurrent",
  mount(ctx) { ctx.parts = frame(ctx, "concurrent"); },
  load() {},
};
