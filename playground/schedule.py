"""Live training jobs and the scheduler that shares the CPU between them.

A `LiveJob` is one learner's model as the page shows it: a `Run`, what the learner asked for
(play or pause, a pace, an optional epoch to stop at, single steps) and the frames the browser
pulls. The `Scheduler` trains every job that has work in short slices on a few worker threads,
in turn, so a long run never starves a short one and a page's script never trains itself.

Frames are built only when the view has taken the previous one (`frame_wanted`): a slow browser
or network gets fewer frames, never a queue of old ones. At the "normal" pace one epoch is
trained per frame (TensorFlow Playground's rule); at "slow" a few epochs a second; at "full"
as many as fit, with a frame whenever the view is ready for one.

Every access to a job's Run from another thread goes through `job.lock`: the worker holds it
while it trains a slice (at most SLICE_S of work, one epoch more at worst).

A `Task` is any other work a visitor asks for (a lesson's runs, an A/B pair, a sweep, the
learning-rate finder, both engines): it runs in the page's own script thread, but only while a
worker has given it a turn, and it gives the turn back at its next `tick` once its slice is up.
So every path that trains shares the same workers, in the same fair order, and at most as many
things train at once as there are workers.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from .nn.metrics import score
from .train import Run

_LOG = logging.getLogger(__name__)
PACES = {"slow": "Slow motion", "normal": "Normal", "full": "Full speed"}
SLOW_EPOCHS_PER_S = 5.0  # slow motion: sees the first epochs, where the boundary forms
FRAME_RATE = 60.0  # frames per second at most (and epochs per second at the normal pace)
# A little under: a display frame is never missed. The same at full speed: drawing at screen
# rate there (instead of every 1.5 frames) costs the trainer 6-8% of its epochs for 40% more
# frames (bench/page_speed.py, interleaved: spiral 617 and 620 epochs/s at 55 frames/s against
# 642 and 703 at 39; default 917 and 903 against 958 and 979).
FRAME_GAP_S = 1.0 / FRAME_RATE - 0.002
SLICE_S = 0.02  # one turn of a worker on one job
MAX_EDIT = 1000.0  # the largest weight or bias a learner may type
RATE_WINDOW_S = 1.0  # epochs per second are measured over about this long
SHOWN_KEPT = 3  # savepoints of the last frames sent (the view shows one of the last two)

FrameMaker = Callable[["LiveJob", bool], bytes]  # (job, structure?) -> encoded frame


@dataclass
class Pace:
    """How the learner wants the job to run, set from the page."""

    playing: bool = False
    pace: str = "normal"
    stop_at: int | None = None  # epoch; None: play until paused


class LiveJob:
    """One learner's live run. The page (script thread) calls play/pause/step/replace; the
    scheduler's workers call `work`; the view's channel calls `attach`, `take_frame`, `ack`."""

    def __init__(self, run: Run, make_frame: FrameMaker, alive: Callable[[], bool] = lambda: True):
        self.lock = threading.RLock()
        self.run, self.make_frame, self.alive = run, make_frame, alive
        self.token = _new_token()
        self.want = Pace()
        self.version = 0  # bumps when the run is replaced: the view needs a new structure
        self._steps = 0  # single epochs asked for
        self._next_due = 0.0  # the slow and (viewless) normal paces train on a timer
        # At the normal pace the next epoch trains while the browser draws the last one (it is
        # then sent as soon as the view asks): the view is at most one epoch behind the model.
        self._banked = False
        # While playing, the run as each recent frame showed it (seq, epoch, savepoint): the
        # model trains ahead of the view, and Pause from the view goes back to what it showed.
        self._shown: list[tuple[int, int, object]] = []
        self._pausing = False  # a Pause is between stopping the worker and going back
        self._last_frame = 0.0
        self._rates: list[tuple[float, int]] = []  # (time, epoch) over the last RATE_WINDOW_S
        self.stop_reason = ""
        # The view: one frame in flight at a time; a structure first after (re)connecting.
        self.viewer: object | None = None  # the channel's handle while a browser is attached
        self.had_viewer = False
        self.frame_wanted = False
        self._structure_due = True
        self._dirty = True  # something changed at rest: the next wanted frame is built anyway
        self.outbox: bytes | None = None
        self.outbox_seq = 0
        self.on_frame: Callable[[], None] = lambda: None  # set by the channel
        self.options: dict = {}  # what the view asked to see (e.g. a node to look closer at)
        self.edited: dict | None = None  # metrics of weights the learner changed, until trained
        self.frame_seconds = 0.0  # how long the last frame took to build
        # Wall-clock seconds this run has played (what the learner waited), and the first epoch
        # that reached MILESTONE on the test set with the seconds played until then.
        self.played_s, self._play_since = 0.0, None
        self.milestone: tuple[int, float] | None = None
        JOBS[self.token] = self

    # ---- the page ------------------------------------------------------------------------
    def play(self, pace: str | None = None, stop_at: int | None = None) -> None:
        with self.lock:
            if pace is not None:
                self.set_pace(pace)
            self.want.stop_at = stop_at
            if stop_at is not None and self.run.epoch >= stop_at:
                self.stop_reason = "stop_at"
                return
            self.want.playing, self.stop_reason, self._banked = True, "", False
            self._shown = []
            self._next_due = time.perf_counter()
            if self._play_since is None:
                self._play_since = self._next_due
        SCHEDULER.wake(self)

    def train(self, epochs: int | None = None, pace: str | None = None) -> None:
        """The learner pressed Train: play until paused, or (`epochs`) until that many more
        epochs, or on to the stop epoch of a fixed-length run that was paused before it.
        Nothing when it plays already (the view and the page both report the same click)."""
        with self.lock:
            if self.want.playing:
                return
            stop_at, run = None, self.run
            if epochs is not None:
                target = self.want.stop_at
                resuming = target is not None and run.epoch < target and self.stop_reason == ""
                stop_at = target if resuming else run.epoch + epochs
            self.play(pace, stop_at)

    def pause(self, seen: int | None = None) -> None:
        """Stop playing; returns once the worker has finished its slice (the Run is still).
        `seen`: the frame the view showed at the click (its seq): the model, which trains a
        little ahead of the view, goes back to that frame's epoch, so the learner's Pause stops
        the run where they saw it (a frame no longer kept: the run stays where it is)."""
        with self._stopped(seen):
            self._dirty = True
            self._stop_clock()

    @contextlib.contextmanager
    def _stopped(self, seen: int | None) -> Iterator[None]:
        """Stop playing, go back to the frame `seen` if it was playing, and hold the lock for
        the caller's change; the worker is woken after. No frame goes out between the stop and
        the going back (it would show the epochs that are about to be undone)."""
        self._pausing = True
        was_playing, self.want.playing = self.want.playing, False
        with self.lock:
            try:
                self._back_to(seen if was_playing else None)
                if was_playing and seen is not None:
                    # The view that clicked drops the frames still in flight unacknowledged
                    # (were they acknowledged, frames could go out, and the savepoint of the one
                    # it showed be forgotten, before this Pause arrived): it waits for the next.
                    self.frame_wanted = True
            finally:
                self._pausing = False
            yield
        SCHEDULER.wake(self)

    def _back_to(self, seen: int | None) -> None:
        shown, self._shown = self._shown, []
        point = next((p for seq, epoch, p in shown if seq == seen and epoch < self.run.epoch),
                     None)
        if point is None or self.run.status in ("diverged", "early_stopped"):
            return
        self.run.restore(point)
        self.edited = None
        if self.milestone is not None and self.milestone[0] > self.run.epoch:
            self.milestone = None

    def set_pace(self, pace: str) -> None:
        if pace not in PACES:
            raise ValueError(f"unknown pace {pace!r}; one of {', '.join(PACES)}")
        self.want.pace = pace
        self._rates.clear()
        SCHEDULER.wake(self)

    def step(self, wait_s: float = 10.0, seen: int | None = None) -> None:
        """Train one epoch now (the learner pressed Step) and wait until it is done; pressed
        while playing it pauses first (`seen`: as `pause`), then trains one epoch more."""
        with self._stopped(seen):
            self._steps += 1
        deadline = time.perf_counter() + wait_s
        while self._steps and time.perf_counter() < deadline:
            time.sleep(0.002)

    def replace(self, run: Run) -> None:
        """A new Run (new data or network, Reset, a lesson's run shown): paused, redrawn."""
        with self.lock:
            self.run, self.want.playing, self._steps, self._banked = run, False, 0, False
            self._shown = []
            self.played_s, self._play_since, self.milestone = 0.0, None, None
            self.want.stop_at = None
            self.version += 1
            self.edited = None
            self._structure_due = self._dirty = True
            self._rates.clear()
            # A run trained to its end elsewhere (a lesson's) says so; Train goes on from there.
            done = run.epoch > 0 and run.epoch >= run.config.epochs
            self.stop_reason = "stop_at" if done else ""
        SCHEDULER.wake(self)

    def touched(self) -> None:
        """The Run changed outside training (an edited weight, new settings): send a frame."""
        with self.lock:
            self._dirty = True
        SCHEDULER.wake(self)

    @property
    def playing(self) -> bool:
        return self.want.playing

    def status(self) -> str:
        """What the page and the view say the job is doing."""
        if self.want.playing:
            return "training"
        if self.stop_reason in ("stop_at", "error"):
            return "finished" if self.stop_reason == "stop_at" else "error"
        return self.run.status if self.run.status in ("diverged", "early_stopped") else (
            "paused" if self.run.epoch else "ready")

    def rate(self) -> float:
        """Epochs per second over the last RATE_WINDOW_S while playing (0 at rest)."""
        if not self.want.playing or len(self._rates) < 2:
            return 0.0
        (t0, e0), (t1, e1) = self._rates[0], self._rates[-1]
        return (e1 - e0) / (t1 - t0) if t1 > t0 else 0.0

    @contextlib.contextmanager
    def reading(self) -> Iterator[Run]:
        """The Run, held still (the worker waits) for as long as the block runs."""
        with self.lock:
            yield self.run

    def frozen(self) -> Run:
        """A copy of the Run as it is now, for pages that read it at length while it trains
        (the data, the dataset spec and the random generators are shared, not copied)."""
        with self.lock:
            r = self.run
            memo = {id(r.data): r.data}
            for name in ("_dataset_spec", "_generator"):
                if hasattr(r, name):
                    memo[id(getattr(r, name))] = getattr(r, name)
            for value in vars(r._net).values() if hasattr(r, "_net") else ():
                memo.setdefault(id(value), value)  # ops bound to the live tensors: not needed
            return copy.deepcopy(r, memo)

    # ---- the view's channel ----------------------------------------------------------------
    def attach(self, viewer: object) -> None:
        with self.lock:
            self.viewer, self.had_viewer = viewer, True
            self._structure_due = self._dirty = True
            self.frame_wanted = True
        SCHEDULER.wake(self)

    def detach(self, viewer: object) -> None:
        """The browser went away (tab closed, page reloaded): stop training for it."""
        if self.viewer is viewer:
            self.viewer, self.frame_wanted = None, False
            self.want.playing = False

    def ack(self) -> None:
        """The view has drawn the last frame and is ready for the next."""
        self.frame_wanted = True
        SCHEDULER.wake(self)

    def take_frame(self) -> tuple[int, bytes] | None:
        frame, self.outbox = self.outbox, None
        return None if frame is None else (self.outbox_seq, frame)

    def resync(self) -> None:
        """The view lost track (a frame of another run arrived): send the structure again."""
        with self.lock:
            self._structure_due = True
        SCHEDULER.wake(self)

    def edit(self, change: dict) -> None:
        """Set one weight or bias, as the learner typed it (at rest only): {"kind": "weight",
        "layer": i, "out": o, "in": j, "value": v} or {"kind": "bias", "layer": i, "out": o,
        "value": v}, where i counts the Linear layers. ValueError for anything else."""
        kind, value = change.get("kind"), change.get("value")
        if kind not in ("weight", "bias") or type(value) not in (int, float):
            raise ValueError(f"not an edit: {change!r}")
        if not abs(value) <= MAX_EDIT:
            raise ValueError(f"a weight must be a number within ±{MAX_EDIT:g}")
        with self.lock:
            if self.want.playing:
                raise ValueError("weights can be changed only while training is paused")
            layers = [m for m in self.run.model if isinstance(m, nn.Linear)]
            index = [change.get("layer"), change.get("out")] + ([change.get("in")] if kind == "weight" else [])
            if any(type(i) is not int for i in index) or not 0 <= index[0] < len(layers):
                raise ValueError(f"no such {kind}: {change!r}")
            tensor = layers[index[0]].weight if kind == "weight" else layers[index[0]].bias
            if tensor is None or not all(0 <= i < n for i, n in zip(index[1:], tensor.shape)):
                raise ValueError(f"no such {kind}: {change!r}")
            with torch.no_grad():
                tensor[tuple(index[1:])] = float(value)
            self._shown = []
            self.edited = self.run.evaluate()
            self._dirty = True
        SCHEDULER.wake(self)

    def request(self, **options) -> None:
        """The view asks to see something else (e.g. another node large): a new frame."""
        with self.lock:
            self.options.update(options)
            self._dirty = True
        SCHEDULER.wake(self)

    # ---- the scheduler ---------------------------------------------------------------------
    def due_in(self, now: float) -> float | None:
        """Seconds until this job has work (0: now), or None when it has none."""
        if self._steps:
            return 0.0
        if self.want.playing and not self.alive():
            self.want.playing = False
        frame = self._frame_wait(now)
        if not self.want.playing:
            return frame
        pace = self.want.pace
        if pace == "full":
            return 0.0
        if pace == "normal" and self.viewer is not None:  # one epoch per frame the view takes
            return frame if self.frame_wanted else (None if self._banked else 0.0)
        return max(0.0, self._next_due - now)

    def _frame_wait(self, now: float) -> float | None:
        """Seconds until a frame may go out, or None when none can or none is needed."""
        if not (self.frame_wanted and self.viewer is not None) or self._pausing:
            return None
        if self._structure_due:
            return 0.0
        if not (self._dirty or self.want.playing):
            return None
        return max(0.0, self._last_frame + FRAME_GAP_S - now)

    def work(self, budget_s: float = SLICE_S) -> None:
        """One slice: a pending step, or training at the asked pace; frames as the view allows."""
        with self.lock:
            if self._steps:
                self._train(1)
                self._steps -= 1
            elif self.want.playing:
                self._play(budget_s)
            self._maybe_frame()

    def _play(self, budget_s: float) -> None:
        pace, now = self.want.pace, time.perf_counter()
        if pace == "full":
            self._train(None, until=now + budget_s)
        elif pace == "normal" and self.viewer is not None:
            if self._frame_wait(now) == 0.0:  # the view is ready: show the banked epoch
                if not self._banked:
                    self._train(1)
                self._banked = False
            elif not self.frame_wanted and not self._banked:  # the view is drawing
                sent = self.outbox_seq
                self._train(1)
                self._banked = self.outbox_seq == sent  # unless the view took it meanwhile
        elif now >= self._next_due:  # slow motion, or no view to pace the normal speed
            self._train(1)
            interval = 1.0 / (SLOW_EPOCHS_PER_S if pace == "slow" else FRAME_RATE)
            self._next_due = max(self._next_due + interval, now)

    def _train(self, epochs: int | None, until: float | None = None) -> None:
        """Train `epochs` epochs, or until `until`, stopping at the stop epoch or a problem;
        a frame goes out between epochs whenever the view is ready for one."""
        run, stop_at = self.run, self.want.stop_at
        count = epochs if epochs is not None else 10**9
        if stop_at is not None and self.want.playing:
            count = min(count, stop_at - run.epoch)
            if count <= 0:
                self._finish("stop_at")
                return

        def between(r: Run) -> bool:
            self._dirty = True
            self._note_rate()
            self._note_milestone()
            self._maybe_frame()
            return self.want.playing and (until is None or time.perf_counter() < until)

        self.edited = None
        run.fit(count, between)
        self._dirty = True
        if run.status in ("diverged", "early_stopped"):
            self._finish(run.status)
        elif stop_at is not None and self.want.playing and run.epoch >= stop_at:
            self._finish("stop_at")

    def failed(self) -> None:
        """Its slice raised (the scheduler logged it): it stops, the others go on."""
        self.want.playing, self.stop_reason = False, "error"

    def _finish(self, reason: str) -> None:
        self.want.playing, self.stop_reason, self._dirty = False, reason, True
        self._stop_clock()

    def played(self) -> float:
        """Wall-clock seconds this run has played so far."""
        since = self._play_since
        return self.played_s + (time.perf_counter() - since if since is not None else 0.0)

    def _stop_clock(self) -> None:
        if self._play_since is not None:
            self.played_s += time.perf_counter() - self._play_since
            self._play_since = None

    def _note_milestone(self) -> None:
        if self.milestone is None:
            key = score(self.run.task)[0]
            series = self.run.history.get(key)
            if series and series[-1] >= MILESTONE:
                self.milestone = (self.run.epoch, self.played())

    def _note_rate(self) -> None:
        now = time.perf_counter()
        self._rates.append((now, self.run.epoch))
        while len(self._rates) > 2 and now - self._rates[1][0] > RATE_WINDOW_S:
            self._rates.pop(0)

    def _maybe_frame(self) -> None:
        if self._frame_wait(time.perf_counter()) != 0.0:
            return
        structure, self._structure_due = self._structure_due, False
        self.frame_wanted, self._dirty = False, structure  # a structure is followed by a frame
        start = self._last_frame = time.perf_counter()
        self.outbox = self.make_frame(self, structure)
        self.frame_seconds = time.perf_counter() - start
        self.outbox_seq += 1
        self._keep_shown()
        self.on_frame()

    def _keep_shown(self) -> None:
        run = self.run
        if not self.want.playing:  # kept until Pause has used them (a frame may go out first)
            return
        h = run.history
        if (run.epoch, run.steps) == (h["epoch"][-1], h["steps"][-1]):  # between epochs
            self._shown = [*self._shown[-(SHOWN_KEPT - 1):],
                           (self.outbox_seq, run.epoch, run.savepoint())]


JOBS: weakref.WeakValueDictionary[str, LiveJob] = weakref.WeakValueDictionary()
MILESTONE = 0.95  # test accuracy (R² for numbers) whose first epoch the page shows, with its time


def _new_token() -> str:
    import secrets

    return secrets.token_urlsafe(18)


class Scheduler:
    """Worker threads that share the cores among the jobs with work, fairly in time: the next
    slice goes to the job that has been served least (a job's epoch may be longer than a
    slice, so counting turns would favour the heaviest job). A job that had no work does not
    bank time meanwhile: it rejoins level with the others."""

    def __init__(self, workers: int = 2, slice_s: float = SLICE_S):
        self.slice_s = slice_s
        self._jobs: weakref.WeakSet[LiveJob | Task] = weakref.WeakSet()
        self._busy: set[int] = set()  # ids of jobs a worker is running now
        self._served: weakref.WeakKeyDictionary[LiveJob, float] = weakref.WeakKeyDictionary()
        self._clock = 0.0  # the service time of the last job chosen (never decreases)
        self.sharing = 0  # jobs with work at the last choice (the view says how many share)
        self._cond = threading.Condition()
        self._workers = [threading.Thread(target=self._loop, name=f"playground-worker-{i}",
                                          daemon=True) for i in range(workers)]
        self._started = False

    def wake(self, job: LiveJob | Task) -> None:
        with self._cond:
            self._jobs.add(job)
            if not self._started:
                self._started = True
                for w in self._workers:
                    w.start()
            self._cond.notify_all()

    def served(self, job: LiveJob) -> float:
        """Seconds of work the job has had."""
        return self._served.get(job, 0.0)

    def _next(self) -> tuple[LiveJob | None, float]:
        """The job served least of those with work now, or how long to wait for one."""
        now, best, best_key, wait, with_work = time.perf_counter(), None, 0.0, 0.5, 0
        for job in list(self._jobs):
            if id(job) in self._busy:
                with_work += 1
                continue
            due = job.due_in(now)
            if due is None:
                continue
            with_work += 1
            if due > 0:
                wait = min(wait, due)
                continue
            key = max(self._served.get(job, 0.0), self._clock - self.slice_s)
            if best is None or key < best_key:
                best, best_key = job, key
        self.sharing = with_work
        if best is not None:
            self._served[best] = best_key
            self._clock = max(self._clock, best_key)
        return best, wait

    def _loop(self) -> None:
        while True:
            with self._cond:
                job, wait = self._next()
                while job is None:
                    self._cond.wait(timeout=wait)
                    job, wait = self._next()
                self._busy.add(id(job))
            start = time.perf_counter()
            try:
                job.work(self.slice_s)
            except Exception:  # a job that fails stops; the others go on
                _LOG.exception("a training job failed")
                job.failed()
            finally:
                with self._cond:
                    self._served[job] = self._served.get(job, 0.0) + time.perf_counter() - start
                    self._busy.discard(id(job))
                    self._cond.notify_all()


SCHEDULER = Scheduler()


class Cancelled(Exception):
    """A task's page went away (its tab was closed): the work stops."""


class OverBudget(Exception):
    """A task used more of the workers' time than it was allowed (its estimate was too low)."""


class Task:
    """Work that the calling thread does itself, in turns the scheduler gives it.

        with Task("the sweep", alive, limit_s=15) as task:
            for ...:
                one_epoch()
                task.tick()  # goes on while its slice lasts, else waits for its next turn

    The calling thread waits for a turn on entering, and at a `tick` after its slice is up;
    `on_wait(task)` is called about every WAIT_NOTE_S while it waits (the page says what it
    waits for there). `alive()` false (the tab was closed) raises Cancelled at the next tick or
    while waiting; more than `limit_s` of turns raises OverBudget. The turn is given back on
    leaving, whatever happened."""

    WAIT_NOTE_S = 0.25

    def __init__(self, what: str, alive: Callable[[], bool] = lambda: True, *,
                 limit_s: float = math.inf, on_wait: Callable[[Task], None] | None = None,
                 scheduler: Scheduler | None = None):
        self.what, self.alive, self.limit_s, self.on_wait = what, alive, limit_s, on_wait
        self.scheduler = scheduler or SCHEDULER
        self._cond = threading.Condition()
        self._wants = False  # waiting for a turn
        self._turn = False  # a worker has given it one and waits for it back
        self._closed = False
        self._slice_end = 0.0
        self.served = 0.0  # seconds of turns it has had
        self._turn_start = 0.0
        self.waited = 0.0  # seconds it waited for turns

    def __enter__(self) -> Task:
        self._wait_turn()
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._closed, self._wants = True, False
            self._give_back()

    def tick(self) -> None:
        """Between two pieces of work: carry on, or give the turn back and wait for the next."""
        now = time.perf_counter()
        if not self.alive():
            raise Cancelled(f"{self.what} stopped: its page was closed")
        if self.served + now - self._turn_start > self.limit_s:
            raise OverBudget(f"{self.what} used more than the {self.limit_s:.2g} s of this "
                             "server's time it was allowed")
        if now < self._slice_end:
            return
        with self._cond:
            self._give_back()
        self._wait_turn()

    def sharing(self) -> int:
        """How many jobs and tasks want the workers now (this one included)."""
        return max(self.scheduler.sharing, 1)

    def _wait_turn(self) -> None:
        start = time.perf_counter()
        with self._cond:
            self._wants = True
        self.scheduler.wake(self)
        with self._cond:
            try:
                while not self._turn:
                    if not self._cond.wait(timeout=self.WAIT_NOTE_S) and not self._turn:
                        if not self.alive():
                            raise Cancelled(f"{self.what} stopped: its page was closed")
                        if self.on_wait is not None:
                            self._cond.release()  # the page may draw meanwhile
                            try:
                                self.on_wait(self)
                            finally:
                                self._cond.acquire()
            except BaseException:  # closed, or the page's script was stopped or rerun
                self._closed, self._wants = True, False
                self._give_back()
                raise
        now = time.perf_counter()
        self.waited += now - start
        self._turn_start, self._slice_end = now, now + self.scheduler.slice_s

    def _give_back(self) -> None:
        """(Holding _cond.) End the turn, if it has one: the worker waiting on it goes on."""
        if self._turn:
            self._turn = False
            self.served += time.perf_counter() - self._turn_start
            self._cond.notify_all()

    # ---- the scheduler's side ----------------------------------------------------------------
    def due_in(self, now: float) -> float | None:
        return 0.0 if self._wants and not self._closed else None

    def work(self, budget_s: float) -> None:
        """A worker's turn: let the task's thread run, and wait until it gives the turn back
        (at its next tick after the slice, or when it ends)."""
        with self._cond:
            if not self._wants or self._closed:
                return
            self._wants, self._turn = False, True
            self._cond.notify_all()
            while self._turn and not self._closed:
                self._cond.wait(timeout=1.0)

    def failed(self) -> None:
        with self._cond:
            self._closed = True
            self._give_back()
