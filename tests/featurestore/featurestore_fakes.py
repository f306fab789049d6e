"""An in-memory online store with the interface of ``watchkeeper.featurestore.online``,
able to fail on demand, for tests of the write order and of atomicity."""

from __future__ import annotations

import copy


class MemoryOnlineStore:
    def __init__(self) -> None:
        self.groups: dict[str, dict] = {}
        self.fail_writes = False
        self.time_columns: dict[str, str] = {}
        self.commits: set[tuple[str, str]] = set()

    def write(self, group, records, id_column, time_column, commit=None):
        if self.fail_writes:
            raise RuntimeError("online store unavailable")
        if commit is not None:
            self.commits.add((group, commit))
        if hasattr(records, "to_pylist"):  # an Arrow table: its rows are the records
            records = records.to_pylist()
        rows = dict(self.groups.get(group, {}))
        self.time_columns[group] = time_column
        for record in records:
            key = record[id_column]
            old = rows.get(key)
            if old is None or old[time_column] <= record[time_column]:
                rows[key] = dict(record)
        self.groups[group] = rows
        return len(records)

    def get(self, group, record_id, features=None):
        record = self.groups.get(group, {}).get(record_id)
        if record is None:
            return None
        record = copy.deepcopy(record)
        return record if features is None else {k: record[k] for k in features}

    def get_many(self, group, ids, features=None):
        return [self.get(group, key, features) for key in ids]

    def delete(self, group, record_id, event_time, commit=None):
        if commit is not None:
            self.commits.add((group, commit))
        rows = self.groups.get(group, {})
        record = rows.get(record_id)
        if record is None:
            return False
        if record[self.time_columns[group]] > event_time:
            return False
        del rows[record_id]
        return True

    def committed(self, group, commit):
        return (group, commit) in self.commits

    def forget(self, group, commit):
        self.commits.discard((group, commit))

    def drop(self, group):
        self.groups.pop(group, None)
        self.commits = {(g, c) for g, c in self.commits if g != group}

    def close(self):
        pass
