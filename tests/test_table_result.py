"""Analysis tables without pandas (:class:`qualcode.analysis.table.TableResult`): the values
and column types a table made of plain rows shows are those of the DataFrame pandas makes
of the same records (``DataFrame.from_records`` then the analysis' ``astype``), which is
how the analyses built their tables before; and reports, ``agreement`` and the text
exports no longer import pandas."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
from helpers.reports import build
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from qualcode.analysis.table import TableResult, py_value
from qualcode.pseudo.apply import pseudonymize_table
from qualcode.pseudo.replace import Pseudonymizer, Rule

ROOT = Path(__file__).resolve().parent.parent
POOL = [None, 0, 1, -3, 7, 2.5, 0.1, float("nan"), True, False, "a", "", "identity/x", 10**12]


def _pandas_view(records, columns, dtypes):
    """What the analyses did: from_records, astype, then the exporters' py_value."""
    df = pd.DataFrame.from_records(records, columns=columns)
    for c, t in dtypes.items():
        df[c] = df[c].astype(t)
    rows = [tuple(py_value(v) for v in r) for r in df.itertuples(index=False, name=None)]
    numeric = [bool(is_numeric_dtype(df[c]) and not is_bool_dtype(df[c])) for c in columns]
    return rows, numeric, df


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def test_plain_rows_show_what_pandas_showed():
    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        ncols, nrows = rng.randint(1, 4), rng.randint(0, 5)
        columns = [f"c{j}" for j in range(ncols)]
        kinds = [rng.choice(["any", "int", "intnone", "num", "text", "bool"]) for _ in columns]
        pools = {"any": POOL, "int": [0, 1, 5, 10**12], "intnone": [None, 0, 3], "num": [None, 1, 2.5, float("nan")],
                 "text": [None, "a", "b c"], "bool": [True, False]}
        records = [{c: rng.choice(pools[k]) for c, k in zip(columns, kinds)} for _ in range(nrows)]
        if rng.random() < 0.2 and records:  # a missing key: NaN for pandas
            del records[0][columns[0]]
        dtypes = {}
        for c, k in zip(columns, kinds):
            if k in ("int", "intnone") and rng.random() < 0.5:
                dtypes[c] = "Int64"
            elif k == "num" and rng.random() < 0.5:
                dtypes[c] = "float64"
        rows, numeric, df = _pandas_view(records, columns, dtypes)
        t = TableResult("T", columns=columns, rows=records, dtypes=dtypes)
        assert t.columns == columns
        assert len(t) == len(rows)
        for mine, theirs in zip(t.rows, rows):
            assert all(_same(a, b) for a, b in zip(mine, theirs)), (records, dtypes, t.rows, rows)
        assert [t.numeric(c) for c in columns] == numeric, (records, dtypes)
        # the DataFrame built on demand is the one the analyses built
        assert [str(x) for x in t.df.dtypes] == [str(x) for x in df.dtypes], (records, dtypes)
        checked += 1
    assert checked == 3000


def test_a_table_from_a_dataframe_reads_it():
    df = pd.DataFrame({"code": ["a", "b"], "n": pd.array([1, None], dtype="Int64"), "x": [0.5, float("nan")],
                       "ok": [True, False]})
    t = TableResult("T", df, ["note"], {"kind": "x"})
    assert t.rows == [("a", 1, 0.5, True), ("b", None, None, False)]
    assert [t.numeric(c) for c in t.columns] == [False, True, True, False]
    assert t.df is df and t.notes == ["note"] and t.meta == {"kind": "x"}
    assert t.records() == [{"code": "a", "n": 1, "x": 0.5, "ok": True}, {"code": "b", "n": None, "x": None,
                                                                        "ok": False}]


def test_pseudonymized_cells_of_text_columns():
    """Every text cell goes through the key (the lemmas of a word table too), numbers
    stay numbers; the title and column names as well."""
    pseudo = Pseudonymizer([Rule("Vasseur", "Mme V.")])
    t = TableResult("Vasseur", columns=["lemma", "count", "entretien_vasseur"],
                    rows=[("vasseur", 3, 1), ("mine", 2, None)], dtypes={"count": "Int64"})
    out = pseudonymize_table(t, pseudo)
    assert out.title == "Mme V."
    assert out.columns == ["lemma", "count", "entretien_Mme V."]
    assert out.rows == [("Mme V.", 3, 1.0), ("mine", 2, None)]
    assert [out.numeric(c) for c in out.columns] == [False, True, True]
    assert t.rows == [("vasseur", 3, 1.0), ("mine", 2, None)]  # the original is left as it was


def test_reports_and_agreement_import_no_pandas(tmp_path):
    """``report freq``, ``cooccurrence``, ``matrix`` and a CSV export in one fresh
    process (the sentence cache filled by autocode): neither pandas nor numpy imported;
    ``agreement`` of two coders neither (kappa and alpha computed without them)."""
    build(tmp_path / "p", tmp_path)
    root = str(tmp_path / "p")
    runs = [["report", "freq", "--by", "group"], ["report", "cooccurrence"], ["report", "matrix", "--json"],
            ["report", "freq", "-o", str(tmp_path / "f.csv")]]
    code = ("import sys\nfrom qualcode.cli import main\n"
            f"for args in {runs!r}:\n"
            f"    sys.argv = ['qualcode', *args, '--project', {root!r}]\n"
            "    try:\n        main()\n    except SystemExit as exc:\n"
            "        print('exit', exc.code, file=sys.stderr)\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'spacy', 'pydantic') if m in sys.modules), file=sys.stderr)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"})
    lines = res.stderr.strip().splitlines()
    assert lines[:-1] == [] or set(lines[:-1]) <= {"exit 0", "exit None"}, res.stderr
    assert lines[-1] == "[]", res.stderr  # cooccurrence: sentences from their cache, without numpy
    code = code.replace(repr(runs), repr([["agreement", "--coders", "rules,camille"]]))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"})
    assert res.stderr.strip().splitlines()[-1] == "[]", res.stderr
    assert (tmp_path / "f.csv").read_text(encoding="utf-8-sig").count("\n") > 5
