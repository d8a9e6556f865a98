"""How far a round probes, decided from reply kinds alone (no engine, no network)."""

from __future__ import annotations

from tracetui.probe.path_length import RECENT_ROUNDS, PathEnd, PathLength


def _round(path: PathLength, round_: int, te: range, end: int | None) -> None:
    path.start_round(round_)
    for ttl in te:
        path.time_exceeded(ttl, round_)
    if end is not None:
        path.path_ended(end, round_)


def test_first_round_probes_up_to_max_ttl_until_it_is_settled():
    path = PathLength(1, 30, 5)
    _round(path, 1, range(1, 5), end=5)
    assert path.end == PathEnd(5, 5, False)  # the end is known at once
    path.first_round_done()
    assert path.end == PathEnd(5, 5, True)


def test_without_an_end_probing_goes_max_unknown_past_the_last_answer():
    path = PathLength(1, 30, 5)
    _round(path, 1, range(1, 7), end=None)
    assert path.limit == 30
    path.first_round_done()
    assert path.end == PathEnd(11, None, True)


def test_max_unknown_never_passes_max_ttl():
    path = PathLength(1, 8, 5)
    _round(path, 1, range(1, 7), end=None)
    path.first_round_done()
    assert path.limit == 8


def test_a_time_exceeded_beyond_the_end_lengthens_the_path_at_once():
    path = PathLength(1, 30, 5)
    _round(path, 1, range(1, 5), end=5)
    path.first_round_done()
    _round(path, 2, range(1, 6), end=None)  # TTL 5 now expires in transit
    assert path.end.dest_ttl is None and path.limit == 10
    _round(path, 3, range(1, 8), end=8)
    assert path.end == PathEnd(8, 8, True)


def test_an_end_below_the_old_one_shortens_the_path_after_the_recent_window():
    path = PathLength(1, 30, 5)
    for round_ in range(1, 4):
        _round(path, round_, range(1, 8), end=8)
    path.first_round_done()
    assert path.limit == 8
    # the target now answers at TTL 5 (and, probed further, at 6 to 8 too)
    last_time_exceeded_beyond = 3
    for round_ in range(4, 20):
        path.start_round(round_)
        for ttl in range(1, 5):
            path.time_exceeded(ttl, round_)
        for ttl in range(5, 9):
            path.path_ended(ttl, round_)
        expected = 5 if round_ - RECENT_ROUNDS > last_time_exceeded_beyond else 8
        assert path.end.dest_ttl == expected == path.limit, round_


def test_an_ecmp_pair_of_unequal_length_keeps_the_longer_end():
    path = PathLength(1, 30, 5)
    path.first_round_done()
    for round_ in range(1, 40):
        if round_ % 2:
            _round(path, round_, range(1, 4), end=4)
        else:
            _round(path, round_, range(1, 5), end=5)
        if round_ > 2:
            assert path.limit == 5, round_


def test_first_ttl_above_one():
    path = PathLength(3, 30, 2)
    _round(path, 1, range(3, 5), end=None)
    path.first_round_done()
    assert path.limit == 6
