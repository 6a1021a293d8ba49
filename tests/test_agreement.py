"""qualcode agreement: published reference values, hand-computed cases, unit vs character level.

Every expected number below is either published (Krippendorff 2011; Cohen's kappa textbook
example) or computed by hand in the comments, never copied from the program's output.
Nominal alpha by hand: with o_ck the coincidences (each unit with m decisions adds
n_c * n_k / (m - 1) to o_ck, n_c * (n_c - 1) / (m - 1) to o_cc), n_c the column sums and n
the number of pairable values, alpha = 1 - (n - 1) * (o_01 + o_10) / (2 * n_0 * n_1).
"""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from helpers import assert_offsets_sacred
from helpers.agreement import agreement_project, interview, mark

from qualcode.analysis.agreement import (
    MEAN,
    POOLED,
    agreement,
    alpha_from_patterns,
    alpha_nominal,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_band,
    landis_koch,
)
from qualcode.errors import QualcodeError, UsageError
from qualcode.manual import code


def row(report, path):
    return next(r for r in report.to_dict()["codes"] if r["code"] == path)


# --------------------------------------------------------------------------- reference values


def test_krippendorff_2011_nominal_example_with_missing_values():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: nominal
    # data, 4 observers, 12 units, missing values (*) -> alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, "*", "*", "*"],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, "*", 3],
        ["*", 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, "*"],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, "*"],
    ]
    assert round(alpha_nominal(data), 3) == 0.743
    # Section A: binary data, two observers, no missing values -> alpha = 0.095.
    assert round(alpha_nominal([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]), 3) == 0.095


def test_merging_unanimous_units_gives_the_packages_alpha():
    import krippendorff
    import numpy as np

    rng = random.Random(7)
    for _ in range(200):
        m, n, k = rng.randint(2, 5), rng.randint(3, 40), rng.randint(2, 3)
        data = [[rng.choice([None] + list(range(k)) * 3) for _ in range(n)] for _ in range(m)]
        ours = alpha_nominal(data)
        arr = np.array([[np.nan if v is None else v for v in r] for r in data], dtype=float)
        try:
            with np.errstate(invalid="ignore", divide="ignore"):
                ref = float(krippendorff.alpha(reliability_data=arr, level_of_measurement="nominal"))
        except ValueError:  # fewer than two values, or nothing pairable
            ref = float("nan")
        if np.isnan(ref):
            assert ours is None
        else:
            assert ours == pytest.approx(ref, abs=1e-12)


