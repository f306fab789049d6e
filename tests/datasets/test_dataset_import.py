"""Importing the profile files a logger wrote under ``{uri}/{dataset}/yyyy/mm/dd/HH/``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from dataset_samples import assert_matches, at, open_service, orders, profile_of

from watchkeeper.catalog.datasets import DAY, HOUR
from watchkeeper.datasets.importer import SOURCE, import_profiles
from watchkeeper.datasets.segments import META_SEGMENT, META_TIMESTAMP
from watchkeeper.errors import InputError
from watchkeeper.io.storage import write_bytes
from watchkeeper.profile import profile_to_bytes


def write_profile_file(root, table: pa.Table, moment, name: str, **metadata: str) -> str:
    folder = root / "shop" / moment.strftime("%Y/%m/%d/%H")
    meta = {META_TIMESTAMP: moment.isoformat().replace("+00:00", "Z"), **metadata}
    return write_bytes(folder / name, profile_to_bytes(profile_of(table, **meta)))


def test_each_profile_file_is_imported_once(tmp_path, database_url):
    service = open_service(database_url)
    root = tmp_path / "profiles"
    rng = np.random.default_rng(17)
    nine = [orders(rng, 40 + i) for i in range(3)]
    for i, table in enumerate(nine):
        write_profile_file(root, table, at(20, 9, 10 * i), f"0910{i}-a{i}.wkp")
    ten = orders(rng, 77)
    write_profile_file(root, ten, at(20, 10, 5), "1005-b.wkp")
    (root / "shop" / "2026" / "11" / "20" / "09" / "notes.txt").write_text("not a profile")
    write_profile_file(root, orders(rng, 5), at(20, 9), "x.wkp", dataset="web")
    (root / "web").mkdir()

    assert import_profiles(service, root, "shop") == (5, [])
    assert import_profiles(service, root, "shop") == (0, [])  # nothing new
    service.refresh("shop")
    hours = service.store.batches("shop", granularity=HOUR, with_profile=True)
    assert [(b.start, b.parts) for b in hours] == [(at(20, 9), 4), (at(20, 10), 1)]
    assert hours[0].rows == sum(map(len, nine)) + 5
    assert_matches(service.profile(hours[1]), ten)

    # a file written later is picked up by the next import, alone
    late = orders(rng, 33)
    write_profile_file(root, late, at(20, 11, 30), "1130-c.wkp")
    assert import_profiles(service, str(root) + "/", "shop") == (1, [])
    service.refresh("shop")
    [day] = service.store.batches("shop", granularity=DAY)
    assert (day.rows, day.parts) == (sum(map(len, nine)) + 5 + 77 + 33, 6)
    # every file is remembered by path and size
    objects = service.catalog.objects(SOURCE)
    assert len(objects) == 6 and {o.status for o in objects} == {"done"}
    # nothing to import for a dataset without a folder; a location that is not there
    # is named, not taken as empty
    assert import_profiles(service, root, "other") == (0, [])
    with pytest.raises(InputError, match=r"profilez: no such folder or prefix$"):
        import_profiles(service, tmp_path / "profilez", "shop")


def test_a_corrupt_file_is_reported_once_and_not_retried(tmp_path, database_url):
    service = open_service(database_url)
    service.create("shop", segment_columns=["country"])
    root = tmp_path / "profiles"
    rng = np.random.default_rng(18)
    good = orders(rng, 60)
    write_profile_file(root, good, at(20, 9, 1), "good.wkp", **{META_SEGMENT: "country=DE"})
    broken = write_bytes(root / "shop/2026/11/20/09/broken.wkp", b'{"format": "watchkeeper-pro')
    wrong = write_profile_file(root, good, at(20, 9, 2), "wrong.wkp", **{META_SEGMENT: "tier=1"})

    imported, problems = import_profiles(service, root, "shop")
    assert imported == 1
    assert len(problems) == 2
    broken_problem, wrong_problem = problems
    assert broken_problem.startswith(f"file://{broken}: not a watchkeeper profile (invalid JSON")
    assert wrong_problem.startswith(
        f"file://{wrong}: segment 'tier=1' does not match dataset 'shop'"
    )
    failed = [o for o in service.catalog.objects(SOURCE) if o.status == "failed"]
    assert sorted(o.key.rsplit("/", 1)[1] for o in failed) == ["broken.wkp", "wrong.wkp"]

    assert import_profiles(service, root, "shop") == (0, [])  # not tried again
    service.refresh("shop")
    [whole] = service.store.batches("shop", granularity=HOUR, with_profile=True)
    assert_matches(service.profile(whole), good)
    [german] = service.store.batches("shop", segment="country=DE", granularity=HOUR)
    assert german.rows == 60
    # a file rewritten with another size is a new version, imported again
    write_profile_file(
        root, orders(rng, 25), at(20, 9, 3), "broken.wkp", **{META_SEGMENT: "country=FR"}
    )
    assert import_profiles(service, root, "shop") == (1, [])
