import { frame } from "./common.js";

export default {
  title: "calls",
  mount(ctx) { ctx.parts = frame(ctx, "calls"); },
  load() {},
};
