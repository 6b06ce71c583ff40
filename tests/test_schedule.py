"""playground.schedule: live jobs (play until pause, paces, steps, stop epochs, frames only
when the view is ready, edits) and the scheduler that shares the workers between them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from playground import Config, Run
from playground.schedule import JOBS, SCHEDULER, LiveJob

CFG = Config(epochs=50)  # the default circle set-up


def frames_of(job: LiveJob) -> list[tuple[bool, int]]:
    """Make the job record (structure?, epoch) for every frame it builds."""
    log: list[tuple[bool, int]] = []

    def make(j: LiveJob, structure: bool) -> bytes:
        log.append((structure, j.run.epoch))
        return b"frame"

    job.make_frame = make
    return log


def wait_until(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def epochs_by_seq(job: LiveJob) -> dict[int, int]:
    """Make the job record the epoch of every frame it builds, by the frame's seq."""
    shown: dict[int, int] = {}

    def make(j: LiveJob, structure: bool) -> bytes:
        shown[j.outbox_seq + 1] = j.run.epoch
        return b"frame"

    job.make_frame = make
    return shown


@pytest.fixture
def job():
    j = LiveJob(Run(CFG), lambda j, s: b"")
    yield j
    j.pause()


def test_play_trains_until_pause_and_resumes_where_it_paused(job):
    job.play("full")
    wait_until(lambda: job.run.epoch >= 20)
    assert job.playing and job.status() == "training"
    job.pause()  # returns once the worker has finished its slice
    paused_at = job.run.epoch
    time.sleep(0.2)
    assert job.run.epoch == paused_at and job.status() == "paused"
    assert job.run.history["epoch"] == list(range(paused_at + 1))
    job.play("full")
    wait_until(lambda: job.run.epoch >= paused_at + 10)
    job.pause()
    assert job.run.history["epoch"] == list(range(job.run.epoch + 1))  # one unbroken history


def test_a_paused_run_equals_a_run_trained_in_one_go(job):
    job.play("full", stop_at=37)
    wait_until(lambda: not job.playing)
    straight = Run(CFG).fit(37)
    assert job.run.epoch == 37 and job.status() == "finished"
    torch.testing.assert_close(job.run.params.theta, straight.params.theta, rtol=0, atol=0)


def test_stop_at_ends_the_run_there(job):
    job.play("normal", stop_at=12)
    wait_until(lambda: not job.playing)
    assert job.run.epoch == 12 and job.stop_reason == "stop_at"
    job.play("normal", stop_at=12)  # already there: nothing to do
    assert not job.playing and job.run.epoch == 12


def test_step_trains_one_epoch_and_waits_for_it(job):
    job.step()
    assert job.run.epoch == 1
    job.step()
    job.step()
    assert job.run.epoch == 3 and not job.playing


def test_slow_motion_trains_a_few_epochs_a_second(job):
    job.play("slow")
    time.sleep(1.0)
    job.pause()
    assert 2 <= job.run.epoch <= 8, job.run.epoch  # 5 a second


def test_the_normal_pace_trains_one_epoch_per_frame_the_view_takes(job):
    log = frames_of(job)
    viewer = object()
    job.attach(viewer)
    wait_until(lambda: job.outbox is not None)  # the structure, then a frame
    job.take_frame()
    job.ack()
    wait_until(lambda: len(log) >= 2)
    job.take_frame()
    job.play("normal")
    time.sleep(0.3)  # the view takes no frame: the job waits for it
    assert job.run.epoch <= 1
    epochs = []
    for _ in range(6):
        job.ack()
        wait_until(lambda: job.outbox is not None)
        job.take_frame()
        epochs.append(log[-1][1])
    job.pause()
    assert log[0][0] and not any(s for s, _ in log[1:])  # one structure first
    steps = np.diff(epochs)
    assert set(steps) <= {1}, epochs  # one epoch each time the view took a frame


def test_frames_are_built_only_when_the_view_is_ready(job):
    log = frames_of(job)
    job.attach(object())
    job.play("full")
    wait_until(lambda: job.run.epoch >= 30)
    built = len(log)
    time.sleep(0.2)
    assert len(log) == built <= 2  # nothing taken since the first: nothing more built
    job.pause()


def test_a_closed_view_stops_the_training(job):
    viewer = object()
    job.attach(viewer)
    job.play("full")
    wait_until(lambda: job.run.epoch >= 5)
    job.detach(viewer)
    wait_until(lambda: not job.playing, 1.0)  # within a second of the tab closing


