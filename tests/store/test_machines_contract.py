"""Contract: state machines, versions and aliases."""

from __future__ import annotations

import pytest
from store_samples import MACHINE, machine

from stepforge.store.base import Store
from stepforge.store.cursors import InvalidCursor
from stepforge.store.records import AliasRecord, StateMachineRecord, VersionRecord
from stepforge.testing import write


def test_state_machines_round_trip(store: Store) -> None:
    record = StateMachineRecord(arn=MACHINE, name="m", definition="{}", role_arn="r", type="STANDARD",
                                created=1.5, revision_id="rev", tags={"k": "v"})
    write(store, lambda tx: tx.put_state_machine(record))
    assert store.get_state_machine(MACHINE) == record
    assert store.list_state_machines(limit=10).items == [record]
    write(store, lambda tx: tx.delete_state_machine(MACHINE))
    assert store.get_state_machine(MACHINE) is None


def test_state_machine_settings_round_trip(store: Store) -> None:
    record = StateMachineRecord(arn=MACHINE, name="m", definition="{}", role_arn="r", type="EXPRESS",
                                created=1.5, revision_id="rev", status="DELETING", next_version=4,
                                encryption_configuration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"})
    write(store, lambda tx: tx.put_state_machine(record))
    assert store.get_state_machine(MACHINE) == record


def test_a_record_changed_after_put_is_not_changed_in_the_store(store: Store) -> None:
    record = machine("m", 1.0)
    write(store, lambda tx: tx.put_state_machine(record))
    record.status = "DELETING"
    found = store.get_state_machine(record.arn)
    assert found is not None and found.status == "ACTIVE"


def test_state_machines_page_oldest_first_by_status(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(5):
            tx.put_state_machine(machine(f"m{index}", float(index % 3), "DELETING" if index == 2 else "ACTIVE"))
    first = store.list_state_machines(status="ACTIVE", limit=2)
    assert [m.name for m in first.items] == ["m0", "m3"] and first.next is not None
    write(store, lambda tx: tx.put_state_machine(machine("early", -1.0)))  # before the cursor: never shifts the next pages
    second = store.list_state_machines(status="ACTIVE", after=first.next, limit=2)
    assert [m.name for m in second.items] == ["m1", "m4"] and second.next is None
    assert [m.name for m in store.list_state_machines(limit=10).items] == ["early", "m0", "m3", "m1", "m4", "m2"]


def test_a_cursor_of_another_shape_is_refused(store: Store) -> None:
    with pytest.raises(InvalidCursor):
        store.list_state_machines(after="[1, 2, 3]", limit=1)
    with pytest.raises(InvalidCursor):
        store.list_state_machines(after="not json", limit=1)


def test_versions_list_newest_first_and_delete(store: Store) -> None:
    with store.transaction() as tx:
        for number in (1, 2, 3):
            tx.put_version(VersionRecord(arn=f"{MACHINE}:{number}", machine_arn=MACHINE, number=number,
                                            definition="{}", role_arn="r", type="STANDARD", created=float(number),
                                            revision_id=f"rev{number}", description="d"))
    write(store, lambda tx: tx.put_version(VersionRecord(arn=f"{MACHINE}x:1", machine_arn=f"{MACHINE}x", number=1, definition="{}",
                                    role_arn="r", type="STANDARD", created=1.0, revision_id="r")))
    assert [v.number for v in store.list_versions(MACHINE)] == [3, 2, 1]
    write(store, lambda tx: tx.delete_version(f"{MACHINE}:2"))
    assert store.get_version(f"{MACHINE}:2") is None
    found = store.get_version(f"{MACHINE}:3")
    assert found is not None and (found.revision_id, found.description) == ("rev3", "d")


def test_aliases_round_trip(store: Store) -> None:
    routing = [{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 70},
               {"stateMachineVersionArn": f"{MACHINE}:2", "weight": 30}]
    alias = AliasRecord(arn=f"{MACHINE}:live", machine_arn=MACHINE, name="live", routing=routing,
                        created=1.0, updated=1.0, description="d")
    write(store, lambda tx: tx.put_alias(alias))
    write(store, lambda tx: tx.put_alias(AliasRecord(arn=f"{MACHINE}:b", machine_arn=MACHINE, name="b", routing=routing[:1],
                                created=2.0, updated=2.0)))
    assert store.get_alias(alias.arn) == alias
    assert [a.name for a in store.list_aliases(MACHINE)] == ["live", "b"]
    write(store, lambda tx: tx.delete_alias(alias.arn))
    assert store.get_alias(alias.arn) is None


def test_state_machines_filter_by_name_ascii_case_insensitively(store: Store) -> None:
    with store.transaction() as tx:
        for index, name in enumerate(["Orders", "billing", "orders-eu", "ÜBER"]):
            tx.put_state_machine(machine(name, float(index)))
    found = store.list_state_machines(name_contains="ORDER", limit=1)
    assert [m.name for m in found.items] == ["Orders"] and found.next is not None
    rest = store.list_state_machines(name_contains="ORDER", after=found.next, limit=1)
    assert ([m.name for m in rest.items], rest.next) == (["orders-eu"], None)
    assert [m.name for m in store.list_state_machines(name_contains="über", limit=5).items] == []
    assert [m.name for m in store.list_state_machines(name_contains="ÜB", limit=5).items] == ["ÜBER"]


def test_next_version_never_goes_down(store: Store) -> None:
    """A write that read the machine before another published a version must not count that number again."""
    counted = machine("m", 1.0)
    counted.next_version = 3
    write(store, lambda tx: tx.put_state_machine(counted))
    stale = machine("m", 1.0)
    stale.description = "changed"
    write(store, lambda tx: tx.put_state_machine(stale))
    found = store.get_state_machine(stale.arn)
    assert found is not None and (found.description, found.next_version) == ("changed", 3)


def test_a_held_machine_is_read_as_it_is_now(store: Store) -> None:
    record = machine("m", 1.0)
    assert write(store, lambda tx: tx.hold_state_machine(record.arn)) is None
    write(store, lambda tx: tx.put_state_machine(record))
    assert write(store, lambda tx: tx.hold_state_machine(record.arn)) == record
