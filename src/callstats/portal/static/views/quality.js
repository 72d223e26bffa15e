import { frame } from "./common.js";

export default {
  title: "quality",
  mount(ctx) { ctx.parts = frame(ctx, "quality"); },
  load() {},
};