def test_a_session_that_ends_stops_its_job():
    alive = threading.Event()
    alive.set()
    job = LiveJob(Run(CFG), lambda j, s: b"", alive=alive.is_set)
    job.play("full")
    wait_until(lambda: job.run.epoch >= 5)
    alive.clear()
    wait_until(lambda: not job.playing, 1.0)


def test_replace_pauses_and_asks_for_a_new_structure(job):
    log = frames_of(job)
    job.attach(object())
    wait_until(lambda: len(log) >= 1)
    job.take_frame()
    job.ack()
    wait_until(lambda: len(log) >= 2)
    job.take_frame()
    job.play("full")
    job.replace(Run(CFG.replace(seed=3)))
    assert not job.playing and job.version == 1 and job.run.epoch == 0
    job.ack()
    wait_until(lambda: len(log) >= 3)
    assert log[-1] == (True, 0)


def test_a_run_trained_to_its_end_elsewhere_shows_as_finished_and_trains_on(job):
    trained = Run(CFG.replace(epochs=5)).fit()  # a lesson's run, shown in the main view
    job.replace(trained)
    assert job.status() == "finished"
    job.train(epochs=3)  # Train with 'Stop after': three more epochs from where it ended
    wait_until(lambda: not job.playing)
    assert job.run.epoch == 8 and job.status() == "finished"
    job.replace(Run(CFG))
    assert job.status() == "ready"


def test_edits_change_the_model_at_rest_only(job):
    job.step()
    before = job.run.model[0].weight[1, 0].item()
    job.edit({"kind": "weight", "layer": 0, "out": 1, "in": 0, "value": 2.5})
    assert job.run.model[0].weight[1, 0].item() == 2.5 != before
    job.edit({"kind": "bias", "layer": 1, "out": 0, "value": -0.25})
    assert job.run.model[2].bias[0].item() == -0.25
    expected = job.run.evaluate()
    assert job.edited["train_loss"] == expected["train_loss"]
    for bad in ({"kind": "weight", "layer": 0, "out": 9, "in": 0, "value": 1.0},
                {"kind": "weight", "layer": 5, "out": 0, "in": 0, "value": 1.0},
                {"kind": "bias", "layer": 0, "out": 0, "value": float("nan")},
                {"kind": "bias", "layer": 0, "out": 0, "value": 1e9},
                {"kind": "weight", "layer": 0, "out": 0, "in": 0, "value": "1"},
                {"kind": "colour", "value": 1.0}):
        with pytest.raises(ValueError):
            job.edit(bad)
    job.play("full")
    with pytest.raises(ValueError, match="paused"):
        job.edit({"kind": "bias", "layer": 0, "out": 0, "value": 0.0})
    job.pause()
    job.step()  # training goes on from the edited weights
    assert job.edited is None


def test_jobs_are_found_by_their_token_while_their_page_holds_them():
    job = LiveJob(Run(CFG), lambda j, s: b"")
    token = job.token
    assert JOBS[token] is job and len(token) >= 20
    del job
    import gc

    gc.collect()
    assert token not in JOBS


def test_two_jobs_share_the_workers_fairly():
    # A job with ten times the work per epoch gets as much worker time, not ten times as much.
    small = LiveJob(Run(Config(epochs=50, n_samples=200)), lambda j, s: b"")
    big = LiveJob(Run(Config(epochs=50, n_samples=2000, hidden=(16, 16))), lambda j, s: b"")
    small.play("full")
    big.play("full")
    time.sleep(1.5)
    small.pause()
    big.pause()
    assert small.run.seconds > 0.25 * big.run.seconds, (small.run.seconds, big.run.seconds)
    assert SCHEDULER.slice_s <= 0.05


class Sleeper:
    """A stand-in job whose every slice takes `slice_s` (sleeping: the test needs no CPU)."""

    def __init__(self, slice_s: float, log: list, name: str):
        self.slice_s, self.log, self.name, self.active = slice_s, log, name, True

    def due_in(self, now: float) -> float | None:
        return 0.0 if self.active else None

    def work(self, budget_s: float) -> None:
        self.log.append(self.name)
        time.sleep(self.slice_s)


def test_the_scheduler_shares_time_not_turns():
    # One job's slices take ten times the other's: each still gets about half the time.
    from playground.schedule import Scheduler

    sched, log = Scheduler(workers=1, slice_s=0.01), []
    heavy, light = Sleeper(0.05, log, "heavy"), Sleeper(0.005, log, "light")
    sched.wake(heavy)
    sched.wake(light)
    wait_until(lambda: log.count("heavy") >= 10)
    heavy.active = light.active = False
    gap = abs(sched.served(heavy) - sched.served(light))
    assert gap <= 0.05 + 0.05, (sched.served(heavy), sched.served(light))  # one slice apart
    assert log.count("light") >= 5 * log.count("heavy") // 2


