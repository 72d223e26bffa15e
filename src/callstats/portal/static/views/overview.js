import { frame } from "./common.js";

export default {
  title: "overview",
  mount(ctx) { ctx.parts = frame(ctx, "overview"); },
  load() {},
};