def test_alpha_of_two_values_is_the_packages_bit_for_bit():
    """Coded or not (two values): alpha without numpy, the package's own value exactly,
    on the value-count rows alpha_from_patterns gives it (repeated units, merged unanimous)."""
    import krippendorff
    import numpy as np

    from qualcode.analysis.agreement import _alpha_two_values

    rng = random.Random(11)
    compared = 0
    for _ in range(1500):
        n = rng.randint(1, rng.choice([3, 40, 300]))
        rows = [[rng.randint(0, rng.choice([2, 3, 6])), rng.randint(0, 3)] for _ in range(n)]
        rows = [r for r in rows if sum(r) >= 2] or [[1, 1]]
        repeats = [rng.choice([1, 1, 2, 5, 50, 700]) for _ in rows]
        vc = np.repeat(np.asarray(rows, dtype=np.int64), np.asarray(repeats, dtype=np.int64), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = float(krippendorff.alpha(value_counts=vc, value_domain=[0, 1], level_of_measurement="nominal"))
        ours = _alpha_two_values(rows, repeats)
        if ours is None:
            continue
        assert ours == ref or (np.isnan(ours) and np.isnan(ref)), (rows, repeats)
        compared += 1
    assert compared > 1400


def test_fleiss_kappa_textbook_example_and_degenerate_tables():
    # The classic example (Fleiss 1971 design, as worked in Wikipedia's "Fleiss' kappa"):
    # 10 subjects, 14 raters, 5 categories -> kappa = 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert fleiss_kappa(table) == pytest.approx(0.20993, abs=1e-5)
    assert fleiss_kappa([[3, 0], [3, 0]]) is None  # one category only: expected agreement 1
    assert fleiss_kappa([]) is None
    # two coders: Fleiss' kappa is Scott's pi, not Cohen's kappa (so qualcode uses Cohen's)
    assert fleiss_kappa([[0, 2]] * 2 + [[1, 1]] * 2 + [[2, 0]] * 6) == pytest.approx(
        1 - 0.2 / (1 - (0.3 ** 2 + 0.7 ** 2)))


def test_kappa_and_alpha_of_degenerate_tables():
    # both coders code every unit: expected agreement 1 -> kappa undefined; one value -> alpha undefined
    assert cohen_kappa(10, 0, 0, 0) is None
    assert cohen_kappa(0, 0, 0, 10) is None
    assert cohen_kappa(0, 0, 0, 0) is None
    assert alpha_from_patterns({(0, 0): 10}) is None
    assert alpha_from_patterns({(1, None): 3, (None, 0): 3}) is None  # nothing pairable
    # A codes everything, B nothing: p_o = 0, p_e = 1*0 + 0*1 = 0 -> kappa 0
    assert cohen_kappa(0, 10, 0, 0) == 0.0


def _sklearn_kappa(both, a_only, b_only, neither):
    """scikit-learn's Cohen's kappa of the 2×2 table, as qualcode computed it before."""
    import warnings

    from sklearn.metrics import cohen_kappa_score

    weights = [both, a_only, b_only, neither]
    keep = [i for i, w in enumerate(weights) if w > 0]
    y1, y2 = [1, 1, 0, 0], [1, 0, 1, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score([y1[i] for i in keep], [y2[i] for i in keep], labels=[0, 1],
                                       sample_weight=[weights[i] for i in keep]))


def test_cohen_kappa_is_sklearns_to_the_last_bit():
    """The formula without scikit-learn gives scikit-learn's float exactly (not nearly):
    small and huge counts (character-level agreement), fractional weights, zero cells."""
    rng = random.Random(17)
    tables = [(3, 1, 2, 4), (0, 10, 0, 0), (0, 0, 5, 0), (1, 0, 0, 1), (7, 3, 0, 0), (0, 3, 4, 0)]
    for _ in range(400):
        top = rng.choice([5, 100, 10 ** 6, 10 ** 9, 10 ** 12])
        t = [rng.randint(0, top) for _ in range(4)]
        for i in rng.sample(range(4), rng.randint(0, 2)):
            t[i] = 0
        tables.append(tuple(t))
        tables.append(tuple(rng.uniform(0, top) for _ in range(4)))
    n_defined = 0
    for t in tables:
        k = cohen_kappa(*t)
        if k is None:
            continue
        n_defined += 1
        assert k == _sklearn_kappa(*t), t
    assert n_defined > 700


def test_unit_patterns_as_counted_unit_by_unit():
    """The grouped count gives the Counter of the unit-by-unit definition: same patterns,
    same counts, same order (the order feeds the alpha computation)."""
    from collections import Counter

    from qualcode.analysis.agreement import UnitIndex, unit_patterns
    from qualcode.analysis.units import Unit

    def by_unit(units, coded, seen):
        out: Counter = Counter()
        for j, u in enumerate(units):
            out[tuple((1 if j in coded[i] else 0) if u.document_id in seen[i] else None
                      for i in range(len(coded)))] += 1
        return out

    rng = random.Random(11)
    for _ in range(300):
        n_docs, m = rng.randint(1, 6), rng.randint(1, 4)
        units = [Unit(rng.randint(1, n_docs), k, k + 1, 1) for k in range(rng.randint(0, 60))]
        seen = [{d for d in range(1, n_docs + 1) if rng.random() < 0.7} for _ in range(m)]
        index = UnitIndex(units, seen)
        for _ in range(4):
            # coded units, sometimes in a document the coder did not see, sometimes none
            coded = [{j for j in range(len(units)) if rng.random() < rng.choice([0, 0.1, 0.5])} for _ in range(m)]
            expected = by_unit(units, coded, seen)
            assert list(index.patterns(coded).items()) == list(expected.items())
            assert list(unit_patterns(units, coded, seen).items()) == list(expected.items())


def test_bands():
    assert [landis_koch(k) for k in (-0.01, 0.0, 0.2, 0.21, 0.4, 0.41, 0.6, 0.61, 0.8, 0.81, 1.0, None)] == [
        "poor", "slight", "slight", "fair", "fair", "moderate", "moderate", "substantial", "substantial",
        "almost perfect", "almost perfect", None]
    assert [krippendorff_band(a) for a in (0.8, 0.7999999999, 0.799, 0.667, 0.666, -0.2, None)] == [
        "reliable", "reliable", "tentative", "tentative", "unreliable", "unreliable", None]


def test_cohen_textbook_example_through_a_project(project, cli, tmp_path):
    # The classic 2x2 example (e.g. Wikipedia, "Cohen's kappa"): 50 units, 20 yes/yes,
    # 5 yes(A)/no(B), 10 no(A)/yes(B), 15 no/no. p_o = 35/50 = 0.7; p_A(yes) = 0.5,
    # p_B(yes) = 0.6, p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7 - 0.5)/(1 - 0.5) = 0.4.
    # Alpha by hand: n = 100; o_11 = 40, o_00 = 30, o_01 = o_10 = 15; n_1 = 55, n_0 = 45;
    # alpha = 1 - 99 * 30 / (2 * 45 * 55) = 1 - 2970/4950 = 0.4.
    agreement_project(project, tmp_path, {"fifty": interview(50)})
    mark(project, "fifty", "yes", "A", range(1, 26))             # answers 1-25
    mark(project, "fifty", "yes", "B", [*range(1, 21), *range(26, 36)])  # 1-20 and 26-35
    report = agreement(project, ["A", "B"], unit="turn", code="yes")
    r = row(report, "yes")
    assert (r["units"], r["coded"], r["all"], r["none"]) == (50, {"A": 25, "B": 30}, 20, 15)
    assert r["percent_agreement"] == pytest.approx(70.0)
    assert r["kappa"] == pytest.approx(0.4)
    assert r["kappa_band"] == "fair"
    assert r["alpha"] == pytest.approx(0.4)
    assert r["alpha_band"] == "unreliable"

    res = cli("agreement", "--coders", "A,B", "--unit", "turn", "--code", "yes")
    assert res.exit_code == 0, res.output
    assert "0.400" in res.stdout and "fair" in res.stdout and "70.0" in res.stdout


# --------------------------------------------------------------------------- hand-computed cases


@pytest.fixture
def ten(project, cli, tmp_path):
    """Ten participant answers; coders A and B."""
    agreement_project(project, tmp_path, {"ten": interview(10)})
    mark(project, "ten", "same", "A", [1, 5, 7])
    mark(project, "ten", "same", "B", [1, 5, 7])
    mark(project, "ten", "apart", "A", [1, 2])
    mark(project, "ten", "apart", "B", [3, 4])
    mark(project, "ten", "silent", "A", [2, 4, 6])  # B never uses 'silent'
    mark(project, "ten", "kripp", "A", [2, 9])  # Krippendorff (2011) section A, as a project
    mark(project, "ten", "kripp", "B", [1, 2, 3, 6])
    return project


def test_hand_computed_small_cases(ten):
    report = agreement(ten, ["A", "B"], unit="turn", code=None)
    # perfect agreement: kappa = alpha = 1
    same = row(report, "same")
    assert (same["all"], same["none"], same["percent_agreement"]) == (3, 7, 100.0)
    assert same["kappa"] == pytest.approx(1.0) and same["alpha"] == pytest.approx(1.0)
    assert (same["kappa_band"], same["alpha_band"]) == ("almost perfect", "reliable")
    # no overlap: both 0, A-only 2, B-only 2, neither 6: p_o = .6, p_e = .2*.2 + .8*.8 = .68,
    # kappa = (.6 - .68)/.32 = -0.25; alpha: n = 20, o_00 = 12, o_01 = o_10 = 4, n_0 = 16, n_1 = 4,
    # alpha = 1 - 19*8/(2*16*4) = 1 - 152/128 = -0.1875
    apart = row(report, "apart")
    assert (apart["all"], apart["none"], apart["percent_agreement"]) == (0, 6, 60.0)
    assert apart["kappa"] == pytest.approx(-0.25) and apart["alpha"] == pytest.approx(-0.1875)
    assert (apart["kappa_band"], apart["alpha_band"]) == ("poor", "unreliable")
    # one coder silent on the code: p_o = .7, p_e = .3*0 + .7*1 = .7 -> kappa 0;
    # alpha: o_00 = 14, o_01 = o_10 = 3, n_0 = 17, n_1 = 3: 1 - 19*6/(2*17*3) = -2/17
    silent = row(report, "silent")
    assert silent["coded"] == {"A": 3, "B": 0} and silent["percent_agreement"] == pytest.approx(70.0)
    assert silent["kappa"] == pytest.approx(0.0) and silent["alpha"] == pytest.approx(-2 / 17)
    assert silent["note"] == "never used by B"
    # a code nobody used: 100 % agreement, kappa and alpha undefined
    never = row(report, "never")
    assert never["percent_agreement"] == 100.0 and never["kappa"] is None and never["alpha"] is None
    assert never["note"] == "not used by any coder"
    # Krippendorff (2011) section A: alpha = 0.095; kappa by hand: both 1, A-only 1, B-only 3,
    # neither 5: p_o = .6, p_e = .2*.4 + .8*.6 = .56, kappa = .04/.44 = 1/11
    kripp = row(report, "kripp")
    assert round(kripp["alpha"], 3) == 0.095 and kripp["kappa"] == pytest.approx(1 / 11)

    # Pooled over the codes some coder applied (same, apart, silent, kripp; never left out):
    # both 3+0+0+1 = 4, A-only 0+2+3+1 = 6, B-only 0+2+0+3 = 5, neither 7+6+7+5 = 25, n = 40.
    # p_o = 29/40; p_A = 10/40, p_B = 9/40; p_e = .25*.225 + .75*.775 = .6375;
    # kappa = (.725 - .6375)/.3625 = 7/29. Alpha: n = 80, o_11 = 8, o_00 = 50, o_01 = o_10 = 11,
    # n_1 = 19, n_0 = 61: 1 - 79*22/(2*61*19) = 1 - 1738/2318.
    d = report.to_dict()
    pooled = d["pooled"]
    assert d["pool_codes"] == ["same", "apart", "silent", "kripp"]
    assert (pooled["units"], pooled["all"], pooled["none"]) == (40, 4, 25)
    assert pooled["coded"] == {"A": 10, "B": 9}
    assert pooled["percent_agreement"] == pytest.approx(72.5)
    assert pooled["kappa"] == pytest.approx(7 / 29)
    assert pooled["alpha"] == pytest.approx(1 - 1738 / 2318)
    # Mean of the same codes: kappa (1 - .25 + 0 + 1/11)/4; alpha (1 - .1875 - 2/17 + 2/21)/4
    # (Krippendorff's 0.095 is exactly 1 - 76/84 = 2/21); % (100 + 60 + 70 + 60)/4
    mean = d["mean"]
    assert mean["kappa"] == pytest.approx((1 - 0.25 + 0 + 1 / 11) / 4)
    assert mean["alpha"] == pytest.approx((1 - 0.1875 - 2 / 17 + 2 / 21) / 4)
    assert mean["percent_agreement"] == pytest.approx(72.5)


def test_hierarchy_rolls_up_and_pool_counts_each_decision_once(project, cli, tmp_path):
    agreement_project(project, tmp_path, {"ten": interview(10)})
    mark(project, "ten", "p/a", "A", [1, 2])
    mark(project, "ten", "p/b", "B", [1])
    mark(project, "ten", "p/a", "B", [2])
    report = agreement(project, ["A", "B"], unit="turn", code="p")
    # parent p, rolled up: A {1, 2}, B {1, 2} -> perfect
    assert row(report, "p")["kappa"] == pytest.approx(1.0)
    # p/a: both 1, A-only 1, neither 8: p_o = .9, p_e = .2*.1 + .8*.9 = .74, kappa = .16/.26
    assert row(report, "p/a")["kappa"] == pytest.approx(0.16 / 0.26)
    # p/b: B-only 1: p_o = .9, p_e = 0*.1 + 1*.9 = .9 -> kappa 0
    assert row(report, "p/b")["kappa"] == pytest.approx(0.0)
    # pool: p has no codings of its own -> only p/a and p/b: both 1, A-only 1, B-only 1,
    # neither 17: p_o = .9, p_e = .1*.1 + .9*.9 = .82, kappa = .08/.18
    d = report.to_dict()
    assert d["pool_codes"] == ["p/a", "p/b"]
    assert d["pooled"]["units"] == 20 and d["pooled"]["kappa"] == pytest.approx(0.08 / 0.18)
    assert [(r["code"], r["depth"]) for r in d["codes"]] == [("p", 0), ("p/a", 1), ("p/b", 1)]


def test_three_coders_and_a_document_one_did_not_code(project, cli, tmp_path):
    agreement_project(project, tmp_path, {"d1": interview(3), "d2": interview(2)})
    # d1: A 1 0 0, B 1 1 0, C 1 0 0; d2: A 1 0, B 1 0, C did not code d2 at all (missing)
    mark(project, "d1", "yes", "A", [1])
    mark(project, "d1", "yes", "B", [1, 2])
    mark(project, "d1", "yes", "C", [1])
    mark(project, "d2", "yes", "A", [1])
    mark(project, "d2", "yes", "B", [1])
    # By hand: u1 (1,1,1) m=3: o_11 += 3; u2 (0,1,0): o_00 += 2*1/2 = 1, o_01 = o_10 += 1;
    # u3 (0,0,0): o_00 += 3; u4 (1,1): o_11 += 2; u5 (0,0): o_00 += 2.
    # o_00 = 6, o_11 = 5, o_01 = 1: n_0 = 7, n_1 = 6, n = 13: alpha = 1 - 12*2/(2*7*6) = 5/7.
    # Counts over the units all three saw (d1): 3 units, all 1, none 1 -> 2/3 agreement.
    # Fleiss' kappa over u1-u3, rows (not coded, coded): (0,3) (2,1) (3,0): P_i = 1, 1/3, 1,
    # mean 7/9; category shares 5/9, 4/9: P_e = 41/81; kappa = (7/9 - 41/81) / (40/81) = 0.55.
    report = agreement(project, ["A", "B", "C"], unit="turn", code="yes")
    r = row(report, "yes")
    assert r["alpha"] == pytest.approx(5 / 7) and r["kappa"] == pytest.approx(0.55)
    assert r["kappa_band"] == "moderate"
    assert any("Fleiss' kappa" in n for n in report.notes)
    res = cli("agreement", "--coders", "A,B,C", "--unit", "turn", "--code", "yes")
    assert res.exit_code == 0, res.output
    assert "κ band" in res.stdout and "0.550" in res.stdout and "moderate" in res.stdout
    assert (r["units"], r["coded"], r["all"], r["none"]) == (3, {"A": 1, "B": 2, "C": 1}, 1, 1)
    assert r["percent_agreement"] == pytest.approx(200 / 3)
    assert r["pairable"] == 5
    assert report.unseen == {"A": [], "B": [], "C": ["d2"]}
    assert any("C: d2" in n for n in report.notes)
    # --all-seen: C coded d2 and found nothing: u4 (1,1,0): o_11 += 1, o_01 = o_10 += 1;
    # u5 (0,0,0): o_00 += 3. o_00 = 7, o_11 = 4, o_01 = 2: n_0 = 9, n_1 = 6, n = 15:
    # alpha = 1 - 14*4/(2*9*6) = 13/27; 5 units, all 1, none 2 -> 60 %.
    # Fleiss: + u4 (1,2) P = 1/3, u5 (3,0) P = 1: mean 11/15; shares .6, .4: P_e = .52;
    # kappa = (11/15 - .52) / .48 = 4/9.
    r = row(agreement(project, ["A", "B", "C"], unit="turn", code="yes", all_seen=True), "yes")
    assert r["alpha"] == pytest.approx(13 / 27) and r["kappa"] == pytest.approx(4 / 9)
    assert (r["units"], r["all"], r["none"], r["percent_agreement"]) == (5, 1, 2, 60.0)


def test_unit_level_and_character_level_differ(project, cli, tmp_path):
    agreement_project(project, tmp_path, {"long": interview(2, length=100)})
    doc = project.store.documents.by_name("long")
    turns = project.store.documents.turns(doc.id)
    t2, t4 = turns[1], turns[3]
    assert (t2.end - t2.start, t4.end - t4.start) == (100, 100)
    code(project, "long", "yes", turn=2, coder="A")  # all 100 characters of answer 1
    code(project, "long", "yes", span=(t2.start + 20, t2.start + 30), coder="B")  # 10 of them
    code(project, "long", "same", turn=4, coder="B")  # B codes something else in answer 2
    # Turn units: both coded answer 1, neither answer 2 -> perfect agreement, kappa = alpha = 1.
    unit = row(agreement(project, ["A", "B"], unit="turn", code="yes"), "yes")
    assert (unit["units"], unit["all"], unit["none"], unit["kappa"], unit["alpha"]) == (2, 1, 1, 1.0, 1.0)
    # Characters of the participant turns (200): both 10, A-only 90, neither 100 (answer 2).
    # p_o = 110/200 = .55; p_A = .5, p_B = .05; p_e = .5*.05 + .5*.95 = .5; kappa = .05/.5 = 0.1.
    # alpha: n = 400, o_11 = 20, o_00 = 200, o_01 = o_10 = 90, n_1 = 110, n_0 = 290:
    # 1 - 399*180/(2*290*110) = 1 - 71820/63800.
    char = row(agreement(project, ["A", "B"], unit="char", code="yes"), "yes")
    assert (char["units"], char["coded"], char["all"], char["none"]) == (200, {"A": 100, "B": 10}, 10, 100)
    assert char["percent_agreement"] == pytest.approx(55.0)
    assert char["kappa"] == pytest.approx(0.1)
    assert char["alpha"] == pytest.approx(1 - 71820 / 63800)
    # With the interviewer turns in the universe ("Question 1 ?" and "Question 2 ?", 12
    # characters each), 24 more agreed-absent characters: p_o = 134/224, p_A = 100/224,
    # p_B = 10/224: kappa = (p_o - p_e)/(1 - p_e) grows.
    wider = row(agreement(project, ["A", "B"], unit="char", code="yes", include_interviewer=True), "yes")
    po, pa, pb = 134 / 224, 100 / 224, 10 / 224
    pe = pa * pb + (1 - pa) * (1 - pb)
    assert wider["units"] == 224 and wider["kappa"] == pytest.approx((po - pe) / (1 - pe))
    assert wider["kappa"] > char["kappa"]


def test_sentence_level_quote_and_sentence_agree(project, cli, tmp_path):
    agreement_project(project, tmp_path, {"s": "Enquêtrice : Et alors ?\n"
                                               "Paul : Je suis né ici. Mon père était mineur. Voilà tout.\n"
                                               "Enquêtrice : Et aujourd'hui ?\n"
                                               "Paul : Tout a changé. Les jeunes partent.\n"})
    code(project, "s", "yes", quote="était mineur", coder="A")  # a quote inside sentence 2.2
    code(project, "s", "yes", sentence="2.2", coder="B")
    code(project, "s", "same", sentence="4.1", coder="B")
    r = row(agreement(project, ["A", "B"], code="yes"), "yes")  # sentence units by default
    # 5 participant sentences: both coded "Mon père était mineur.", neither the 4 others
    assert (r["units"], r["all"], r["none"], r["percent_agreement"]) == (5, 1, 4, 100.0)
    assert r["kappa"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- CLI


def test_cli_json_table_and_exports(ten, cli, tmp_path):
    res = cli("agreement", "--coders", "A,B", "--unit", "turn", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data == json.loads(json.dumps(agreement(ten, ["A", "B"], unit="turn").to_dict()))
    assert [r["code"] for r in data["codes"]] == ["same", "apart", "silent", "never", "kripp", "yes", "p", "p/a", "p/b"]

    res = cli("agreement", "--coders", "A,B", "--unit", "turn")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    never = next(line for line in lines if line.strip().startswith("never "))
    assert "n/a" in never and "not used by any coder" in never
    assert any(line.startswith("Overall (pooled)") for line in lines)

    out = tmp_path / "agreement.csv"
    res = cli("agreement", "--coders", "A,B", "--unit", "turn", "--output", out)
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("# qualcode: ") and "qualcode agreement --coders A,B --unit turn" in text
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO("\n".join(body)))}
    assert rows["apart"]["kappa"] == "-0.250" and rows["apart"]["coded by A"] == "2"
    assert rows["never"]["kappa"] == "" and rows[POOLED]["both"] == "4"
    assert rows[MEAN]["units"] == ""
    res = cli("agreement", "--coders", "A,B", "--unit", "turn", "--output", out)
    assert res.exit_code == 1 and "already exists" in res.output

    xlsx = tmp_path / "agreement.xlsx"
    assert cli("agreement", "--coders", "A,B", "--unit", "turn", "--output", xlsx).exit_code == 0
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    same = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "same")
    assert same[header.index("kappa")] == 1 and same[header.index("alpha band")] == "reliable"
    assert "provenance" in wb.sheetnames

    res = cli("agreement", "--coders", "A,B", "--unit", "turn", "--format", "md")
    assert res.exit_code == 0 and "| apart |" in res.stdout.replace("  ", " ")


