"""Timed jobs run once per due time, however many workers share the database."""
import threading
from datetime import datetime, timedelta, timezone

from crm_shared.scheduler import Every, Scheduler, TimedJob


def test_every_gives_the_latest_due_time_at_or_before_now():
    every_hour = Every(timedelta(hours=1))
    now = datetime(2026, 11, 27, 8, 59, 59, tzinfo=timezone.utc)
    assert every_hour.latest_due(now) == datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
    nightly_at_two = Every(timedelta(days=1), offset=timedelta(hours=2))
    assert nightly_at_two.latest_due(now) == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


def test_two_workers_run_each_due_time_of_a_job_exactly_once(database):
    engine, _ = database
    runs = []
    lock = threading.Lock()

    def job(due_at):
        with lock:
            runs.append(due_at)

    schedulers = [
        Scheduler(engine, [TimedJob("recycle", Every(timedelta(minutes=1)), job)], worker_id=f"w{i}") for i in range(2)
    ]
    start = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
    for minute in range(5):
        now = start + timedelta(minutes=minute, seconds=30)
        threads = [threading.Thread(target=s.run_due, args=(now,)) for s in schedulers for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(runs) == [start + timedelta(minutes=m) for m in range(5)]


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(database):
    engine, _ = database
    ran = []

    def broken(_due):
        raise RuntimeError("boom")

    scheduler = Scheduler(
        engine,
        [TimedJob("broken", Every(timedelta(minutes=1)), broken), TimedJob("fine", Every(timedelta(minutes=1)), ran.append)],
    )
    assert scheduler.run_due(datetime(2026, 11, 27, 8, 0, 30, tzinfo=timezone.utc)) == ["fine"]
    assert len(ran) == 1