def test_a_job_that_was_idle_rejoins_level_with_the_others():
    from playground.schedule import Scheduler

    sched, log = Scheduler(workers=1, slice_s=0.01), []
    busy, late = Sleeper(0.01, log, "busy"), Sleeper(0.01, log, "late")
    late.active = False
    sched.wake(busy)
    sched.wake(late)
    wait_until(lambda: log.count("busy") >= 30)  # 0.3 s of work that `late` did not want
    late.active = True
    sched.wake(late)
    n = len(log)
    wait_until(lambda: log[n:].count("late") >= 10)
    busy.active = late.active = False
    after = log[n:]
    run = max(len(r) for r in "".join("L" if x == "late" else "b" for x in after).split("b"))
    assert run <= 2, after  # it takes turns; it does not replay the time it was idle


def test_a_failing_job_stops_alone():
    run = Run(CFG)
    good = LiveJob(Run(CFG), lambda j, s: b"")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    bad = LiveJob(run, lambda j, s: b"")
    run.fit = broken
    bad.play("full")
    good.play("full")
    wait_until(lambda: not bad.playing)
    assert bad.status() == "error"
    wait_until(lambda: good.run.epoch >= 5)
    good.pause()


def test_the_first_epoch_at_95_percent_is_noted_with_the_seconds_played():
    link = ("#activation=tanh&batchSize=10&dataset=circle&learningRate=0.03&networkShape=4,2"
            "&seed=0.12345&percTrainData=50&problem=classification")
    cfg = Config.from_tfplayground(link)[0]
    job = LiveJob(Run(cfg), lambda j, s: b"")
    try:
        job.play("full", stop_at=200)
        wait_until(lambda: not job.playing)
        acc = job.run.history["test_acc"]
        first = next(e for e, a in enumerate(acc) if a >= 0.95)
        epoch, played = job.milestone
        assert epoch == first and 0 < played <= job.played()
        job.play("full", stop_at=220)  # later epochs do not move it
        wait_until(lambda: not job.playing)
        assert job.milestone == (epoch, played)
        job.replace(Run(cfg))  # a new run starts with none
        assert job.milestone is None and job.played() == 0.0
    finally:
        job.pause()


@pytest.mark.parametrize("pace", ["normal", "full"])
def test_pause_goes_back_to_the_frame_the_view_showed(job, pace):
    """The model trains ahead of the view (an epoch banked at the normal pace, a frame's worth
    at full speed); Pause from the view stops it at the epoch the learner saw, and the run goes
    on from there exactly as a run that never went ahead."""
    shown = epochs_by_seq(job)
    job.attach(object())
    job.play(pace)
    for _ in range(8):  # the view draws a few frames
        wait_until(lambda: job.outbox is not None)
        job.take_frame()
        job.ack()
    wait_until(lambda: job.outbox is not None)
    seen = job.take_frame()[0]  # on screen; the worker trains on meanwhile
    wait_until(lambda: job.run.epoch > shown[seen])
    job.pause(seen)
    assert job.run.epoch == shown[seen] and job.status() == "paused"
    assert job.run.history["epoch"] == list(range(shown[seen] + 1))
    job.detach(job.viewer)
    job.play("full", stop_at=shown[seen] + 5)
    wait_until(lambda: not job.playing)
    straight = Run(CFG).fit(shown[seen] + 5)
    torch.testing.assert_close(job.run.params.theta, straight.params.theta, rtol=0, atol=0)


def test_the_view_waits_for_the_paused_frame_without_acknowledging_the_held_ones(job):
    """The view drops the frames that arrive after its Pause click unacknowledged (were they
    acknowledged, more frames would go out meanwhile and the savepoint of the frame on screen
    be forgotten): the trainer then sends the paused frame by itself."""
    shown = epochs_by_seq(job)
    job.attach(object())
    job.play("full")
    for _ in range(3):
        wait_until(lambda: job.outbox is not None)
        job.take_frame()
        job.ack()
    wait_until(lambda: job.outbox is not None)
    seen = job.take_frame()[0]
    job.ack()  # the frame on screen is acknowledged once drawn; the next is in flight...
    wait_until(lambda: job.outbox is not None)
    job.take_frame()  # ...and arrives after the click: held, never acknowledged
    assert not job.frame_wanted
    job.pause(seen)
    assert job.run.epoch == shown[seen] and job.frame_wanted
    wait_until(lambda: job.outbox is not None)  # the frame of the paused run, unasked
    seq, _ = job.take_frame()
    assert shown[seq] == shown[seen] and not job.playing


