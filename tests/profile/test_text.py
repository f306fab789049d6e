"""Free-text and embedding columns in profiles: detection, descriptors, vocabulary,
merging, and both file forms."""

from __future__ import annotations

import hashlib
import math
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from text_samples import texts
from watchkeeper.errors import FormatError
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes
from watchkeeper.profile.text import NON_LETTER_SHARE, TEXT_LENGTH, WORD_COUNT

PROFILES = Path(__file__).parents[1] / "data" / "profiles"
OLD_PROFILE = PROFILES / "mixed_v1.json"
# the same profile in the binary form, as written before profiles had text parts
OLD_BINARY = PROFILES / "mixed_v1.wkp"


def table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "review": texts(rows, seed),
            "channel": rng.choice(["web", "store", "phone"], rows),
            "vector": pa.array(rng.normal(size=(rows, 4)).tolist(), pa.list_(pa.float32(), 4)),
        }
    )


def profiled(data: pa.Table, **options) -> DatasetProfile:
    profile = DatasetProfile(**options)
    profile.track(data)
    return profile


def test_free_text_is_told_from_categories_and_gets_descriptors():
    profile = profiled(table(400, seed=1))
    review, channel = profile.columns["review"], profile.columns["channel"]
    assert review.text is not None and channel.text is None
    assert (review.text_choice, channel.text_choice) == (True, False)
    values = texts(400, seed=1)
    length = review.text.descriptors[TEXT_LENGTH].moments
    assert length.n == 400
    assert length.average == pytest.approx(np.mean([len(v) for v in values]))
    words = review.text.descriptors[WORD_COUNT].moments
    assert words.average == pytest.approx(np.mean([len(v.split()) for v in values]))
    assert review.text.descriptors[NON_LETTER_SHARE].moments.max == 0.0  # letters only
    assert review.text.vocabulary.total == sum(len(v.split()) for v in values)


def test_descriptors_count_any_script_and_non_letters():
    profile = profiled(pa.table({"note": ["Grüße aus Köln, 2024!", "Привет мир и всем 😀"]}),
                       text_columns={"note": True})  # fmt: skip
    share = profile.columns["note"].text.descriptors[NON_LETTER_SHARE].kll
    # "2024!" and "," are 6 of 18 visible characters; the emoji 1 of 15
    assert sorted(share.levels[0].tolist()) == pytest.approx([1 / 15, 6 / 18])


def test_the_decision_can_be_forced_either_way():
    data = table(300, seed=2)
    forced = profiled(data, text_columns={"review": False, "channel": True})
    assert forced.columns["review"].text is None
    assert forced.columns["channel"].text.count == 300


def test_embeddings_keep_their_mean_vector():
    data = table(500, seed=3)
    vector = profiled(data).columns["vector"].embedding
    matrix = np.array(data["vector"].to_pylist())
    assert vector.count == 500
    assert np.allclose(vector.mean, matrix.mean(axis=0))
    assert np.allclose(vector.variance, matrix.var(axis=0, ddof=1))


def test_merge_equals_the_profile_of_both_batches():
    first, second = table(300, seed=4), table(200, seed=5)
    merged = profiled(first).merge(profiled(second))
    whole = profiled(pa.concat_tables([first, second]))
    text, expected = merged.columns["review"].text, whole.columns["review"].text
    assert np.array_equal(text.vocabulary.counts, expected.vocabulary.counts)
    for name, part in text.descriptors.items():
        assert part.moments.n == expected.descriptors[name].moments.n == 500
        assert part.moments.average == pytest.approx(expected.descriptors[name].moments.average)
    vectors = merged.columns["vector"].embedding
    assert np.allclose(vectors.sums, whole.columns["vector"].embedding.sums)


def test_tracking_a_merge_or_a_copy_leaves_its_inputs_as_they_were():
    source = profiled(table(100, seed=13))
    before = source.columns["review"].text.vocabulary.total
    for derived in (source.copy(), source.merge(DatasetProfile())):
        derived.track(table(100, seed=14))
        assert derived.columns["review"].text.vocabulary.total > before
    assert source.columns["review"].text.vocabulary.total == before
    assert source.columns["vector"].embedding.count == 100