def test_cli_errors(ten, cli):
    res = cli("agreement", "--coders", "A")
    assert res.exit_code == 2 and "at least 2" in res.output
    res = cli("agreement", "--coders", "A,Zoé")
    assert res.exit_code == 1 and "no codings by coder 'Zoé'" in res.output
    res = cli("agreement", "--coders", "A,B", "--unit", "word")
    assert res.exit_code == 2 and "unknown unit 'word'" in res.output
    res = cli("agreement", "--coders", "A,B", "--code", "nope")
    assert res.exit_code == 1 and "unknown code 'nope'" in res.output
    res = cli("agreement", "--coders", "A,B", "--docs", "nine")
    assert res.exit_code == 1 and "no document named 'nine'" in res.output
    res = cli("agreement", "--coders", "A,B", "--json", "--output", "x.json")
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    with pytest.raises(QualcodeError):
        agreement(ten, ["A", "B"], code="nope")
    with pytest.raises(UsageError):
        agreement(ten, ["A", "B"], unit="word")
    assert_offsets_sacred(ten)


def test_universe_choice_readme_claims():
    # README: restricted to the union of coded characters (neither = 0), kappa is never
    # positive: kappa = -2bc / ((a+b)b + (a+c)c); with a huge agreed-absent mass it tends to
    # the Dice overlap 2a / (2a + b + c) while % agreement tends to 100.
    rng = random.Random(3)
    for _ in range(100):
        a, b, c = rng.randint(0, 50), rng.randint(1, 50), rng.randint(1, 50)
        k = cohen_kappa(a, b, c, 0)
        assert k == pytest.approx(-2 * b * c / ((a + b) * b + (a + c) * c))
        assert k <= 0
        assert cohen_kappa(a, b, c, 10 ** 9) == pytest.approx(2 * a / (2 * a + b + c), abs=1e-6)