def test_pause_without_a_frame_seen_stops_where_the_model_is(job):
    job.attach(object())
    job.play("full")
    wait_until(lambda: job.run.epoch >= 10)
    job.pause(seen=10**6)  # no such frame (or the page's own Pause button): nothing undone
    at = job.run.epoch
    assert at >= 10 and job.run.history["epoch"][-1] == at


# ---- tasks: work a page does itself, in the turns the workers give it ---------------------------
def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_task_runs_in_its_own_thread_only_in_its_turns():
    from playground.schedule import Scheduler, Task

    sched, log = Scheduler(workers=1, slice_s=0.01), []
    other = Sleeper(0.01, log, "other")
    sched.wake(other)
    pieces = []
    with Task("the test", scheduler=sched) as task:
        for _ in range(40):
            log.append("task")
            pieces.append(threading.current_thread())
            _busy(0.005)  # two pieces a slice
            task.tick()
    other.active = False
    assert set(pieces) == {threading.current_thread()}  # the caller's thread did the work
    # One worker: the task's turns (two pieces, three at worst) and the other job's slices
    # alternate; the task never keeps the worker for long.
    runs = "".join("t" if x == "task" else "o" for x in log).split("o")
    assert max(len(r) for r in runs) <= 6, log
    assert log.count("other") >= 10
    assert abs(sched.served(task) - sched.served(other)) < 0.1


def test_a_task_shares_the_workers_fairly_with_a_live_job():
    from playground.schedule import Task

    live = LiveJob(Run(Config(epochs=10_000, n_samples=2000, hidden=(16, 16))), lambda j, s: b"")
    live2 = LiveJob(Run(Config(epochs=10_000, n_samples=2000, hidden=(16, 16))), lambda j, s: b"")
    live.play("full")
    live2.play("full")  # two live jobs fill both workers: the task must take turns with them
    try:
        with Task("the test") as task:
            start = time.perf_counter()
            while time.perf_counter() - start < 1.5:
                _busy(0.002)
                task.tick()
    finally:
        live.pause()
        live2.pause()
    shares = [SCHEDULER.served(task), SCHEDULER.served(live), SCHEDULER.served(live2)]
    assert min(shares) > 0.1, shares


def test_a_waiting_task_says_so_and_stops_when_its_page_goes():
    from playground.schedule import Cancelled, Scheduler, Task

    sched, log = Scheduler(workers=1, slice_s=0.01), []
    hog = Sleeper(3.0, log, "hog")  # the only worker is busy for 3 s: no turn comes sooner
    sched.wake(hog)
    wait_until(lambda: log)
    hog.active = False
    waits, alive = [], [True]

    def on_wait(task: Task) -> None:
        waits.append(task.sharing())
        if len(waits) == 2:
            alive[0] = False  # the tab closes while it waits

    start = time.perf_counter()
    with pytest.raises(Cancelled):
        with Task("the test", lambda: alive[0], on_wait=on_wait, scheduler=sched):
            pytest.fail("it must not get a turn")
    assert len(waits) == 2 and time.perf_counter() - start < 1.5


def test_a_task_whose_page_closes_stops_at_its_next_tick():
    from playground.schedule import Cancelled, Task

    alive, done = [True], []
    with pytest.raises(Cancelled):
        with Task("the test", lambda: alive[0]) as task:
            for i in range(10**6):
                done.append(i)
                if i == 5:
                    alive[0] = False
                task.tick()
    assert len(done) == 6


def test_a_task_over_its_time_limit_stops():
    from playground.schedule import OverBudget, Task

    with pytest.raises(OverBudget, match="more than the 0.05 s"):
        with Task("the test", limit_s=0.05) as task:
            for _ in range(1000):
                _busy(0.005)
                task.tick()


def test_a_task_that_raises_gives_its_turn_back():
    from playground.schedule import Scheduler, Task

    sched, log = Scheduler(workers=1, slice_s=0.01), []
    with pytest.raises(KeyError):
        with Task("the test", scheduler=sched):
            raise KeyError("boom")
    other = Sleeper(0.001, log, "other")
    sched.wake(other)
    wait_until(lambda: log.count("other") >= 5, timeout_s=5)  # the worker is free
    other.active = False


def test_no_more_run_at_once_than_there_are_workers():
    from playground.schedule import Scheduler, Task

    sched = Scheduler(workers=2, slice_s=0.005)
    running, peak, lock = [0], [0], threading.Lock()

    def one() -> None:
        with Task("the test", scheduler=sched) as task:
            for _ in range(30):
                with lock:
                    running[0] += 1
                    peak[0] = max(peak[0], running[0])
                time.sleep(0.002)
                with lock:
                    running[0] -= 1
                task.tick()

    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak[0] == 2
