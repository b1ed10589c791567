"""One-off (session 10, finding 21): rows and non-zeros per row family, columns and
non-zeros per variable of the planner's program for one scenario.

    python nonzeros.py <scenario.yaml>
"""
import sys
from collections import Counter
from pathlib import Path
import numpy as np
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
A = comp.program.A.tocsr()
rows = Counter(); nnz = Counter()
for i in range(A.shape[0]):
    fam = comp.row_name(i).split('[')[0]
    rows[fam] += 1; nnz[fam] += A.indptr[i+1]-A.indptr[i]
for f, n in nnz.most_common():
    print(f"{f:20s} rows {rows[f]:7d} nnz {n:9d} per row {n/rows[f]:.1f}")
cols = Counter()
Ac = comp.program.A.tocsc()
for name, (keys, pos) in comp.columns.items():
    p = pos[pos >= 0]
    print(f"col {name:10s} n {len(p):7d} nnz {int(sum(Ac.indptr[j+1]-Ac.indptr[j] for j in p)):9d}")
