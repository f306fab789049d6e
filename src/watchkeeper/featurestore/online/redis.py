"""The online store on a Redis server: :class:`RedisOnlineStore`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.errors import UsageError
from watchkeeper.featurestore.definitions import check_group_name
from watchkeeper.featurestore.online.records import (
    event_time_us,
    prepared_chunks,
    select_features,
)

__all__ = ["RedisOnlineStore"]

# records per script call: long enough to pay for the call, short enough that one call
# holds the server for milliseconds only
_RECORDS_PER_CALL = 2_000
_WRITE_TIMEOUT = 300.0

# KEYS the records' hashes; ARGV[1] the id column, ARGV[2] the records' event
# microseconds and ARGV[3] the byte lengths of their JSON documents, both separated by
# commas, ARGV[4] the documents one after another. Four arguments, not three per record:
# the client packs each argument in Python, the server reads these at C speed.
# The keys are taken in order, each seeing the ones before it, so duplicates of an id
# inside a batch resolve as across batches: an older event loses, an equal one replaces
# (the later write wins).
_PUT_MANY = """
local events, lengths = {}, {}
for value in string.gmatch(ARGV[2], '[^,]+') do events[#events + 1] = value end
for value in string.gmatch(ARGV[3], '[^,]+') do lengths[#lengths + 1] = tonumber(value) end
local documents, at, applied = ARGV[4], 1, 0
for i = 1, #KEYS do
  local finish = at + lengths[i]
  local stored = redis.call('HGET', KEYS[i], '__event_us')
  if not stored or tonumber(stored) <= tonumber(events[i]) then
    redis.call('HSET', KEYS[i], '__event_us', events[i],
               'record', string.sub(documents, at, finish - 1), '__id_column', ARGV[1])
    applied = applied + 1
  end
  at = finish
end
return applied
"""

# KEYS[1] the record's hash; ARGV[1] the deletion's event microseconds
_DELETE = """
if redis.call('HEXISTS', KEYS[1], 'record') == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], '__event_us')) > tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], 'record', '__id_column')
redis.call('HSET', KEYS[1], '__event_us', ARGV[1])
return 1
"""


def _joined(documents: pa.LargeStringArray) -> tuple[str, bytes]:
    """The documents' byte lengths separated by commas, and their bytes one after another
    (straight from the Arrow buffers)."""
    offsets = np.frombuffer(documents.buffers()[1], dtype=np.int64)
    offsets = offsets[documents.offset : documents.offset + len(documents) + 1]
    data = documents.buffers()[2]
    lengths = ",".join(map(str, np.diff(offsets).tolist()))
    return lengths, data[offsets[0] : offsets[-1]].to_pybytes()


class RedisOnlineStore:
    """The online store on a Redis server: one hash per record, ``wk:<group>:<id>``.

    The hash holds ``__event_us`` (the event time in microseconds), ``record`` (the JSON
    record; absent once deleted) and ``__id_column``. A Lua script compares event times
    on the server for a few thousand records per call, and a batch's calls go in one
    ``MULTI``/``EXEC`` (one round trip) so it lands whole, with its commit noted as the
    key ``wk-commit:<group>:<commit>``.
    """

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        try:
            self._redis = redis.Redis.from_url(url)
            self._redis.ping()
            # a batch of a million records is one transaction the server may take many
            # seconds to apply: its answer is awaited longer than a read's (a timeout
            # in the URL still wins)
            self._writer = redis.Redis.from_url(url, socket_timeout=_WRITE_TIMEOUT)
        except (redis.RedisError, ValueError) as exc:
            raise UsageError(f"cannot reach the Redis online store {url}: {exc}") from None
        self._put_many = self._redis.register_script(_PUT_MANY)
        self._delete = self._redis.register_script(_DELETE)

    @staticmethod
    def _key(group: str, record_id: Any) -> str:
        return f"wk:{group}:{record_id}"

    @staticmethod
    def _commit_key(group: str, commit: str) -> str:
        return f"wk-commit:{group}:{commit}"

    def write(
        self,
        group: str,
        records: list[dict] | pa.Table,
        id_column: str,
        time_column: str,
        commit: str | None = None,
    ) -> int:
        """Write one batch in one transaction; return how many records became the latest."""
        check_group_name(group)
        if not len(records) and commit is None:
            return 0
        pipe = self._writer.pipeline(transaction=True)
        calls = 0
        prefix = self._key(group, "")
        for chunk in prepared_chunks(records, id_column, time_column):
            for start in range(0, len(chunk.ids), _RECORDS_PER_CALL):
                stop = start + _RECORDS_PER_CALL
                keys = [prefix + record_id for record_id in chunk.ids[start:stop]]
                events = ",".join(map(str, chunk.event_us[start:stop]))
                lengths, data = _joined(chunk.documents.slice(start, _RECORDS_PER_CALL))
                self._put_many(keys=keys, args=[id_column, events, lengths, data], client=pipe)
                calls += 1
        if commit is not None:
            pipe.set(self._commit_key(group, commit), 1)
        results = pipe.execute()
        return sum(int(result) for result in results[:calls])

    def get(self, group: str, record_id: str, features: list[str] | None = None) -> dict | None:
        """The latest record of ``record_id`` (all columns, or ``features`` and the id)."""
        check_group_name(group)
        text, id_column = self._redis.hmget(self._key(group, record_id), "record", "__id_column")
        return select_features(text, id_column, features)

    def get_many(
        self, group: str, ids: list[str], features: list[str] | None = None
    ) -> list[dict | None]:
        """The latest record of each id in the order of ``ids`` (None where there is none)."""
        check_group_name(group)
        pipe = self._redis.pipeline(transaction=False)
        for record_id in ids:
            pipe.hmget(self._key(group, record_id), "record", "__id_column")
        return [select_features(text, id_column, features) for text, id_column in pipe.execute()]

    def delete(
        self, group: str, record_id: str, event_time: Any, commit: str | None = None
    ) -> bool:
        """Remove the id's record if its event time is not after ``event_time``."""
        check_group_name(group)
        event_us = event_time_us(event_time)
        pipe = self._redis.pipeline(transaction=True)
        self._delete(keys=[self._key(group, record_id)], args=[event_us], client=pipe)
        if commit is not None:
            pipe.set(self._commit_key(group, commit), 1)
        return bool(pipe.execute()[0])

    def committed(self, group: str, commit: str) -> bool:
        """Whether a write or delete carrying ``commit`` has been applied."""
        check_group_name(group)
        return bool(self._redis.exists(self._commit_key(group, commit)))

    def forget(self, group: str, commit: str) -> None:
        """Drop the note of ``commit``."""
        check_group_name(group)
        self._redis.delete(self._commit_key(group, commit))

    def drop(self, group: str) -> None:
        """Forget every record and commit of the group."""
        check_group_name(group)
        # group names have no glob characters (check_group_name), so the patterns are exact
        for pattern in (f"wk:{group}:*", f"wk-commit:{group}:*"):
            batch = []
            for key in self._redis.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    self._redis.unlink(*batch)
                    batch = []
            if batch:
                self._redis.unlink(*batch)

    def close(self) -> None:
        """Close the connection pools."""
        self._redis.close()
        self._writer.close()

    @property
    def location(self) -> str:
        """The server and database, without user or password."""
        kwargs = self._redis.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"redis://{where}/{kwargs.get('db', 0)}"

    def __repr__(self) -> str:
        return f"RedisOnlineStore({self.url!r})"
