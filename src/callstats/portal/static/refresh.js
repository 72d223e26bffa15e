// Views that refresh themselves pause while the tab is hidden (no requests from a
// background tab) and refresh at once when it is shown again.

export class Refresher {
  constructor() {
    this.timer = null;
    this.seconds = 0;
    this.task = null;
    this.onVisibility = () => this.visibilityChanged();
  }

  /** Runs `task` every `seconds` (0: never) while the page is visible. */
  start(seconds, task) {
    this.stop();
    if (!seconds) return;
    this.seconds = seconds;
    this.task = task;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    document.body.dataset.refresh = document.hidden ? "paused" : "running";
    if (document.hidden || !this.task) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!document.hidden && this.task) this.task();
    }, this.seconds * 1000);
  }

  visibilityChanged() {
    if (!this.task) return;
    if (document.hidden) {
      clearTimeout(this.timer);
      this.timer = null;
      document.body.dataset.refresh = "paused";
    } else {
      document.body.dataset.refresh = "running";
      this.task(); // catch up at once; the task schedules the next run
    }
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.task = null;
    document.removeEventListener("visibilitychange", this.onVisibility);
    delete document.body.dataset.refresh;
  }
}