@pytest.mark.parametrize("form", ["json", "binary"])
def test_text_and_embeddings_round_trip_in_both_forms(form):
    profile = profiled(table(300, seed=6))
    data = profile_to_bytes(profile, form)
    read = profile_from_bytes(data, "file")
    assert profile_to_bytes(read, form) == data
    text = read.columns["review"].text
    assert np.array_equal(text.vocabulary.counts, profile.columns["review"].text.vocabulary.counts)
    assert text.descriptors[TEXT_LENGTH].kll.n == 300
    assert read.columns["vector"].embedding.count == 300
    assert read.columns["channel"].text is None


def test_profiles_without_text_are_written_as_before():
    old = OLD_PROFILE.read_bytes()
    profile = profile_from_bytes(old, "old")
    assert all(c.text is None and c.embedding is None for c in profile.columns.values())
    assert profile_to_bytes(profile, "json") == old
    assert profile_to_bytes(profile, "binary") == OLD_BINARY.read_bytes()
    assert profile_to_bytes(profile_from_bytes(OLD_BINARY.read_bytes()), "json") == old


def test_identifiers_and_short_labels_are_not_text():
    ids = [f"user-{i:06d}" for i in range(1000)]
    profile = profiled(pa.table({"id": ids, "city": ["New York City"] * 1000}))
    assert all(column.text is None for column in profile.columns.values())


def test_long_single_tokens_name_things_and_prose_without_spaces_is_text():
    rng = np.random.default_rng(4)
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(500)]
    uuids = [str(uuid.UUID(int=int(v))) for v in rng.integers(0, 2**62, 500)]
    links = [f"https://shop.example.com/orders/{i}?utm_source=mail&page=2" for i in range(500)]
    said = "天才到，外包装已经破损，里面的东西还好，客服态度很好，下次还会再买"
    reviews = [f"包裹第{i}{said}" for i in range(500)]
    profile = profiled(pa.table({"digest": digests, "id": uuids, "link": links, "review": reviews}))
    assert [name for name, column in profile.columns.items() if column.text] == ["review"]


def test_a_damaged_vocabulary_is_refused_with_its_field_named():
    profile = profiled(table(100, seed=8))
    document = profile_to_bytes(profile, "json").decode()
    damaged = document.replace('"buckets":32768', '"buckets":12')
    with pytest.raises(FormatError, match=r"review.*text\.vocabulary\.buckets"):
        profile_from_bytes(damaged.encode(), "upload")


def test_vocabulary_estimates_unseen_tokens():
    first = profiled(pa.table({"t": texts(2000, seed=9)})).columns["t"].text.vocabulary
    same = profiled(pa.table({"t": texts(2000, seed=10)})).columns["t"].text.vocabulary
    new = profiled(pa.table({"t": texts(2000, seed=11, unseen=0.2)})).columns["t"].text.vocabulary
    expected = first.expected_unseen_share()
    assert 0 < expected < 0.05
    assert abs(first.unseen_share(same) - expected) < 0.01
    # Zipf words: the commonest new word alone is a tenth of the new tokens, and the
    # bucket it lands in decides whether it counts, hence the wider tolerance
    assert first.unseen_share(new) == pytest.approx(0.2 + 0.8 * expected, abs=0.03)
    assert math.isnan(first.unseen_share(type(first)()))


def test_long_numbers_written_as_text_are_not_text():
    digits = [str(10**40 + 7919 * i) for i in range(500)]
    assert profiled(pa.table({"n": digits})).columns["n"].text is None


def test_text_columns_cannot_be_forced_on_a_profile_already_built():
    from watchkeeper.api import suggest_baseline
    from watchkeeper.errors import UsageError

    built = profiled(table(50, seed=12))
    with pytest.raises(UsageError, match="text columns cannot be chosen for a profile"):
        suggest_baseline(built, text_columns={"review": False})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=40), st.integers(0, 40))
def test_any_split_of_any_text_merges_to_the_whole(values, at):
    """Whatever the text (any Unicode, empty strings) and wherever the batches split."""
    at = min(at, len(values))
    forced = {"t": True}
    parts = [profiled(pa.table({"t": chunk}), text_columns=forced)
             for chunk in (values[:at], values[at:])]  # fmt: skip
    merged = parts[0].merge(parts[1]).columns["t"].text
    whole = profiled(pa.table({"t": values}), text_columns=forced).columns["t"].text
    assert np.array_equal(merged.vocabulary.counts, whole.vocabulary.counts)
    for name, part in merged.descriptors.items():
        expected = whole.descriptors[name].moments
        assert part.moments.n == expected.n == len(values)
        assert part.moments.total == pytest.approx(expected.total)
