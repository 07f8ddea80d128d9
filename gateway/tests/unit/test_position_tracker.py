"""The live poller's memory of which rows it has handed out, including rows that commit out of order."""
from gateway.live.broadcaster import PositionTracker


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_rows_in_order_move_the_floor_and_are_handed_out_once():
    tracker = PositionTracker(floor=3)
    assert tracker.accept([4, 5, 6]) == [4, 5, 6]
    assert tracker.accept([4, 5, 6, 7]) == [7]
    assert tracker.floor == 7 and not tracker.seen


def test_a_row_that_commits_late_is_still_handed_out_while_the_gap_is_young():
    clock = Clock()
    tracker = PositionTracker(floor=0, gap_seconds=5, clock=clock)
    assert tracker.accept([1, 3]) == [1, 3]
    assert tracker.floor == 1  # still reading from 2 on
    clock.now += 1
    assert tracker.accept([2, 3]) == [2]
    assert tracker.floor == 3


def test_a_gap_that_stays_empty_is_given_up_after_a_while():
    clock = Clock()
    tracker = PositionTracker(floor=0, gap_seconds=5, clock=clock)
    tracker.accept([1, 3, 4])
    clock.now += 6
    tracker.accept([3, 4])
    assert tracker.floor == 4 and not tracker.seen
    assert tracker.delivered(2)  # a rolled-back insert; were it to appear now it would be ignored
